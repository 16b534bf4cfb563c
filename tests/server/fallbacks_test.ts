/**
 * Fallbacks (src/server/fallbacks.ts): which paths get the SPA shell and where clean URLs lead,
 * as pure tables; then end to end over real sockets: `--spa[=FILE]` and `--clean-urls` with
 * conditional and range requests, custom 404 pages, listings, compression, confinement and
 * worker isolates.
 */

import assert from "node:assert/strict";
import zlib from "node:zlib";
import {
  cleanRedirect,
  htmlSibling,
  isIndexName,
  isSpaRoute,
  shellSettings,
  spaFileProblem,
} from "../../src/server/fallbacks.ts";
import type { NormalizedPath } from "../../src/server/resolver.ts";
import { type Representation, WireCache } from "../../src/server/representation.ts";
import { representationReply } from "../../src/server/responder.ts";
import {
  exchange,
  get,
  launcher,
  makeTree,
  request,
  splitResponses,
  startServer,
} from "../helpers.ts";

/** A normalised path from its text (tests only use plain names). */
function p(text: string): NormalizedPath {
  const segments = text.split("/").filter((s) => s !== "");
  return { kind: "path", segments, directory: text.endsWith("/") };
}

// ── Pure decisions ───────────────────────────────────────────────────────────────────────────

Deno.test("isSpaRoute() takes a last segment without a dot or ending in .html", async (t) => {
  const table: [string, boolean][] = [
    ["/deep/route", true],
    ["/users/42", true],
    ["/", true],
    ["/about/", true],
    ["/old/page.html", true],
    ["/OLD.HTML", true],
    ["/assets/a.1.js", false],
    ["/favicon.ico", false],
    ["/v1.2", false],
    ["/a.js/", false],
    ["/docs.v2/route", true],
    ["/page.htm", false],
    ["/x.html.map", false],
  ];
  for (const [path, expected] of table) {
    await t.step(`${path} → ${expected}`, () => assert.equal(isSpaRoute(p(path)), expected));
  }
});

Deno.test("htmlSibling() is <path>.html for a name, never for a folder or an .html name", async (t) => {
  const table: [string, string[] | null][] = [
    ["/about", ["about.html"]],
    ["/docs/intro", ["docs", "intro.html"]],
    ["/jquery.min", ["jquery.min.html"]],
    ["/index", ["index.html"]],
    ["/about/", null],
    ["/", null],
    ["/about.html", null],
  ];
  for (const [path, expected] of table) {
    await t.step(path, () => {
      const sibling = htmlSibling(p(path));
      assert.deepEqual(sibling?.segments ?? null, expected);
      if (sibling !== null) assert.equal(sibling.directory, false);
    });
  }
});

Deno.test("cleanRedirect() strips .html, sends index.html to its folder, keeps the query", async (t) => {
  const table: [string, string | null, string | null, string[] | null][] = [
    ["/about.html", "q=1", "/about?q=1", ["about"]],
    ["/docs/intro.html", null, "/docs/intro", ["docs", "intro"]],
    ["/a.b.html", null, "/a.b", ["a.b"]],
    ["/docs/index.html", "x", "/docs/?x", null],
    ["/index.html", null, "/", null],
    ["/sp ace.html", null, "/sp%20ace", ["sp ace"]],
    ["/about", null, null, null],
    ["/about.html/", null, null, null],
    ["/.html", null, null, null],
    ["/.x.html", null, null, null],
    ["/", null, null, null],
  ];
  for (const [path, query, location, unless] of table) {
    await t.step(`${path}${query === null ? "" : "?" + query}`, () => {
      const moved = cleanRedirect(p(path), query);
      assert.equal(moved?.location ?? null, location);
      assert.deepEqual(moved?.unless?.segments ?? null, unless);
    });
  }
});

Deno.test("isIndexName() is a folder's page by its short name", () => {
  assert.equal(isIndexName(p("/docs/index")), true);
  assert.equal(isIndexName(p("/index")), true);
  assert.equal(isIndexName(p("/indexes")), false);
  assert.equal(isIndexName(p("/")), false);
});

