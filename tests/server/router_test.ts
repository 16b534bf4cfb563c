/**
 * The router (src/server/router.ts): the /STOP checks as pure functions, and end to end over real
 * sockets what each request gets: conditional and partial responses, listings, custom error
 * pages, OPTIONS, Cache-Control and CORS.
 */

import assert from "node:assert/strict";
import type { RequestHead } from "../../src/http/request.ts";
import {
  hstsApplies,
  httpsLocation,
  isLocalOrigin,
  isStopAllowed,
} from "../../src/server/router.ts";
import { exchange, get, makeTree, request, splitResponses, startServer } from "../helpers.ts";

const TEXT = "0123456789abcdefghijklmnopqrstuvwxyz"; // 36 bytes

function site(extra: Record<string, string> = {}): Promise<string> {
  return makeTree({
    "t.txt": TEXT,
    "index.html": "home",
    "docs/a.txt": "a",
    "docs/b/": "",
    "empty.txt": "",
    ...extra,
  });
}

Deno.test("file responses carry a strong ETag and Accept-Ranges: bytes", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet"] });
  const res = await request(server.port, get("/t.txt"));
  assert.match(res.headers.get("etag")!, /^"[0-9a-f-]+"$/);
  assert.equal(res.headers.get("accept-ranges"), "bytes");
});

Deno.test("If-None-Match with the current ETag → 304 with the same validators and no body", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet"] });
  const first = await request(server.port, get("/t.txt"));
  const etag = first.headers.get("etag")!;
  const text = await exchange(server.port, get("/t.txt", `If-None-Match: "other", ${etag}\r\n`));
  const [res] = splitResponses(text);
  assert.equal(res.status, 304);
  assert.equal(res.headers.get("etag"), etag);
  assert.equal(res.headers.get("last-modified"), first.headers.get("last-modified"));
  assert.equal(res.headers.has("content-length"), false);
  assert.ok(text.endsWith("\r\n\r\n"), "no body");
});

Deno.test("If-Modified-Since at Last-Modified → 304, but not when If-None-Match is present", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet"] });
  const lm = (await request(server.port, get("/t.txt"))).headers.get("last-modified")!;
  assert.equal(
    (await request(server.port, get("/t.txt", `If-Modified-Since: ${lm}\r\n`))).status,
    304,
  );
  const both = await request(
    server.port,
    get("/t.txt", `If-Modified-Since: ${lm}\r\nIf-None-Match: "x"\r\n`),
  );
  assert.equal(both.status, 200);
});

Deno.test("If-Match and If-Unmodified-Since that fail → 412", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet"] });
  assert.equal((await request(server.port, get("/t.txt", 'If-Match: "nope"\r\n'))).status, 412);
  const old = "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n";
  assert.equal((await request(server.port, get("/t.txt", old))).status, 412);
});

Deno.test("a changed file gets a new ETag, so the old one no longer gives 304", async () => {
  const root = await site();
  await using server = await startServer({ root, args: ["--quiet"] });
  const etag = (await request(server.port, get("/t.txt"))).headers.get("etag")!;
  await Deno.writeTextFile(`${root}/t.txt`, TEXT + "more");
  const res = await request(server.port, get("/t.txt", `If-None-Match: ${etag}\r\n`));
  assert.equal(res.status, 200);
  assert.equal(res.body, TEXT + "more");
});

Deno.test("Range: bytes=a-b, a- and -n → 206 with Content-Range and exactly those bytes", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet"] });
  const cases: [string, string, string][] = [
    ["bytes=0-9", "bytes 0-9/36", "0123456789"],
    ["bytes=30-", "bytes 30-35/36", "uvwxyz"],
    ["bytes=-3", "bytes 33-35/36", "xyz"],
    ["bytes=10-1000", "bytes 10-35/36", TEXT.slice(10)],
  ];
  for (const [range, contentRange, body] of cases) {
    const res = await request(server.port, get("/t.txt", `Range: ${range}\r\n`));
    assert.equal(res.status, 206, range);
    assert.equal(res.headers.get("content-range"), contentRange);
    assert.equal(res.headers.get("content-length"), String(body.length));
    assert.equal(res.body, body);
  }
});

