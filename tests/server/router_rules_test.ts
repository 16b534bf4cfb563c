/**
 * Header, redirect and rewrite rules end to end over real sockets: `-H` through the command line
 * (one isolate and two), and the config file's rules through serve()'s options, as the config
 * file hands them over.
 */

import assert from "node:assert/strict";
import { LogRelay } from "../../src/log/relay.ts";
import type { Rules } from "../../src/server/rules.ts";
import { serve, type ServeOptions } from "../../src/server/serve.ts";
import { makeCertificates } from "../fixtures/certificates.ts";
import {
  exchange,
  get,
  launcher,
  makeTree,
  redirectPortOf,
  request,
  splitResponses,
  startServer,
} from "../helpers.ts";

const TEXT = "0123456789abcdefghijklmnopqrstuvwxyz";
/** Compressible and above MIN_COMPRESS_BYTES, so --compress codes it. */
const PAGE = "<p>" + "compress me ".repeat(100) + "</p>";

function site(extra: Record<string, string> = {}): Promise<string> {
  return makeTree({
    "t.txt": TEXT,
    "page.html": PAGE,
    "dir/index.html": "dir index",
    "app/index.html": "the app",
    "app/other.html": "other",
    "b/x.txt": "from b",
    "c/x.txt": "from c",
    ".env": "SECRET=1",
    ...extra,
  });
}

/** A server from serve() with rules, in this process; disposing it stops it. */
async function serveRules(
  root: string,
  rules: Partial<Rules>,
  extra: Partial<ServeOptions> = {},
): Promise<{ readonly port: number } & AsyncDisposable> {
  const server = await serve({
    root,
    host: "127.0.0.1",
    port: 0,
    logDir: root,
    headerTimeoutS: 10,
    idleTimeoutS: 10,
    protocol: "1.1",
    allowStop: false,
    quiet: true,
    verbose: false,
    colour: false,
    logs: new LogRelay(() => {}, false),
    rules: { headers: [], redirects: [], rewrites: [], ...rules },
    ...extra,
  });
  return { port: server.addr.port, [Symbol.asyncDispose]: () => server.stop() };
}

Deno.test("-H puts its field on every response: 200, 304, 404, 405, a router 400 and a parser 400", async () => {
  await using server = await startServer({
    root: await site(),
    args: ["--quiet", "-H", "X-Test: yes"],
  });
  const ok = await request(server.port, get("/t.txt"));
  assert.equal(ok.headers.get("x-test"), "yes");
  const etag = ok.headers.get("etag")!;
  const cases = [
    get("/t.txt", `If-None-Match: ${etag}\r\n`),
    get("/nope"),
    "POST /t.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    get("/../t.txt"),
    // An invalid escape is refused by the parser, before the router: the connection answers.
    get("/%ZZ"),
  ];
  const statuses = [];
  for (const raw of cases) {
    const res = await request(server.port, raw);
    statuses.push(res.status);
    assert.equal(res.headers.get("x-test"), "yes", `${res.status}`);
  }
  assert.deepEqual(statuses, [304, 404, 405, 400, 400]);
});

Deno.test("-H puts its field on a 401 of --auth, and a redirect rule waits for the credentials", async () => {
  const hash = "$2b$10$jYac00ewhhb6fYi2GLz7UunzzpwdYGpghE6scMDwa3teHgXYVQnDG";
  await using server = await serveRules(
    await site(),
    {
      headers: [{ glob: "/**", set: { "X-Test": "yes" } }],
      redirects: [{ from: "/old", to: "/t.txt" }],
    },
    { auth: { users: [{ user: "alice", hash }], realm: "sockserve" } },
  );
  const refused = await request(server.port, get("/old"));
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get("x-test"), "yes");
  assert.equal(refused.headers.has("location"), false);
});

Deno.test("-H rules reach every serving isolate (--workers 2)", async () => {
  await using server = await startServer({
    root: await site(),
    args: ["--quiet", "--workers", "2", "-H", "X-Test: yes"],
  });
  for (let i = 0; i < 20; i++) {
    assert.equal((await request(server.port, get("/t.txt"))).headers.get("x-test"), "yes", `#${i}`);
  }
});

