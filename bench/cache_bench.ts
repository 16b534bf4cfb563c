/**
 * Micro-benchmarks of the hot-file cache on the request path: a hit in identity, and a hit on a
 * compressed variant (negotiating the browser's Accept-Encoding, then the coded form kept beside
 * the file's bytes). Run with `deno task bench`.
 */

import { FileCache } from "../src/server/cache.ts";
import { openInside } from "../src/server/opener.ts";
import type { Root } from "../src/server/resolver.ts";
import { negotiateCoding } from "../src/http/content_coding.ts";
import { CONTENT_CODINGS } from "../src/http/content_coding.ts";

const root: Root = { realPath: Deno.realPathSync(new URL("../www", import.meta.url)) };
const page = `${root.realPath}/style.css`;
const BROWSER_ACCEPT_ENCODING = "gzip, deflate, br, zstd";

const cache = new FileCache();
const opened = await openInside(root, page, { confinement: "identity" });
if (opened.kind !== "open") throw new Error(`cannot open ${page}: ${opened.kind}`);
const identity = await cache.admit("style.css", page, page, opened.file);
if (identity === null) throw new Error("not admitted");
// The first request compresses; every later one finds the bytes beside the file's.
await cache.encode(identity, "br", true);

Deno.bench("FileCache.lookup() hit checked on every call (no arrivals), identity", {
  group: "cache",
  baseline: true,
}, () => {
  if (cache.lookup("style.css") === null) throw new Error("miss");
});

Deno.bench(
  "FileCache hit, compressed variant (browser Accept-Encoding → br held)",
  { group: "cache" },
  () => {
    const held = cache.lookup("style.css");
    if (held === null) throw new Error("miss");
    const coding = negotiateCoding(BROWSER_ACCEPT_ENCODING, CONTENT_CODINGS);
    if (coding !== "br") throw new Error(`negotiated ${coding}`);
    const coded = cache.encode(held, coding);
    if (coded === null || coded instanceof Promise) throw new Error("not held");
  },
);

Deno.bench("negotiateCoding() browser Accept-Encoding", { group: "coding" }, () => {
  negotiateCoding(BROWSER_ACCEPT_ENCODING, CONTENT_CODINGS);
});