Deno.test("an unsatisfiable range → 416 with Content-Range: bytes */SIZE", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet"] });
  const res = await request(server.port, get("/t.txt", "Range: bytes=100-200\r\n"));
  assert.equal(res.status, 416);
  assert.equal(res.headers.get("content-range"), "bytes */36");
});

Deno.test("a non-bytes unit or an invalid Range header is ignored → 200", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet"] });
  for (const range of ["items=0-1", "bytes=5-1", "bytes=x"]) {
    const res = await request(server.port, get("/t.txt", `Range: ${range}\r\n`));
    assert.equal(res.status, 200, range);
    assert.equal(res.body, TEXT);
  }
});

Deno.test("If-Range with an old ETag or date → the full 200; with the current ETag → 206", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet"] });
  const first = await request(server.port, get("/t.txt"));
  const etag = first.headers.get("etag")!;
  assert.equal(
    (await request(server.port, get("/t.txt", `Range: bytes=0-1\r\nIf-Range: "old"\r\n`))).status,
    200,
  );
  const oldDate = "If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n";
  assert.equal(
    (await request(server.port, get("/t.txt", `Range: bytes=0-1\r\n${oldDate}`))).status,
    200,
  );
  const ok = await request(server.port, get("/t.txt", `Range: bytes=0-1\r\nIf-Range: ${etag}\r\n`));
  assert.equal(ok.status, 206);
  assert.equal(ok.body, "01");
});