Deno.test("rules from a config file reach every serving isolate (--workers 2)", async () => {
  const root = await site();
  const config = `${await Deno.makeTempDir({ prefix: "sockserve-config-" })}/site.toml`;
  await Deno.writeTextFile(
    config,
    `header = ["X-Test: yes"]

[[headers]]
glob = "**/*.txt"
set = { "Cache-Control" = "max-age=60" }

[[redirects]]
from = "/old/:id"
to = "/new/:id"
status = 307

[[rewrites]]
from = "/app/*"
to = "/app/index.html"
`,
  );
  await using server = await startServer({
    root,
    args: ["--quiet", "--workers", "2", "--config", config],
  });
  for (let i = 0; i < 10; i++) {
    const file = await request(server.port, get("/t.txt"));
    assert.equal(file.headers.get("x-test"), "yes", `#${i}`);
    assert.equal(file.headers.get("cache-control"), "max-age=60", `#${i}`);
    const moved = await request(server.port, get("/old/7?a=b"));
    assert.equal(moved.status, 307, `#${i}`);
    assert.equal(moved.headers.get("location"), "/new/7?a=b");
    assert.equal((await request(server.port, get("/app/x/y"))).body, "the app", `#${i}`);
  }
});

Deno.test("-H also edits the plain port's 308 to HTTPS (--https-redirect-port)", async () => {
  const certs = await makeCertificates();
  await using server = await startServer({
    root: await site(),
    args: [
      ...["--tls-cert", certs.cert, "--tls-key", certs.key, "--https-redirect-port", "0"],
      ...["--quiet", "-H", "X-Test: yes"],
    ],
  });
  const port = await redirectPortOf(server);
  const moved = await request(port, get("/t.txt"));
  assert.equal(moved.status, 308);
  assert.equal(moved.headers.get("x-test"), "yes");
});

Deno.test("a bad -H stops sockserve before it listens: one line, exit code 2", async () => {
  const root = await site();
  const [cmd, ...args] = launcher(["--allow-all"], ["--root", root, "-H", "Content-Length: 1"]);
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  assert.equal(out.code, 2);
  const stderr = new TextDecoder().decode(out.stderr).trim();
  assert.match(stderr, /^-H "Content-Length: 1": Content-Length cannot be set/);
  assert.equal(stderr.split("\n").length, 1);
});

Deno.test("serve() refuses rules checkRules refuses, with a TypeError naming the rule", async () => {
  const root = await site();
  await assert.rejects(
    serveRules(root, { headers: [{ glob: "/**", set: { "Transfer-Encoding": "chunked" } }] }),
    (error: Error) =>
      error instanceof TypeError && /headers\.0\.set\.Transfer-Encoding/.test(error.message),
  );
});

Deno.test("a header rule's status filter picks the responses it edits", async () => {
  await using server = await serveRules(await site(), {
    headers: [
      { glob: "/**", status: [404], set: { "X-Missing": "1" } },
      { glob: "/t.txt", status: [200], set: { "X-Ok": "1" } },
    ],
  });
  const ok = await request(server.port, get("/t.txt"));
  assert.equal(ok.headers.get("x-ok"), "1");
  assert.equal(ok.headers.has("x-missing"), false);
  const missing = await request(server.port, get("/nope"));
  assert.equal(missing.headers.get("x-missing"), "1");
  assert.equal(missing.headers.has("x-ok"), false);
  const notModified = await request(
    server.port,
    get("/t.txt", `If-None-Match: ${ok.headers.get("etag")}\r\n`),
  );
  assert.equal(notModified.status, 304);
  assert.equal(notModified.headers.has("x-ok") || notModified.headers.has("x-missing"), false);
});