Deno.test("spaFileProblem() wants /path/to/file: no .., no dotfile, no folder", async (t) => {
  const table: [string, RegExp | null][] = [
    ["/index.html", null],
    ["/app/shell.html", null],
    ["/app shell.html", null],
    ["index.html", /start with "\/"/],
    ["", /start with "\/"/],
    ["/", /name a file/],
    ["/app/", /name a file/],
    ["//index.html", /name a file/],
    ["/../index.html", /"\.\."/],
    ["/a/./index.html", /"\.\."/],
    ["/.env", /dotfile/],
    ["/.git/index.html", /dotfile/],
    ["/a\\b.html", /backslash/],
    ["/a\nb.html", /control/],
  ];
  for (const [file, problem] of table) {
    await t.step(JSON.stringify(file), () => {
      const found = spaFileProblem(file);
      if (problem === null) assert.equal(found, null);
      else assert.match(found ?? "", problem);
    });
  }
});

Deno.test("shellSettings() is null without a file; else FILE's path, key and no-cache", () => {
  assert.equal(shellSettings(null, {}), null);
  assert.equal(shellSettings(undefined, {}), null);
  const shell = shellSettings("/app/my shell.html", {})!;
  assert.deepEqual(shell.path, {
    kind: "path",
    segments: ["app", "my shell.html"],
    directory: false,
  });
  assert.equal(shell.key, "app/my shell.html");
  assert.deepEqual(shell.options, { cacheControl: "no-cache" });
  assert.deepEqual(shell.varyOptions, { cacheControl: "no-cache", vary: true });
  assert.throws(() => shellSettings("/../x.html", {}), TypeError);
  assert.throws(() => shellSettings("/CON.html", { windows: true }), TypeError);
});

/** A representation in memory, as the hot-file cache holds it. */
function memoryRep(): Representation {
  const bytes = new TextEncoder().encode("<!doctype html><title>shell</title>");
  return {
    contentType: "text/html; charset=utf-8",
    size: bytes.length,
    validators: { etag: '"1-2-3"', lastModifiedMs: 0 },
    source: { kind: "memory", bytes },
    wire: new WireCache(),
  };
}

Deno.test("shellSettings().wrap() gives FILE's bytes and validators their own wire cache, once", () => {
  const shell = shellSettings("/index.html", {})!;
  const rep = memoryRep();
  const copy = shell.wrap(rep);
  assert.notEqual(copy.wire, rep.wire);
  assert.equal(shell.wrap(rep), copy, "one copy per representation");
  assert.equal(copy.source, rep.source);
  assert.equal(copy.validators, rep.validators);
  const streamed: Representation = { ...rep, wire: undefined };
  assert.equal(shell.wrap(streamed), streamed, "a streamed shell has nothing to share");
});

Deno.test("the shell's prebuilt 200 and FILE's own never stand in for each other, interleaved", () => {
  // Two connections: FILE's own URL and a route that gets the shell, each reply built before
  // either connection turns it into bytes (the cold path awaits in between).
  const shell = shellSettings("/index.html", {})!;
  const rep = memoryRep();
  const own = { cacheControl: "max-age=31536000, immutable" };
  const plain = { method: "GET", headers: new Map<string, string>() };
  const fileReply = representationReply(rep, plain, own);
  const shellReply = representationReply(shell.wrap(rep), plain, shell.options);
  const image = (reply: typeof fileReply) =>
    reply.wire!.get("date", true, () => {
      const head = reply.headers.map(([n, v]) => `${n}: ${v}`).join("\r\n");
      return { head, bytes: new TextEncoder().encode(head) };
    }).head;
  assert.match(image(fileReply), /Cache-Control: max-age=31536000, immutable/);
  assert.match(image(shellReply), /Cache-Control: no-cache/);
  assert.match(image(fileReply), /Cache-Control: max-age=31536000, immutable/);
});

// ── End to end ────────────────────────────────────────────────────────────────────────────────

const SHELL = "<!doctype html><title>app shell</title><div id=app></div>\n";

function spaSite(extra: Record<string, string> = {}): Promise<string> {
  return makeTree({
    "index.html": SHELL,
    "404.html": "custom not found\n",
    "about.html": "about page\n",
    "assets/app.1a2b.js": "console.log(1);\n",
    ".env": "SECRET=1\n",
    ...extra,
  });
}

/** The headers of a response without Date (which may tick between two requests). */
function fields(headers: Map<string, string>): [string, string][] {
  return [...headers].filter(([name]) => name !== "date");
}