Deno.test("several ranges → multipart/byteranges with a random boundary and coalesced parts", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet"] });
  const res = await request(server.port, get("/t.txt", "Range: bytes=30-31,0-1,1-3\r\n"));
  assert.equal(res.status, 206);
  const type = res.headers.get("content-type")!;
  const boundary = /^multipart\/byteranges; boundary=(\S+)$/.exec(type)![1];
  assert.equal(Number(res.headers.get("content-length")), res.body.length);
  assert.equal(
    res.body,
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-3/36\r\n\r\n0123\r\n` +
      `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 30-31/36\r\n\r\nuv\r\n` +
      `--${boundary}--\r\n`,
  );
  const again = await request(server.port, get("/t.txt", "Range: bytes=30-31,0-1\r\n"));
  assert.notEqual(again.headers.get("content-type"), type, "the boundary is not fixed");
});

Deno.test("abusive ranges never make a response larger than the file: 200 instead", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet"] });
  const many = Array.from({ length: 40 }, () => "0-35").join(",");
  const res = await request(server.port, get("/t.txt", `Range: bytes=${many}\r\n`));
  assert.equal(res.status, 200);
  assert.equal(res.body, TEXT);
});

Deno.test("Range on an empty file → 200 with an empty body", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet"] });
  const res = await request(server.port, get("/empty.txt", "Range: bytes=0-10\r\n"));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-length"), "0");
});

Deno.test("HEAD ignores Range and answers the full length", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet"] });
  const text = await exchange(
    server.port,
    "HEAD /t.txt HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-1\r\nConnection: close\r\n\r\n",
  );
  const [res] = splitResponses(text, new Set([0]));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-length"), "36");
});

Deno.test("a 206 of a large file streams exactly the requested slice", async () => {
  const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
  const root = await makeTree({ "big.bin": big });
  await using server = await startServer({ root, args: ["--quiet"] });
  const start = 1_000_003;
  const end = 2_900_000;
  const res = await request(server.port, get("/big.bin", `Range: bytes=${start}-${end}\r\n`));
  assert.equal(res.status, 206);
  assert.equal(res.body.length, end - start + 1);
  for (const offset of [0, 1, 65_536, end - start]) {
    assert.equal(res.body.charCodeAt(offset), (start + offset) % 251, `byte ${offset}`);
  }
});

Deno.test("without --listing a directory without index.html is 404", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet"] });
  assert.equal((await request(server.port, get("/docs/"))).status, 404);
});

Deno.test("--listing lists a directory as HTML, and as JSON for Accept: application/json", async () => {
  const root = await site({ "docs/<i>x&y.txt": "x", "docs/.secret": "s" });
  await using server = await startServer({ root, args: ["--quiet", "--listing"] });
  const html = await request(server.port, get("/docs/"));
  assert.equal(html.status, 200);
  assert.equal(html.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(html.headers.get("vary"), "Accept");
  assert.ok(html.body.includes('<a href="../">../</a>'));
  assert.ok(html.body.includes('<a href="b/">b/</a>'));
  assert.ok(html.body.includes('href="%3Ci%3Ex%26y.txt">&#60;i&#62;x&#38;y.txt</a>'));
  assert.ok(!html.body.includes(".secret"));
  const json = await request(server.port, get("/docs/", "Accept: application/json\r\n"));
  assert.equal(json.headers.get("content-type"), "application/json; charset=utf-8");
  assert.deepEqual(JSON.parse(json.body).entries.map((e: { name: string }) => e.name), [
    "b",
    "<i>x&y.txt",
    "a.txt",
  ]);
  assert.equal((await request(server.port, get("/docs/b/"))).status, 200);
});

Deno.test("--listing sorts by the query, HTML and JSON alike; an unknown sort lists by name", async () => {
  const root = await site({ "docs/big.txt": "x".repeat(100), "docs/mid.txt": "x".repeat(10) });
  await using server = await startServer({ root, args: ["--quiet", "--listing"] });
  const names = async (target: string) => {
    const res = await request(server.port, get(target, "Accept: application/json\r\n"));
    assert.equal(res.status, 200);
    return JSON.parse(res.body).entries.map((e: { name: string }) => e.name);
  };
  assert.deepEqual(await names("/docs/"), ["b", "a.txt", "big.txt", "mid.txt"]);
  assert.deepEqual(await names("/docs/?sort=size&order=desc"), [
    "b",
    "big.txt",
    "mid.txt",
    "a.txt",
  ]);
  assert.deepEqual(await names("/docs/?sort=%3Cx%3E&order=up"), [
    "b",
    "a.txt",
    "big.txt",
    "mid.txt",
  ]);
  const html = await request(server.port, get("/docs/?sort=size&order=desc"));
  assert.equal(html.status, 200);
  assert.ok(html.body.indexOf(">big.txt<") < html.body.indexOf(">mid.txt<"));
  assert.ok(html.body.includes('<a href="b/?sort=size&amp;order=desc">b/</a>'));
  const hostile = await request(server.port, get("/docs/?sort=%22%3E%3Cscript%3E"));
  assert.equal(hostile.status, 200);
  assert.ok(!hostile.body.includes("<script>") && !hostile.body.includes("%22%3E"));
});

Deno.test("--dotfiles allow serves and lists dotfiles", async () => {
  const root = await site({ "docs/.env": "E" });
  await using server = await startServer({
    root,
    args: ["--quiet", "--listing", "--dotfiles", "allow"],
  });
  assert.equal((await request(server.port, get("/docs/.env"))).body, "E");
  assert.ok((await request(server.port, get("/docs/"))).body.includes(".env"));
});

Deno.test("a 404.html in the root is the body of 404 responses, with status 404", async () => {
  const root = await site({
    "404.html": "<h1>custom missing</h1>",
    "403.html": "<h1>custom forbidden</h1>",
  });
  const mkfifo = await new Deno.Command("mkfifo", { args: [`${root}/pipe`] }).output();
  assert.ok(mkfifo.success);
  await using server = await startServer({ root, args: ["--quiet"] });
  const res = await request(server.port, get("/nothing-here"));
  assert.equal(res.status, 404);
  assert.equal(res.body, "<h1>custom missing</h1>");
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  const forbidden = await request(server.port, get("/pipe"));
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.body, "<h1>custom forbidden</h1>");
});

Deno.test("412.html and 416.html are used for files served from memory and streamed from disk alike", async () => {
  const big = "x".repeat(2 * 1024 * 1024); // above the hot-file cache's limit: always read from disk
  const root = await site({
    "412.html": "<h1>custom precondition</h1>",
    "416.html": "<h1>custom range</h1>",
    "big.txt": big,
  });
  await using server = await startServer({ root, args: ["--quiet"] });
  for (const path of ["/t.txt", "/big.txt"]) {
    for (let round = 0; round < 2; round++) {
      const failed = await request(server.port, get(path, 'If-Match: "nope"\r\n'));
      assert.equal(failed.status, 412, path);
      assert.equal(failed.body, "<h1>custom precondition</h1>", path);
      const unsatisfiable = await request(server.port, get(path, "Range: bytes=99999999-\r\n"));
      assert.equal(unsatisfiable.status, 416, path);
      assert.equal(unsatisfiable.body, "<h1>custom range</h1>", path);
    }
  }
});

Deno.test("without a custom page the built-in error page is used", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet"] });
  assert.match((await request(server.port, get("/nothing"))).body, /<h1>404 Not Found<\/h1>/);
});

Deno.test("OPTIONS * and OPTIONS /path → 204 with Allow: GET, HEAD, OPTIONS", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet"] });
  for (const target of ["*", "/t.txt"]) {
    const text = await exchange(
      server.port,
      `OPTIONS ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
    );
    const [res] = splitResponses(text);
    assert.equal(res.status, 204, target);
    assert.equal(res.headers.get("allow"), "GET, HEAD, OPTIONS");
    assert.equal(res.headers.has("content-length"), false);
  }
});

