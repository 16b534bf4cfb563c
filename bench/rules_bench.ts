/**
 * Micro-benchmarks of the router's answer for a hot file (in the cache, a plain GET): without
 * rules, with rules none of which matches the path, and with a `-H` rule for every path. The
 * issue's bar: a file request is no slower when no rule matches. Run with `deno task bench`.
 */

import { parseRequestHead, type RequestHead } from "../src/http/request.ts";
import { FileCache } from "../src/server/cache.ts";
import type { ConnectionInfo } from "../src/server/connection.ts";
import { detectConfinement } from "../src/server/opener.ts";
import { type AnswerContext, answerRequest } from "../src/server/router.ts";
import { compileRules, loadGlobs, type Rules } from "../src/server/rules.ts";

await loadGlobs();

const ROOT = await Deno.realPath(new URL("../www", import.meta.url));
const HEAD = (() => {
  const result = parseRequestHead(
    new TextEncoder().encode("GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"),
  );
  if (result.kind !== "done") throw new Error("unexpected");
  return result.head;
})();
const INFO: ConnectionInfo = {
  id: 1,
  client: { ip: "127.0.0.1", port: 50000 },
  server: { ip: "127.0.0.1", port: 8080 },
  secure: false,
};

/** Rules like a real site's, none of which matches /index.html. */
const UNMATCHED: Rules = {
  headers: [
    { glob: "/assets/**", set: { "Cache-Control": "max-age=31536000, immutable" } },
    { glob: "**/*.js", set: { "X-Content-Type-Options": "nosniff" } },
  ],
  redirects: [{ from: "/old/:id/*", to: "/new/:id/*" }],
  rewrites: [{ from: "/app/*", to: "/app/index.html" }],
};

/** `-H 'X-Frame-Options: DENY'`. */
const EVERY_PATH: Rules = {
  headers: [{ glob: "/**", set: { "X-Frame-Options": "DENY" } }],
  redirects: [],
  rewrites: [],
};

/** A router context on the bundled site, with the file already in the hot cache. */
async function hotContext(rules: Rules | null): Promise<AnswerContext> {
  const root = { realPath: ROOT };
  const context: AnswerContext = {
    root,
    listings: { running: 0 },
    confinement: detectConfinement(root),
    supervisor: undefined,
    allowStop: false,
    listing: false,
    fileOptions: { cacheControl: null },
    cors: false,
    cache: new FileCache(),
    requestStop: () => {},
    localHostsOnly: true,
    onMisdirected: () => {},
    hsts: null,
    rules: rules === null ? null : compileRules(rules),
  };
  await answerRequest(HEAD, INFO, context);
  if (answerRequest(HEAD, INFO, context) instanceof Promise) throw new Error("not hot");
  return context;
}

const plain = await hotContext(null);
const unmatched = await hotContext(UNMATCHED);
const everyPath = await hotContext(EVERY_PATH);

function answer(head: RequestHead, context: AnswerContext): void {
  answerRequest(head, INFO, context);
}

Deno.bench("answerRequest() hot file, no rules", { group: "rules", baseline: true }, () => {
  answer(HEAD, plain);
});

Deno.bench("answerRequest() hot file, rules none of which matches", { group: "rules" }, () => {
  answer(HEAD, unmatched);
});

Deno.bench("answerRequest() hot file, a -H rule for every path", { group: "rules" }, () => {
  answer(HEAD, everyPath);
});
