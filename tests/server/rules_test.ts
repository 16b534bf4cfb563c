/**
 * Rules (src/server/rules.ts), pure: checking the config file's tables (each refusal with the
 * key path it points at), `-H`, picomatch's quirks as sockserve uses it, URLPattern captures,
 * the safety of a Location built from captures, rewrites, and the per-path memory.
 */

import assert from "node:assert/strict";
import { MAX_RULE_ROUTE_PATH_CHARS, MAX_RULE_ROUTES, MAX_RULES } from "../../src/limits.ts";
import {
  checkRules,
  type CompiledRules,
  compileRules,
  headerEdits,
  loadGlobs,
  matchRedirect,
  mergeRules,
  NO_RULES,
  parseHeaderOption,
  patternGroups,
  requestPath,
  rewrite,
  routeRequest,
  type Rules,
  withQuery,
} from "../../src/server/rules.ts";

await loadGlobs();

const SET = { "X-A": "1" };

/** Compiles rules that must be valid. */
function compile(rules: Partial<Rules>, ignoreCase = false): CompiledRules {
  const checked = checkRules(rules);
  if (!checked.ok) throw new Error(`${checked.at.join(".")}: ${checked.reason}`);
  return compileRules(checked.rules, { ignoreCase })!;
}

/** The decoded, normalised path of a raw request path. */
function seen(rawPath: string): string {
  const path = requestPath(rawPath);
  if (path.kind !== "path") throw new Error(path.reason);
  return path.text;
}

