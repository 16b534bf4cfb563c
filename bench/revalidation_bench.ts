/**
 * Micro-benchmarks of a hot-file cache hit: revalidated (the first hit of a read batch, or every
 * hit without arrivals: `realpath` + `stat`), and answered on the batch's check. Run with
 * `deno task bench`.
 */

import { FileCache } from "../src/server/cache.ts";
import { openInside } from "../src/server/opener.ts";
import type { Root } from "../src/server/resolver.ts";

const root: Root = { realPath: await Deno.realPath(new URL("../www", import.meta.url)) };
const path = `${root.realPath}/style.css`;

/** A cache holding www/style.css under the key "style.css". */
async function cacheWithStyle(cache: FileCache): Promise<FileCache> {
  const opened = await openInside(root, path, { confinement: "identity" });
  if (opened.kind !== "open") throw new Error(`Cannot open "${path}"`);
  await cache.admit("style.css", path, path, opened.file);
  return cache;
}

const arrivals = { count: 0 };
const batched = await cacheWithStyle(new FileCache({ arrivals }));
const everyHit = await cacheWithStyle(new FileCache());

Deno.bench("FileCache.lookup() hit, revalidated (realpath + stat)", {
  group: "cache-hit",
  baseline: true,
}, () => {
  everyHit.lookup("style.css");
});

Deno.bench(
  "FileCache.lookup() hit, answered on its read batch's check",
  { group: "cache-hit" },
  () => {
    batched.lookup("style.css");
  },
);

Deno.bench("FileCache.lookup() hit, a new read batch every 40 hits (wrk, 50 connections)", {
  group: "cache-hit",
}, () => {
  for (let i = 0; i < 40; i++) batched.lookup("style.css");
  arrivals.count++;
});