Deno.test("a header rule removes Last-Modified from 200 and 304, and ETag still revalidates", async () => {
  await using server = await serveRules(await site(), {
    headers: [{
      glob: "**/*.txt",
      remove: ["Last-Modified"],
      set: { "Cache-Control": "no-cache" },
    }],
  });
  const ok = await request(server.port, get("/t.txt"));
  assert.equal(ok.headers.has("last-modified"), false);
  assert.equal(ok.headers.get("cache-control"), "no-cache");
  const again = await request(
    server.port,
    get("/t.txt", `If-None-Match: ${ok.headers.get("etag")}\r\n`),
  );
  assert.equal(again.status, 304);
  assert.equal(again.headers.has("last-modified"), false);
  assert.equal(again.headers.get("cache-control"), "no-cache");
  // Another path keeps its validators.
  assert.equal((await request(server.port, get("/page.html"))).headers.has("last-modified"), true);
});

Deno.test("a set Vary merges with --compress's Vary: Accept-Encoding, on 200 and 304", async () => {
  await using server = await serveRules(
    await site(),
    { headers: [{ glob: "/**", set: { Vary: "Origin" } }] },
    { compress: true },
  );
  const gzip = "Accept-Encoding: gzip\r\n";
  const ok = await request(server.port, get("/page.html", gzip));
  assert.equal(ok.headers.get("content-encoding"), "gzip");
  assert.equal(ok.headers.get("vary"), "Accept-Encoding, Origin");
  assert.equal((ok.head.match(/^vary:/gim) ?? []).length, 1, "one Vary field");
  const again = await request(
    server.port,
    get("/page.html", `${gzip}If-None-Match: ${ok.headers.get("etag")}\r\n`),
  );
  assert.equal(again.status, 304);
  assert.equal(again.headers.get("vary"), "Accept-Encoding, Origin");
});

Deno.test("a rule for one path never reaches another path to the same file through the wire image", async () => {
  await using server = await serveRules(await site(), {
    headers: [{ glob: "/dir/index.html", set: { "X-Named": "1" } }],
  });
  // Same file, same second, kept-alive and not: the wire image is per file, the rule per path.
  const text = await exchange(
    server.port,
    "GET /dir/index.html HTTP/1.1\r\nHost: localhost\r\n\r\n" +
      "GET /dir/ HTTP/1.1\r\nHost: localhost\r\n\r\n" +
      "GET /dir/index.html HTTP/1.1\r\nHost: localhost\r\n\r\n" +
      "GET /dir/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
  );
  const named = splitResponses(text).map((r) => r.headers.get("x-named") ?? null);
  assert.deepEqual(named, ["1", null, "1", null]);
  const first = await request(server.port, get("/dir/"));
  assert.equal(first.headers.has("x-named"), false);
});

Deno.test("redirects answer each status with the captured groups and the query kept", async () => {
  const statuses = [301, 302, 303, 307, 308] as const;
  await using server = await serveRules(await site(), {
    redirects: statuses.map((status) => ({ from: `/s${status}/:id/*`, to: `/new/:id/*`, status })),
  });
  for (const status of statuses) {
    const res = await request(server.port, get(`/s${status}/42/a/b.txt?q=1&r=%20`));
    assert.equal(res.status, status);
    assert.equal(res.headers.get("location"), "/new/42/a/b.txt?q=1&r=%20");
    assert.match(res.body, /\/new\/42\/a\/b\.txt/);
  }
  const head = await exchange(
    server.port,
    "HEAD /s301/1/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
  );
  assert.match(head, /^HTTP\/1\.1 301 /);
  assert.ok(head.endsWith("\r\n\r\n"), "HEAD gets no body");
});

Deno.test("a redirect without a status is a 301, and matches any spelling of the path", async () => {
  await using server = await serveRules(await site(), {
    redirects: [{ from: "/caf\u00e9/:page", to: "/coffee/:page" }],
  });
  for (const path of ["/caf%C3%A9/menu", "/caf%c3%a9/menu", "/x/../caf%C3%A9/./menu"]) {
    const res = await request(server.port, get(path));
    assert.equal(res.status, 301, path);
    assert.equal(res.headers.get("location"), "/coffee/menu");
  }
});