Deno.test("--spa: a missing route gets the shell with 200, no-cache and FILE's validators", async () => {
  await using server = await startServer({
    root: await spaSite(),
    args: ["--quiet", "--spa", "--cache-control", "max-age=31536000, immutable"],
  });
  const own = await request(server.port, get("/index.html"));
  const res = await request(server.port, get("/deep/route?tab=2"));
  assert.equal(res.status, 200);
  assert.equal(res.body, SHELL);
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(res.headers.get("cache-control"), "no-cache");
  assert.equal(res.headers.get("etag"), own.headers.get("etag"));
  assert.equal(res.headers.get("last-modified"), own.headers.get("last-modified"));
  // FILE's own URL keeps --cache-control, before and after the shell was served.
  assert.equal(own.headers.get("cache-control"), "max-age=31536000, immutable");
  const again = await request(server.port, get("/index.html"));
  assert.equal(again.headers.get("cache-control"), "max-age=31536000, immutable");
  assert.equal((await request(server.port, get("/missing.html"))).body, SHELL);
});

Deno.test("--spa: HEAD to a route gets exactly the headers GET gets, and no body", async () => {
  await using server = await startServer({ root: await spaSite(), args: ["--quiet", "--spa"] });
  const got = await request(server.port, get("/deep/route"));
  const text = await exchange(
    server.port,
    "HEAD /deep/route HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
  );
  const [head] = splitResponses(text, new Set([0]));
  assert.equal(head.status, 200);
  assert.deepEqual(fields(head.headers), fields(got.headers));
  assert.ok(text.endsWith("\r\n\r\n"), "no body");
});

Deno.test("--spa: a missing asset keeps 404 with the custom 404.html, GET and HEAD", async () => {
  await using server = await startServer({ root: await spaSite(), args: ["--quiet", "--spa"] });
  for (const path of ["/assets/a.1.js", "/favicon.ico", "/assets/app.1a2b.css"]) {
    const res = await request(server.port, get(path));
    assert.equal(res.status, 404, path);
    assert.equal(res.body, "custom not found\n");
    assert.equal(res.headers.has("cache-control"), false);
  }
  const head = await request(
    server.port,
    "HEAD /assets/a.1.js HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
  );
  assert.equal(head.status, 404);
});