Deno.test("--cache-control sets the header on 200, 206 and 304 file responses only", async () => {
  await using server = await startServer({
    root: await site(),
    args: ["--quiet", "--cache-control", "public, max-age=60"],
  });
  const ok = await request(server.port, get("/t.txt"));
  assert.equal(ok.headers.get("cache-control"), "public, max-age=60");
  const partial = await request(server.port, get("/t.txt", "Range: bytes=0-1\r\n"));
  assert.equal(partial.headers.get("cache-control"), "public, max-age=60");
  const notModified = await request(
    server.port,
    get("/t.txt", `If-None-Match: ${ok.headers.get("etag")}\r\n`),
  );
  assert.equal(notModified.headers.get("cache-control"), "public, max-age=60");
  assert.equal((await request(server.port, get("/missing"))).headers.has("cache-control"), false);
});

Deno.test("--cors adds Access-Control-Allow-Origin: * and answers preflights", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet", "--cors"] });
  assert.equal(
    (await request(server.port, get("/t.txt"))).headers.get("access-control-allow-origin"),
    "*",
  );
  const text = await exchange(
    server.port,
    "OPTIONS /t.txt HTTP/1.1\r\nHost: localhost\r\nOrigin: http://x\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n",
  );
  const [preflight] = splitResponses(text);
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-methods"), "GET, HEAD, OPTIONS");
  assert.match(preflight.headers.get("access-control-allow-headers")!, /Range/);
});

Deno.test("without --cors there is no Access-Control-Allow-Origin", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet"] });
  assert.equal(
    (await request(server.port, get("/t.txt"))).headers.has("access-control-allow-origin"),
    false,
  );
});

Deno.test("connection-level errors use the site's own pages too: 400, 413 and 431 from <status>.html", async () => {
  const root = await site({
    "400.html": "<h1>custom bad request</h1>",
    "413.html": "<h1>custom too large</h1>",
    "431.html": "<h1>custom fields too large</h1>",
  });
  await using server = await startServer({ root, args: ["--quiet"] });
  const bad = await request(server.port, "GET /a b HTTP/1.1\r\nHost: localhost\r\n\r\n");
  assert.equal(bad.status, 400);
  assert.equal(bad.body, "<h1>custom bad request</h1>");
  const large = await request(
    server.port,
    "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999\r\n\r\n",
  );
  assert.equal(large.status, 413);
  assert.equal(large.body, "<h1>custom too large</h1>");
  const fields = await request(
    server.port,
    `GET / HTTP/1.1\r\nHost: localhost\r\nX: ${"a".repeat(20_000)}\r\n\r\n`,
  );
  assert.equal(fields.status, 431);
  assert.equal(fields.body, "<h1>custom fields too large</h1>");
});