Deno.test("a redirect is checked before the resolver, after the Host policy and the method", async () => {
  await using server = await serveRules(await site(), {
    redirects: [{ from: "/t.txt", to: "/page.html" }],
  });
  const res = await request(server.port, get("/t.txt"));
  assert.equal(res.status, 301, "an existing file is redirected");
  const elsewhere = await request(
    server.port,
    "GET /t.txt HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
  );
  assert.equal(elsewhere.status, 421);
  const post = await request(
    server.port,
    "POST /t.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
  );
  assert.equal(post.status, 405);
});

Deno.test("a redirect's Location never names another host, whatever the request path", async () => {
  await using server = await serveRules(await site(), {
    redirects: [{ from: "/r/*", to: "/*" }, { from: "/o/:a?/:b", to: "/:a/:b" }],
  });
  for (const path of ["/r//evil.example/x", "/r/%2F%2Fevil.example", "/o/evil.example"]) {
    const res = await request(server.port, get(path));
    assert.equal(res.status, 301, path);
    assert.match(res.headers.get("location")!, /^\/evil\.example/, path);
  }
});

Deno.test("a rewrite serves another file at the same URL; header rules match the URL asked for", async () => {
  await using server = await serveRules(await site(), {
    headers: [
      { glob: "/app/**", set: { "X-App": "1" } },
      { glob: "/app/index.html", set: { "X-Target": "1" } },
    ],
    rewrites: [{ from: "/app/*", to: "/app/index.html" }],
  });
  const res = await request(server.port, get("/app/deep/link?x=1"));
  assert.equal(res.status, 200);
  assert.equal(res.body, "the app");
  assert.equal(res.headers.get("x-app"), "1");
  assert.equal(res.headers.has("x-target"), false);
  // Every path under the pattern is rewritten, files included.
  assert.equal((await request(server.port, get("/app/other.html"))).body, "the app");
});

Deno.test("a rewrite happens once: its target is not rewritten again", async () => {
  await using server = await serveRules(await site(), {
    rewrites: [{ from: "/a/*", to: "/b/*" }, { from: "/b/*", to: "/c/*" }],
  });
  assert.equal((await request(server.port, get("/a/x.txt"))).body, "from b");
  assert.equal((await request(server.port, get("/b/x.txt"))).body, "from c");
});

Deno.test("a rewrite whose target climbs above the root is a 400, like such a request", async () => {
  const parent = await makeTree({ "site/t.txt": TEXT, "outside.txt": "OUTSIDE" });
  await using server = await serveRules(`${parent}/site`, {
    // `..txt` captures "." as :a, so the target is /../outside.txt.
    rewrites: [{ from: "/up/:a.txt", to: "/:a./outside.txt" }],
  });
  const res = await request(server.port, get("/up/..txt"));
  assert.equal(res.status, 400);
  assert.ok(!res.body.includes("OUTSIDE"));
});

Deno.test("a rewrite to a dotfile is a 404, like such a request, unless dotfiles are served", async () => {
  const root = await site();
  const rewrites = [{ from: "/x/:name", to: "/.:name" }];
  {
    await using server = await serveRules(root, { rewrites });
    const res = await request(server.port, get("/x/env"));
    assert.equal(res.status, 404);
    assert.ok(!res.body.includes("SECRET"));
  }
  await using open = await serveRules(root, { rewrites }, { dotfiles: true });
  assert.equal((await request(open.port, get("/x/env"))).body, "SECRET=1");
});

Deno.test("a request the parser refuses gets the rules for every path, not those for its path", async () => {
  await using server = await serveRules(await site(), {
    headers: [{ glob: "/**", set: { "X-All": "1" } }, { glob: "/t.txt", set: { "X-T": "1" } }],
  });
  const res = await request(
    server.port,
    "GET /t.txt HTTP/1.1\r\nHost: localhost\r\nHost: localhost\r\n\r\n",
  );
  assert.equal(res.status, 400);
  assert.equal(res.headers.get("x-all"), "1");
  assert.equal(res.headers.has("x-t"), false);
});