Deno.test("--spa: dotfiles, 400, 403, 405 and 421 keep their answer", async () => {
  const root = await spaSite({ "private/": "" });
  await Deno.chmod(`${root}/private`, 0o000);
  const fifo = await new Deno.Command("mkfifo", { args: [`${root}/pipe`] }).output();
  try {
    await using server = await startServer({ root, args: ["--quiet", "--spa"] });
    for (const path of ["/.env", "/.git/config", "/.well-known/route"]) {
      const res = await request(server.port, get(path));
      assert.equal(res.status, 404, path);
      assert.equal(res.body, "custom not found\n");
    }
    assert.equal((await request(server.port, get("/%ff"))).status, 400);
    assert.equal((await request(server.port, get("/../etc/passwd"))).status, 400);
    if (fifo.success) assert.equal((await request(server.port, get("/pipe"))).status, 403);
    if (Deno.uid() !== 0) {
      assert.equal((await request(server.port, get("/private/route"))).status, 403);
    }
    const post = await request(
      server.port,
      "POST /deep/route HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert.equal(post.status, 405);
    const misdirected = await request(
      server.port,
      "GET /deep/route HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    );
    assert.equal(misdirected.status, 421);
  } finally {
    await Deno.chmod(`${root}/private`, 0o755);
  }
});

Deno.test("--spa: If-None-Match with the shell's ETag → 304 with no-cache and no body", async () => {
  await using server = await startServer({ root: await spaSite(), args: ["--quiet", "--spa"] });
  const etag = (await request(server.port, get("/deep/route"))).headers.get("etag")!;
  const text = await exchange(server.port, get("/other/route", `If-None-Match: ${etag}\r\n`));
  const [res] = splitResponses(text);
  assert.equal(res.status, 304);
  assert.equal(res.headers.get("etag"), etag);
  assert.equal(res.headers.get("cache-control"), "no-cache");
  assert.ok(text.endsWith("\r\n\r\n"));
  const lm = (await request(server.port, get("/x"))).headers.get("last-modified")!;
  assert.equal((await request(server.port, get("/y", `If-Modified-Since: ${lm}\r\n`))).status, 304);
});

Deno.test("--spa: a range of the shell → 206 with Content-Range", async () => {
  await using server = await startServer({ root: await spaSite(), args: ["--quiet", "--spa"] });
  const res = await request(server.port, get("/deep/route", "Range: bytes=0-14\r\n"));
  assert.equal(res.status, 206);
  assert.equal(res.headers.get("content-range"), `bytes 0-14/${SHELL.length}`);
  assert.equal(res.body, SHELL.slice(0, 15));
  assert.equal(res.headers.get("cache-control"), "no-cache");
});

Deno.test("--spa=/app.html serves that file; a folder without index stays 404", async () => {
  await using server = await startServer({
    root: await spaSite({ "app.html": "the app\n", "empty/": "" }),
    args: ["--quiet", "--spa=/app.html"],
  });
  assert.equal((await request(server.port, get("/deep/route"))).body, "the app\n");
  assert.equal((await request(server.port, get("/"))).body, SHELL);
  const folder = await request(server.port, get("/empty/"));
  assert.equal(folder.status, 404);
  assert.equal(folder.body, "custom not found\n");
});

Deno.test("--spa with --listing: a folder is listed or redirected, never the shell", async () => {
  await using server = await startServer({
    root: await spaSite({ "files/a.txt": "a" }),
    args: ["--quiet", "--spa", "--listing"],
  });
  const moved = await request(server.port, get("/files"));
  assert.equal(moved.status, 301);
  assert.equal(moved.headers.get("location"), "/files/");
  const listing = await request(server.port, get("/files/"));
  assert.equal(listing.status, 200);
  assert.match(listing.body, /a\.txt/);
  assert.equal((await request(server.port, get("/files/route"))).body, SHELL);
});

Deno.test("--spa: a shell that turns into a link out of the root is not served", async () => {
  const outside = await makeTree({ "secret.html": "outside the root\n" });
  const root = await spaSite();
  await using server = await startServer({ root, args: ["--quiet", "--spa"] });
  assert.equal((await request(server.port, get("/deep/route"))).body, SHELL);
  await Deno.remove(`${root}/index.html`);
  await Deno.symlink(`${outside}/secret.html`, `${root}/index.html`);
  const res = await request(server.port, get("/deep/route"));
  assert.equal(res.status, 404);
  assert.equal(res.body, "custom not found\n");
});

Deno.test("--spa with --compress: the shell is compressed, with Vary and no-cache", async () => {
  const page = `<!doctype html><title>app</title>${"<p>shell</p>".repeat(200)}\n`;
  await using server = await startServer({
    root: await spaSite({ "index.html": page }),
    args: ["--quiet", "--spa", "--compress", "--cache-control", "max-age=60"],
  });
  const res = await request(server.port, get("/deep/route", "Accept-Encoding: gzip\r\n"));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-encoding"), "gzip");
  assert.equal(res.headers.get("vary"), "Accept-Encoding");
  assert.equal(res.headers.get("cache-control"), "no-cache");
  const own = await request(server.port, get("/index.html", "Accept-Encoding: gzip\r\n"));
  assert.equal(own.headers.get("cache-control"), "max-age=60");
  assert.equal(own.headers.get("content-encoding"), "gzip");
  const plain = await request(server.port, get("/deep/route"));
  assert.equal(plain.body, page);
  assert.equal(plain.headers.get("vary"), "Accept-Encoding");
});

Deno.test("--spa with --precompressed: the shell's index.html.br is sent for br", async () => {
  const root = await spaSite();
  await Deno.writeFile(`${root}/index.html.br`, zlib.brotliCompressSync(SHELL));
  await using server = await startServer({ root, args: ["--quiet", "--spa", "--precompressed"] });
  const res = await request(server.port, get("/deep/route", "Accept-Encoding: br\r\n"));
  assert.equal(res.headers.get("content-encoding"), "br");
  assert.equal(res.headers.get("cache-control"), "no-cache");
  assert.equal(res.headers.get("vary"), "Accept-Encoding");
});

Deno.test("--spa with --workers 2: every isolate serves the shell", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  await using server = await startServer({
    root: await spaSite(),
    args: ["--quiet", "--spa", "--clean-urls", "--workers", "2"],
  });
  assert.match(server.stdout(), /2 serving isolates/);
  const answers = await Promise.all(
    Array.from({ length: 16 }, (_, i) => request(server.port, get(`/route/${i}`))),
  );
  for (const res of answers) {
    assert.equal(res.status, 200);
    assert.equal(res.body, SHELL);
    assert.equal(res.headers.get("cache-control"), "no-cache");
  }
  assert.equal((await request(server.port, get("/about"))).body, "about page\n");
});

Deno.test("--spa=/missing.html, a folder or a link out of the root: one line and exit 2", async () => {
  const outside = await makeTree({ "shell.html": "outside\n" });
  const root = await spaSite({ "app/index.html": "app" });
  await Deno.symlink(`${outside}/shell.html`, `${root}/link.html`);
  const logDir = await Deno.makeTempDir();
  const cases: [string, RegExp][] = [
    ["--spa=/missing.html", /^--spa file \/missing\.html is not a file inside the root/],
    ["--spa=/app", /^--spa file \/app is a folder/],
    ["--spa=/link.html", /^--spa file \/link\.html is not a file inside the root/],
    ["--spa=app.html", /^--spa takes a file from the root after "="/],
  ];
  for (const [flag, message] of cases) {
    const [cmd, ...args] = launcher(["--allow-all"], [
      "-p",
      "0",
      "-d",
      root,
      "--log-dir",
      logDir,
      flag,
    ]);
    // A server that starts instead of refusing is killed after a generous bound: it failed.
    const signal = AbortSignal.timeout(20_000);
    const out = await new Deno.Command(cmd, { args, stdin: "null", signal }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, flag);
    assert.match(stderr, message);
    assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
  }
});

// ── Clean URLs ──────────────────────────────────────────────────────────────────────────────

function cleanSite(extra: Record<string, string> = {}): Promise<string> {
  return makeTree({
    "index.html": "home\n",
    "404.html": "custom not found\n",
    "about.html": "about page\n",
    "docs/index.html": "docs home\n",
    "docs/intro.html": "intro\n",
    "both.html": "both as a page\n",
    "both/index.html": "both as a folder\n",
    "same": "a file without extension\n",
    "same.html": "same as a page\n",
    ...extra,
  });
}

Deno.test("--clean-urls: /about serves about.html; /about.html?q=1 → 301 /about?q=1", async () => {
  await using server = await startServer({
    root: await cleanSite(),
    args: ["--quiet", "--clean-urls"],
  });
  const page = await request(server.port, get("/about"));
  assert.equal(page.status, 200);
  assert.equal(page.body, "about page\n");
  assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
  const moved = await request(server.port, get("/about.html?q=1"));
  assert.equal(moved.status, 301);
  assert.equal(moved.headers.get("location"), "/about?q=1");
  const head = await request(
    server.port,
    "HEAD /docs/intro.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
  );
  assert.equal(head.status, 301);
  assert.equal(head.headers.get("location"), "/docs/intro");
  assert.equal((await request(server.port, get("/docs/intro"))).body, "intro\n");
});

Deno.test("--clean-urls: a folder and a same-named .html → the folder wins, no loop", async () => {
  await using server = await startServer({
    root: await cleanSite(),
    args: ["--quiet", "--clean-urls"],
  });
  const folder = await request(server.port, get("/both"));
  assert.equal(folder.status, 301);
  assert.equal(folder.headers.get("location"), "/both/");
  assert.equal((await request(server.port, get("/both/"))).body, "both as a folder\n");
  // The page keeps its .html address: redirecting it to /both would lead to the folder.
  const page = await request(server.port, get("/both.html"));
  assert.equal(page.status, 200);
  assert.equal(page.body, "both as a page\n");
  // An exact file wins the same way.
  assert.equal((await request(server.port, get("/same"))).body, "a file without extension\n");
  assert.equal((await request(server.port, get("/same.html"))).status, 200);
});

Deno.test("--clean-urls: a folder's index.html and /index → 301 to the folder", async () => {
  await using server = await startServer({
    root: await cleanSite(),
    args: ["--quiet", "--clean-urls"],
  });
  const cases: [string, string][] = [
    ["/docs/index.html", "/docs/"],
    ["/docs/index.html?a=b", "/docs/?a=b"],
    ["/docs/index", "/docs/"],
    ["/index.html", "/"],
    ["/index", "/"],
  ];
  for (const [path, location] of cases) {
    const res = await request(server.port, get(path));
    assert.equal(res.status, 301, path);
    assert.equal(res.headers.get("location"), location, path);
  }
  assert.equal((await request(server.port, get("/docs/"))).body, "docs home\n");
  assert.equal((await request(server.port, get("/"))).body, "home\n");
});

Deno.test("--clean-urls: only a page really served moves; missing ones keep 404", async () => {
  await using server = await startServer({
    root: await cleanSite(),
    args: ["--quiet", "--clean-urls"],
  });
  for (const path of ["/nope.html", "/nope", "/docs/nope.html", "/about/"]) {
    const res = await request(server.port, get(path));
    assert.equal(res.status, 404, path);
    assert.equal(res.body, "custom not found\n");
  }
});

Deno.test("--clean-urls: a cached .html page still moves once its clean URL is free", async () => {
  const root = await cleanSite();
  await using server = await startServer({ root, args: ["--quiet", "--clean-urls"] });
  // Both land in the hot-file cache: 404.html as the error page, both.html served by name.
  assert.equal((await request(server.port, get("/missing"))).status, 404);
  assert.equal((await request(server.port, get("/both.html"))).status, 200);
  const error = await request(server.port, get("/404.html"));
  assert.equal(error.status, 301);
  assert.equal(error.headers.get("location"), "/404");
  await Deno.remove(`${root}/both`, { recursive: true });
  const moved = await request(server.port, get("/both.html"));
  assert.equal(moved.status, 301);
  assert.equal(moved.headers.get("location"), "/both");
  assert.equal((await request(server.port, get("/both"))).body, "both as a page\n");
});

Deno.test("--clean-urls: a new file or folder at the clean URL wins over the cached page", async () => {
  const root = await cleanSite();
  await using server = await startServer({ root, args: ["--quiet", "--clean-urls"] });
  assert.equal((await request(server.port, get("/about"))).body, "about page\n");
  assert.equal((await request(server.port, get("/about"))).body, "about page\n");
  await Deno.mkdir(`${root}/about`);
  await Deno.writeTextFile(`${root}/about/index.html`, "about as a folder\n");
  assert.equal((await request(server.port, get("/about"))).status, 301);
  assert.equal((await request(server.port, get("/about.html"))).status, 200);
});

Deno.test("--clean-urls with --spa: exact file > folder > .html page > shell > 404", async () => {
  await using server = await startServer({
    root: await cleanSite(),
    args: ["--quiet", "--clean-urls", "--spa"],
  });
  assert.equal((await request(server.port, get("/same"))).body, "a file without extension\n");
  assert.equal((await request(server.port, get("/both"))).status, 301);
  assert.equal((await request(server.port, get("/about"))).body, "about page\n");
  const shell = await request(server.port, get("/app/route"));
  assert.equal(shell.body, "home\n");
  assert.equal(shell.headers.get("cache-control"), "no-cache");
  const asset = await request(server.port, get("/app.1.js"));
  assert.equal(asset.status, 404);
  assert.equal(asset.body, "custom not found\n");
});

Deno.test("--clean-urls with --precompressed: /about gets about.html.br", async () => {
  const root = await cleanSite();
  await Deno.writeFile(`${root}/about.html.br`, zlib.brotliCompressSync("about page\n"));
  await using server = await startServer({
    root,
    args: ["--quiet", "--clean-urls", "--precompressed"],
  });
  const res = await request(server.port, get("/about", "Accept-Encoding: br\r\n"));
  assert.equal(res.headers.get("content-encoding"), "br");
  assert.equal(res.headers.get("vary"), "Accept-Encoding");
});

Deno.test("without --spa or --clean-urls, routes and clean URLs stay 404 and .html stays put", async () => {
  await using server = await startServer({ root: await cleanSite(), args: ["--quiet"] });
  assert.equal((await request(server.port, get("/about"))).status, 404);
  assert.equal((await request(server.port, get("/deep/route"))).status, 404);
  assert.equal((await request(server.port, get("/about.html"))).status, 200);
  assert.equal((await request(server.port, get("/index.html"))).status, 200);
});