Deno.test("isStopAllowed() needs a loopback peer, a local Host and Origin, and no proxy or cross-site mark", async (t) => {
  const head = (fields: Record<string, string>, host: string | null = "localhost:8080") =>
    ({ host, headers: new Map(Object.entries(fields)) }) as unknown as RequestHead;
  const cases: [string, RequestHead, string, boolean][] = [
    ["typed into this machine's browser", head({ "sec-fetch-site": "none" }), "127.0.0.1", true],
    ["curl on this machine", head({}), "::1", true],
    ["from another machine", head({}), "10.0.0.2", false],
    ["without Host (HTTP/1.0)", head({}, null), "127.0.0.1", false],
    ["a foreign Host", head({}, "rebind.example"), "127.0.0.1", false],
    ["cross-site fetch metadata", head({ "sec-fetch-site": "cross-site" }), "127.0.0.1", false],
    ["a foreign Origin", head({ origin: "http://evil.example" }), "127.0.0.1", false],
    ["a local Origin", head({ origin: "http://localhost:8080" }), "127.0.0.1", true],
    ["through a proxy", head({ "x-forwarded-for": "203.0.113.1" }), "127.0.0.1", false],
    ["with Via", head({ via: "1.1 proxy" }), "127.0.0.1", false],
  ];
  for (const [name, request, peer, expected] of cases) {
    await t.step(name, () => assert.equal(isStopAllowed(request, peer), expected));
  }
});

Deno.test("isLocalOrigin() accepts http(s) origins on this machine only", () => {
  assert.equal(isLocalOrigin("http://localhost:8080"), true);
  assert.equal(isLocalOrigin("https://[::1]"), true);
  assert.equal(isLocalOrigin("http://127.0.0.1.nip.io"), false);
  assert.equal(isLocalOrigin("null"), false);
  assert.equal(isLocalOrigin("http://user@localhost"), false);
});

Deno.test("hstsApplies(): HSTS only for domain names — not localhost, *.localhost, IP literals or no Host (RFC 6797 §8.1.1)", () => {
  const cases: [string | null, boolean][] = [
    ["example.com", true],
    ["www.example.com:8443", true],
    ["example.com.", true],
    ["localhost", false],
    ["LOCALHOST:8443", false],
    ["app.localhost", false],
    ["localhost.", false],
    ["127.0.0.1", false],
    ["10.0.0.1:443", false],
    ["[::1]:8443", false],
    ["[2001:db8::1]", false],
    ["", false],
    [null, false],
  ];
  for (const [host, expected] of cases) assert.equal(hstsApplies(host), expected, String(host));
});

Deno.test("httpsLocation(): the Host's name (or the address reached), the HTTPS port unless 443, the target as sent", () => {
  const head = (host: string | null, path: string, query: string | null = null) =>
    ({ host, path, query }) as unknown as RequestHead;
  const cases: [RequestHead, string, number, string][] = [
    [
      head("example.com:8080", "/a/b", "x=1&y"),
      "127.0.0.1",
      8443,
      "https://example.com:8443/a/b?x=1&y",
    ],
    [head("example.com", "/"), "127.0.0.1", 443, "https://example.com/"],
    [head("[::1]:8080", "/%20x"), "::1", 8443, "https://[::1]:8443/%20x"],
    [head("EXAMPLE.com", "/"), "127.0.0.1", 443, "https://example.com/"],
    [head(null, "/x"), "10.0.0.5", 8443, "https://10.0.0.5:8443/x"],
    [head("", "/x"), "2001:db8::5", 443, "https://[2001:db8::5]/x"],
    [head("example.com", "", null), "127.0.0.1", 443, "https://example.com/"],
  ];
  for (const [request, serverIp, port, expected] of cases) {
    assert.equal(httpsLocation(request, serverIp, port), expected);
  }
});