Deno.test("checkRules() refuses each kind of mistake and says where it is", async (t) => {
  const cases: [string, unknown, (string | number)[], RegExp][] = [
    ["not a table", [], [], /table/],
    ["an unknown top-level key", { header: [] }, ["header"], /unknown key/],
    ["headers not an array", { headers: { glob: "/" } }, ["headers"], /\[\[headers\]\]/],
    [
      "too many rules",
      { rewrites: Array(MAX_RULES + 1).fill({ from: "/a", to: "/b" }) },
      ["rewrites"],
      /at most/,
    ],
    ["a rule that is not a table", { headers: ["/a"] }, ["headers", 0], /table/],
    [
      "an unknown key in a rule",
      { headers: [{ glob: "/", set: SET, sets: SET }] },
      ["headers", 0, "sets"],
      /unknown key; expected one of glob, status, set, remove/,
    ],
    ["a missing glob", { headers: [{ set: SET }] }, ["headers", 0, "glob"], /missing/],
    [
      "a glob that is not a string",
      { headers: [{ glob: 1, set: SET }] },
      ["headers", 0, "glob"],
      /string/,
    ],
    ["an empty glob", { headers: [{ glob: "", set: SET }] }, ["headers", 0, "glob"], /empty/],
    [
      "a glob that cannot match",
      { headers: [{ glob: "*.js", set: SET }] },
      ["headers", 0, "glob"],
      /start it with/,
    ],
    [
      "a negated glob",
      { headers: [{ glob: "!/a", set: SET }] },
      ["headers", 0, "glob"],
      /start it with/,
    ],
    [
      "an unclosed bracket",
      { headers: [{ glob: "/[a", set: SET }] },
      ["headers", 0, "glob"],
      /not a glob/,
    ],
    [
      "an unclosed brace",
      { headers: [{ glob: "/a{", set: SET }] },
      ["headers", 0, "glob"],
      /not a glob/,
    ],
    [
      "a status that is not a list",
      { headers: [{ glob: "/", status: 200, set: SET }] },
      ["headers", 0, "status"],
      /list/,
    ],
    [
      "a status sockserve never sends",
      { headers: [{ glob: "/", status: [200, 418], set: SET }] },
      ["headers", 0, "status", 1],
      /never answers with 418/,
    ],
    [
      "a status as a string",
      { headers: [{ glob: "/", status: ["200"], set: SET }] },
      ["headers", 0, "status", 0],
      /never answers/,
    ],
    [
      "a status listed twice",
      { headers: [{ glob: "/", status: [404, 404], set: SET }] },
      ["headers", 0, "status", 1],
      /twice/,
    ],
    ["set that is not a table", { headers: [{ glob: "/", set: ["X-A: 1"] }] }, [
      "headers",
      0,
      "set",
    ], /table/],
    [
      "a value that is not a string",
      { headers: [{ glob: "/", set: { "X-A": 1 } }] },
      ["headers", 0, "set", "X-A"],
      /string/,
    ],
    [
      "an invalid field name",
      { headers: [{ glob: "/", set: { "X A": "1" } }] },
      ["headers", 0, "set", "X A"],
      /RFC 9110 §5.1/,
    ],
    [
      "CR LF in a value",
      { headers: [{ glob: "/", set: { "X-A": "1\r\nSet-Cookie: a=b" } }] },
      ["headers", 0, "set", "X-A"],
      /CR, LF or NUL/,
    ],
    [
      "NUL in a value",
      { headers: [{ glob: "/", set: { "X-A": "1\0" } }] },
      ["headers", 0, "set", "X-A"],
      /CR, LF or NUL/,
    ],
    [
      "a control character in a value",
      { headers: [{ glob: "/", set: { "X-A": "\x07" } }] },
      ["headers", 0, "set", "X-A"],
      /control/,
    ],
    [
      "a framing field",
      { headers: [{ glob: "/", set: { "content-length": "1" } }] },
      ["headers", 0, "set", "content-length"],
      /cannot be set/,
    ],
    [
      "a hop-by-hop field",
      { headers: [{ glob: "/", set: { Connection: "close" } }] },
      ["headers", 0, "set", "Connection"],
      /hop-by-hop/,
    ],
    [
      "a set validator",
      { headers: [{ glob: "/", set: { ETag: '"x"' } }] },
      ["headers", 0, "set", "ETag"],
      /validator/,
    ],
    [
      "a removed Vary",
      { headers: [{ glob: "/", remove: ["X-A", "Vary"] }] },
      ["headers", 0, "remove", 1],
      /Vary cannot be removed/,
    ],
    [
      "a removed Transfer-Encoding",
      { headers: [{ glob: "/", remove: ["Transfer-Encoding"] }] },
      ["headers", 0, "remove", 0],
      /cannot be removed/,
    ],
    [
      "remove not a list",
      { headers: [{ glob: "/", remove: "X-A" }] },
      ["headers", 0, "remove"],
      /list/,
    ],
    [
      "a field set twice in any case",
      { headers: [{ glob: "/", set: { "X-A": "1", "x-a": "2" } }] },
      ["headers", 0, "set", "x-a"],
      /twice/,
    ],
    [
      "a field both set and removed",
      { headers: [{ glob: "/", set: SET, remove: ["x-a"] }] },
      ["headers", 0, "remove", 0],
      /both set and removed/,
    ],
    [
      "a rule that changes nothing",
      { headers: [{ glob: "/", set: {} }] },
      ["headers", 0],
      /set or remove/,
    ],
    ["a missing from", { redirects: [{ to: "/b" }] }, ["redirects", 0, "from"], /missing/],
    [
      "a from without /",
      { redirects: [{ from: "old", to: "/b" }] },
      ["redirects", 0, "from"],
      /start it with "\/"/,
    ],
    [
      "a percent-escape in from",
      { redirects: [{ from: "/caf%C3%A9", to: "/b" }] },
      ["redirects", 0, "from"],
      /not percent-escapes/,
    ],
    [
      "a bad URL pattern",
      { redirects: [{ from: "/a/(", to: "/b" }] },
      ["redirects", 0, "from"],
      /not a URL pattern/,
    ],
    [
      "a pattern with a query",
      { rewrites: [{ from: "/a?b", to: "/b" }] },
      ["rewrites", 0, "from"],
      /not a URL pattern/,
    ],
    ["a missing to", { redirects: [{ from: "/a" }] }, ["redirects", 0, "to"], /missing/],
    [
      "a relative to",
      { redirects: [{ from: "/a", to: "b" }] },
      ["redirects", 0, "to"],
      /http\(s\):\/\//,
    ],
    ["a // to (another host)", { redirects: [{ from: "/a", to: "//evil.example/" }] }, [
      "redirects",
      0,
      "to",
    ], /\/\//],
    ["a /\\ to (another host)", { redirects: [{ from: "/a", to: "/\\evil.example/" }] }, [
      "redirects",
      0,
      "to",
    ], /\/\//],
    [
      "an ftp: to",
      { redirects: [{ from: "/a", to: "ftp://x/" }] },
      ["redirects", 0, "to"],
      /http\(s\):\/\//,
    ],
    [
      "user info in a URL",
      { redirects: [{ from: "/a", to: "https://bank.example@evil.example/" }] },
      ["redirects", 0, "to"],
      /no user name/,
    ],
    [
      "a group from does not capture",
      { redirects: [{ from: "/old/:id", to: "/new/:name" }] },
      ["redirects", 0, "to"],
      /:name inserts a group that from does not capture/,
    ],
    [
      "more * than from has",
      { redirects: [{ from: "/old/*", to: "/new/*/*" }] },
      ["redirects", 0, "to"],
      /\* inserts a group/,
    ],
    [
      "an unnamed group number from does not have",
      { rewrites: [{ from: "/old/*", to: "/new/:1" }] },
      ["rewrites", 0, "to"],
      /:1 inserts a group/,
    ],
    [
      "a space in to",
      { redirects: [{ from: "/a", to: "/new page" }] },
      ["redirects", 0, "to"],
      /must be percent-encoded: %20/,
    ],
    [
      "a non-ASCII character in to",
      { redirects: [{ from: "/a", to: "/café" }] },
      ["redirects", 0, "to"],
      /%C3%A9/,
    ],
    [
      "a broken escape in to",
      { redirects: [{ from: "/a", to: "/b%2" }] },
      ["redirects", 0, "to"],
      /escape/,
    ],
    [
      "a redirect to a path it matches again",
      { redirects: [{ from: "/docs/*", to: "/docs/v2/*" }] },
      ["redirects", 0, "to"],
      /loop/,
    ],
    [
      "a redirect status that is not a redirect",
      { redirects: [{ from: "/a", to: "/b", status: 300 }] },
      ["redirects", 0, "status"],
      /301, 302, 303, 307 or 308/,
    ],
    [
      "a redirect status as a string",
      { redirects: [{ from: "/a", to: "/b", status: "301" }] },
      ["redirects", 0, "status"],
      /301/,
    ],
    [
      "a status key on a rewrite",
      { rewrites: [{ from: "/a", to: "/b", status: 200 }] },
      ["rewrites", 0, "status"],
      /unknown key/,
    ],
    [
      "a rewrite to a URL",
      { rewrites: [{ from: "/a", to: "https://x/" }] },
      ["rewrites", 0, "to"],
      /path on this server/,
    ],
    [
      "a rewrite with a query",
      { rewrites: [{ from: "/a", to: "/b?c=1" }] },
      ["rewrites", 0, "to"],
      /no query/,
    ],
    [
      "a rewrite that climbs above the root",
      { rewrites: [{ from: "/a/:x", to: "/:x/../../etc" }] },
      ["rewrites", 0, "to"],
      /climbs above the root/,
    ],
  ];
  for (const [name, input, at, reason] of cases) {
    await t.step(name, () => {
      const result = checkRules(input);
      assert.equal(result.ok, false, "refused");
      if (result.ok) return;
      assert.deepEqual(result.at, at);
      assert.match(result.reason, reason);
    });
  }
});

Deno.test("checkRules() returns valid rules as plain data that survives postMessage", () => {
  const input = {
    headers: [
      {
        glob: "/assets/**",
        status: [200, 304],
        set: { "Cache-Control": "max-age=60" },
        remove: ["X-B"],
      },
      { glob: "**/*.js", remove: ["Last-Modified", "ETag"] },
    ],
    redirects: [
      { from: "/old/:id/*", to: "/new/:id/*", status: 308 },
      { from: "/ext", to: "https://example.com/x?y=1#z" },
    ],
    rewrites: [{ from: "/app/*", to: "/app/index.html" }],
  };
  const result = checkRules(input);
  assert.ok(result.ok, result.ok ? "" : `${result.at}: ${result.reason}`);
  assert.deepEqual(result.rules, input);
  assert.deepEqual(structuredClone(result.rules), input);
});

Deno.test("checkRules() takes missing lists as empty, and integers as bigints (a TOML parser's option)", () => {
  assert.deepEqual(checkRules({}), { ok: true, rules: NO_RULES });
  assert.deepEqual(checkRules({ headers: undefined }), { ok: true, rules: NO_RULES });
  const big = checkRules({ redirects: [{ from: "/a", to: "/b", status: 302n }] });
  assert.ok(big.ok);
  assert.equal(big.ok && big.rules.redirects[0].status, 302);
});

Deno.test("parseHeaderOption() reads 'Name: value' into a rule for every path, with the same checks", async (t) => {
  assert.deepEqual(parseHeaderOption("X-Frame-Options:  DENY\t"), {
    ok: true,
    rule: { glob: "/**", set: { "X-Frame-Options": "DENY" } },
  });
  assert.deepEqual(parseHeaderOption("Link: </a.css>; rel=preload").ok, true);
  const refused: [string, RegExp][] = [
    ["X-Frame-Options DENY", /Name: value/],
    ["X-A:", /give a value/],
    ["X A: 1", /RFC 9110 §5.1/],
    [": 1", /empty/],
    ["X-A: 1\r\nX-B: 2", /CR, LF or NUL/],
    ["X-A: caf\u00e9", /ASCII/],
    ["Transfer-Encoding: chunked", /cannot be set/],
    ["Date: now", /cannot be set/],
    ["ETag: x", /cannot be set/],
  ];
  for (const [text, reason] of refused) {
    await t.step(JSON.stringify(text), () => {
      const result = parseHeaderOption(text);
      assert.equal(result.ok, false);
      assert.match(result.ok ? "" : result.reason, reason);
    });
  }
});

Deno.test("mergeRules() puts the first rules before the second in every list", () => {
  const cli: Rules = { ...NO_RULES, headers: [{ glob: "/**", set: SET }] };
  const file: Rules = {
    headers: [{ glob: "/a", set: { "X-A": "2" } }],
    redirects: [{ from: "/r", to: "/s" }],
    rewrites: [{ from: "/w", to: "/v" }],
  };
  assert.deepEqual(mergeRules(cli, file), {
    headers: [...cli.headers, ...file.headers],
    redirects: file.redirects,
    rewrites: file.rewrites,
  });
});

Deno.test("compileRules() is null without rules, so the router does no rule work", () => {
  assert.equal(compileRules(NO_RULES), null);
});

Deno.test("globs: picomatch's quirks as sockserve pins them (dot: true, case-sensitive)", async (t) => {
  const cases: [string, string, boolean][] = [
    // picomatch's leading "/**/" needs at least one folder: /**/*.js misses a top-level file.
    ["/**/*.js", "/a.js", false],
    ["/**/*.js", "/x/a.js", true],
    // Without the leading slash, **/ matches any depth, the top included.
    ["**/*.js", "/a.js", true],
    ["**/*.js", "/x/y/a.js", true],
    ["/x/**/*.js", "/x/a.js", true],
    // Dot-names match like any name: a rule for every path covers /.well-known/.
    ["/**", "/.well-known/security.txt", true],
    ["/*", "/.env", true],
    ["**", "/", true],
    ["/**", "/", true],
    // Case matters, as in URLs (RFC 3986 §6.2.2.1).
    ["/*.JS", "/a.js", false],
    // A folder glob covers the folder, its slash form and everything under it.
    ["/assets/**", "/assets", true],
    ["/assets/**", "/assets/", true],
    ["/assets/**", "/assets/img/a.png", true],
    ["/assets/**", "/assetsx", false],
    // One * stays within a segment; a directory path keeps its trailing slash.
    ["/a/*", "/a/b/c", false],
    ["/docs/*", "/docs/", false],
    ["/docs/*/", "/docs/v1/", true],
    // The path is decoded: globs are written with the characters themselves.
    ["/caf\u00e9/*", "/caf\u00e9/menu", true],
    ["/a b", "/a b", true],
    ["/{a,b}.txt", "/b.txt", true],
  ];
  for (const [glob, path, matches] of cases) {
    await t.step(`${glob} ${matches ? "matches" : "does not match"} ${path}`, () => {
      const rules = compile({ headers: [{ glob, set: SET }] });
      assert.equal(headerEdits(rules, path, 200) !== null, matches);
    });
  }
});

Deno.test("globs ignore case only where file names do (compileRules ignoreCase)", () => {
  assert.notEqual(
    headerEdits(compile({ headers: [{ glob: "/*.JS", set: SET }] }, true), "/a.js", 200),
    null,
  );
});

Deno.test("headerEdits() applies a rule's status filter, and only every-path rules without a path", () => {
  const rules = compile({
    headers: [
      { glob: "/**", set: { "X-All": "1" } },
      { glob: "**", status: [404], set: { "X-Missing": "1" } },
      { glob: "/a/**", set: { "X-A": "1" } },
    ],
  });
  const names = (path: string | null, status: number) =>
    (headerEdits(rules, path, status) ?? []).flatMap((e) => e.set.map(([n]) => n));
  assert.deepEqual(names("/a/b", 200), ["X-All", "X-A"]);
  assert.deepEqual(names("/a/b", 404), ["X-All", "X-Missing", "X-A"]);
  assert.deepEqual(names("/b", 304), ["X-All"]);
  assert.deepEqual(names(null, 400), ["X-All"]);
  assert.deepEqual(names(null, 404), ["X-All", "X-Missing"]);
});

Deno.test("requestPath() decodes once and normalises; a malformed path has no rule path", () => {
  assert.equal(seen("/a/./b/../caf%C3%A9"), "/a/caf\u00e9");
  assert.equal(seen("/docs/"), "/docs/");
  assert.equal(seen("/"), "/");
  assert.equal(seen("//a//b"), "/a/b");
  assert.equal(seen("/.env"), "/.env");
  assert.equal(seen("/a%2525"), "/a%25");
  assert.equal(requestPath("/../x").kind, "bad");
  assert.equal(requestPath("/%ZZ").kind, "bad");
  assert.equal(requestPath("").kind, "bad");
});

Deno.test("patternGroups() finds names and numbers unnamed groups as URLPattern does", async (t) => {
  const cases: [string, string[], number][] = [
    ["/old/:id/*", ["id"], 1],
    ["/a/:x?/*", ["x"], 1],
    ["/a/(\\d+)/:y(\\w+)*", ["y"], 1],
    ["/{a}*/*", [], 1],
    ["/x\\*y/*", [], 1],
    ["/:a+/:b*", ["a", "b"], 0],
    ["/*/*", [], 2],
  ];
  for (const [pattern, named, unnamed] of cases) {
    await t.step(pattern, () => {
      const groups = patternGroups(pattern);
      assert.deepEqual([...groups.named], named);
      assert.equal(groups.unnamed, unnamed);
      // URLPattern itself names the same groups.
      const keys = Object.keys(
        new URLPattern({ pathname: pattern }).exec({ pathname: sample(pattern) })?.pathname
          .groups ??
          {},
      );
      assert.deepEqual(
        keys.sort(),
        [...named, ...Array.from({ length: unnamed }, (_, i) => String(i))].sort(),
      );
    });
  }
});

/** A path the pattern matches, for the cases above. */
function sample(pattern: string): string {
  return ({
    "/old/:id/*": "/old/1/x",
    "/a/:x?/*": "/a/b/c",
    "/a/(\\d+)/:y(\\w+)*": "/a/1/z",
    "/{a}*/*": "/a/x",
    "/x\\*y/*": "/x*y/z",
    "/:a+/:b*": "/p/q",
    "/*/*": "/p/q",
  } as Record<string, string>)[pattern];
}

Deno.test("matchRedirect() fills in captures and keeps the query", async (t) => {
  const rules = compile({
    redirects: [
      { from: "/old/:id/*", to: "/new/:id/*" },
      { from: "/blog/:y/:m/*", to: "/posts/:0?from=:y#:m", status: 302 },
      { from: "/docs/*", to: "/v2/:0", status: 308 },
      { from: "/ext/:p", to: "https://Example.COM:443/x/:p?a=1#top", status: 307 },
      { from: "/caf\u00e9", to: "/coffee", status: 303 },
    ],
  });
  const cases: [string, string | null, string, number][] = [
    ["/old/42/a/b", null, "/new/42/a/b", 301],
    ["/old/42/a/b", "q=1&r", "/new/42/a/b?q=1&r", 301],
    ["/old/42/", "", "/new/42/?", 301],
    ["/blog/2024/05/hello", "x=1", "/posts/hello?from=2024&x=1#05", 302],
    ["/docs/a/b/", null, "/v2/a/b/", 308],
    ["/ext/a%20b", "k", "https://example.com/x/a%20b?a=1&k#top", 307],
    // Patterns match the decoded path: any spelling of the same path.
    ["/caf%C3%A9", null, "/coffee", 303],
    ["/caf%c3%a9", null, "/coffee", 303],
    ["/x/../caf%C3%A9", null, "/coffee", 303],
    ["/old/caf%C3%A9/x", null, "/new/caf%C3%A9/x", 301],
  ];
  for (const [path, query, location, status] of cases) {
    await t.step(`${path}${query === null ? "" : "?" + query}`, () => {
      assert.deepEqual(matchRedirect(rules, seen(path), query), { location, status });
    });
  }
  assert.equal(matchRedirect(rules, seen("/other"), null), null);
  assert.equal(matchRedirect(rules, seen("/old/42"), null), null, "/old/:id/* needs the slash");
});

Deno.test("matchRedirect() Location never breaks the head nor leaves the site", async (t) => {
  const rules = compile({
    redirects: [
      { from: "/r/*", to: "/*" },
      { from: "/o/:a?/:b", to: "/:a/:b" },
      { from: "/n/:name", to: "/to/:name" },
    ],
  });
  const hostile = [
    "/r/%2F%2Fevil.example/x",
    "/r//evil.example",
    "/o/evil.example",
    "/n/%5B%5D%5E%7C%60%7B%7D%22%3C%3E",
    "/n/a%2525b",
    "/n/%3F%23",
    "/n/%C2%A0%E2%80%A8",
    "/r/%2e%2e/%2e%2e/evil",
  ];
  for (const path of hostile) {
    await t.step(path, () => {
      const rule = requestPath(path);
      if (rule.kind === "bad") return; // refused as a 400 before any rule
      const found = matchRedirect(rules, rule.text, null);
      assert.notEqual(found, null);
      // One leading slash, then only URI characters (RFC 3986 §2): no CR, LF, space or //.
      assert.match(found!.location, /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@\/%]*$/);
    });
  }
  assert.equal(matchRedirect(rules, seen("/o/evil.example"), null)!.location, "/evil.example");
  assert.equal(matchRedirect(rules, seen("/n/a%2525b"), null)!.location, "/to/a%2525b");
  // Line breaks never reach a rule: the path is refused first.
  assert.equal(requestPath("/n/%0D%0ASet-Cookie:x").kind, "bad");
});

Deno.test("withQuery() puts the query after the target's own and before its fragment", () => {
  assert.equal(withQuery("/a", null), "/a");
  assert.equal(withQuery("/a", "b=1"), "/a?b=1");
  assert.equal(withQuery("/a?x=1", "b=1"), "/a?x=1&b=1");
  assert.equal(withQuery("/a#f", "b=1"), "/a?b=1#f");
  assert.equal(withQuery("https://x/a?y#f", "b"), "https://x/a?y&b#f");
});

Deno.test("rewrite() gives the first matching rule's path, still encoded", () => {
  const rules = compile({
    rewrites: [
      { from: "/app/*", to: "/app/index.html" },
      { from: "/u/:name", to: "/users/:name.json" },
      { from: "/u/*", to: "/never" },
    ],
  });
  assert.equal(rewrite(rules, seen("/app/deep/link")), "/app/index.html");
  assert.equal(rewrite(rules, seen("/u/caf%C3%A9")), "/users/caf%C3%A9.json");
  assert.equal(rewrite(rules, seen("/u/a%20b")), "/users/a%20b.json");
  assert.equal(rewrite(rules, seen("/elsewhere")), null);
});

Deno.test("routeRequest() remembers a path's route, at most MAX_RULE_ROUTES of them", () => {
  const rules = compile({ redirects: [{ from: "/old/:id", to: "/new/:id" }] });
  const first = routeRequest(rules, "/old/1");
  assert.equal(routeRequest(rules, "/old/1"), first, "the same object: not matched again");
  assert.equal(first.redirect?.location, "/new/1");
  for (let i = 0; i < MAX_RULE_ROUTES + 10; i++) routeRequest(rules, `/p/${i}`);
  assert.equal(rules.routes.size, MAX_RULE_ROUTES);
  assert.ok(!rules.routes.has("/old/1"), "the oldest path was forgotten first");
  const long = "/" + "a".repeat(MAX_RULE_ROUTE_PATH_CHARS);
  assert.equal(routeRequest(rules, long).seen.kind, "path");
  assert.ok(!rules.routes.has(long), "a very long path is not remembered");
});

Deno.test("routeRequest() of a malformed path: no redirect, no rewrite, only every-path header rules", () => {
  const rules = compile({
    headers: [{ glob: "/**", set: SET }, { glob: "/a/**", set: { "X-B": "1" } }],
    redirects: [{ from: "/*", to: "https://example.com/*" }],
  });
  const route = routeRequest(rules, "/a/%ZZ");
  assert.equal(route.seen.kind, "bad");
  assert.equal(route.redirect, null);
  assert.equal(route.headers.length, 1);
});
