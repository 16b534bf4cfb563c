/**
 * The router's choice of representation, end to end over real sockets: `--compress` (br, zstd,
 * gzip on the fly, RFC 9110 §8.4), `--precompressed` (FILE.br, FILE.zst, FILE.gz beside FILE),
 * Accept-Encoding (§12.5.3), Vary (§12.5.5), an ETag per coding (§8.8.3) with preconditions and
 * ranges on the representation actually selected, 406, and what the logs record.
 */

import assert from "node:assert/strict";
import zlib from "node:zlib";
import type { ContentCoding } from "../../src/http/content_coding.ts";
import { MIN_COMPRESS_BYTES } from "../../src/limits.ts";
import {
  exchange,
  get,
  makeTree,
  type RawResponse,
  request,
  splitResponses,
  startServer,
} from "../helpers.ts";

/** A 6 KiB page: compressible, above the minimum, below the cap. */
const PAGE = Array.from(
  { length: 120 },
  (_, i) => `<p id="p${i}">Paragraph ${i} of a page served by sockserve.</p>\n`,
).join("");
const PAGE_BYTES = new TextEncoder().encode(PAGE);
/** A real 1×1 PNG's first bytes, padded: not compressible, whatever its size. */
const PNG = new Uint8Array(4096).map((_, i) => i < 8 ? [137, 80, 78, 71, 13, 10, 26, 10][i] : i);
const SMALL = "<p>small</p>".repeat(Math.floor((MIN_COMPRESS_BYTES - 1) / 12));

const CODINGS: readonly ContentCoding[] = ["br", "zstd", "gzip"];

function compressSync(coding: ContentCoding, bytes: Uint8Array): Uint8Array {
  if (coding === "br") return new Uint8Array(zlib.brotliCompressSync(bytes));
  if (coding === "zstd") return new Uint8Array(zlib.zstdCompressSync(bytes));
  return new Uint8Array(zlib.gzipSync(bytes));
}

function decompress(coding: string, bytes: Uint8Array): Uint8Array {
  if (coding === "br") return new Uint8Array(zlib.brotliDecompressSync(bytes));
  if (coding === "zstd") return new Uint8Array(zlib.zstdDecompressSync(bytes));
  assert.equal(coding, "gzip");
  return new Uint8Array(zlib.gunzipSync(bytes));
}

/** A response body (Latin-1 text from the helpers) as bytes. */
function bodyBytes(res: RawResponse): Uint8Array {
  return Uint8Array.from(res.body, (c) => c.charCodeAt(0));
}

function site(extra: Record<string, string | Uint8Array> = {}): Promise<string> {
  return makeTree({ "page.html": PAGE, "a.png": PNG, "small.html": SMALL, ...extra });
}

/** Sidecars of the page in every coding, made the way a build step would. */
function sidecars(name: string, bytes: Uint8Array): Record<string, Uint8Array> {
  return {
    [`${name}.br`]: compressSync("br", bytes),
    [`${name}.zst`]: compressSync("zstd", bytes),
    [`${name}.gz`]: compressSync("gzip", bytes),
  };
}

const EXTENSION: Record<ContentCoding, string> = { br: ".br", zstd: ".zst", gzip: ".gz" };

function accept(value: string, extra = ""): string {
  return `Accept-Encoding: ${value}\r\n${extra}`;
}

/** Whether curl is installed (apt-get install curl), for the --compressed cross-check. */
const HAVE_CURL = (() => {
  try {
    return new Deno.Command("curl", { args: ["--version"] }).outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test("--compress: every coding decodes to the file, with Content-Encoding, Content-Length and Vary", async (t) => {
  await using server = await startServer({ root: await site(), args: ["--quiet", "--compress"] });
  const cases: [string, string][] = [
    ["br", "br"],
    ["zstd", "zstd"],
    ["gzip", "gzip"],
    ["x-gzip", "gzip"],
    ["gzip, deflate, br, zstd", "br"],
    ["gzip;q=0.501, br;q=0.502", "br"],
    ["gzip;q=0.502, br;q=0.501", "gzip"],
    ["br;q=0, *", "zstd"],
  ];
  for (const [value, coding] of cases) {
    await t.step(value, async () => {
      const res = await request(server.port, get("/page.html", accept(value)));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-encoding"), coding);
      assert.equal(res.headers.get("vary"), "Accept-Encoding");
      assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
      const bytes = bodyBytes(res);
      assert.equal(Number(res.headers.get("content-length")), bytes.length);
      assert.ok(bytes.length < PAGE_BYTES.length / 4, `${bytes.length} bytes`);
      assert.deepEqual(decompress(coding, bytes), PAGE_BYTES);
    });
  }
});

Deno.test("--compress: curl --compressed decodes each coding to the file", {
  ignore: !HAVE_CURL,
}, async (t) => {
  const root = await site();
  await using server = await startServer({ root, args: ["--quiet", "--compress"] });
  for (const coding of CODINGS) {
    await t.step(coding, async () => {
      const out = await new Deno.Command("curl", {
        args: [
          "-sS",
          "--compressed",
          "-H",
          `Accept-Encoding: ${coding}`,
          "-D",
          "-",
          `http://127.0.0.1:${server.port}/page.html`,
        ],
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const text = new TextDecoder().decode(out.stdout);
      assert.match(text, new RegExp(`\r\ncontent-encoding: ${coding}\r\n`, "i"));
      assert.ok(text.endsWith(`\r\n\r\n${PAGE}`), "the decoded body is the file");
    });
  }
});

Deno.test("--compress: each coding has its own ETag, and preconditions compare the one selected", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet", "--compress"] });
  const tags = new Map<string, string>();
  for (const value of ["identity", ...CODINGS]) {
    tags.set(
      value,
      (await request(server.port, get("/page.html", accept(value)))).headers.get("etag")!,
    );
  }
  assert.equal(new Set(tags.values()).size, 4, [...tags.values()].join(" "));
  for (const coding of CODINGS) {
    assert.equal(tags.get(coding), tags.get("identity")!.slice(0, -1) + `-${coding}"`);
  }

  // The br tag while asking for gzip: the gzip form is not the one the client has → 200.
  const other = await request(
    server.port,
    get("/page.html", accept("gzip", `If-None-Match: ${tags.get("br")}\r\n`)),
  );
  assert.equal(other.status, 200);
  assert.equal(other.headers.get("content-encoding"), "gzip");
  // Its own tag → 304 with that tag and Vary (RFC 9110 §15.4.5).
  const text = await exchange(
    server.port,
    get("/page.html", accept("gzip", `If-None-Match: ${tags.get("gzip")}\r\n`)),
  );
  const [same] = splitResponses(text);
  assert.equal(same.status, 304);
  assert.equal(same.headers.get("etag"), tags.get("gzip"));
  assert.equal(same.headers.get("vary"), "Accept-Encoding");
  assert.equal(same.headers.has("content-encoding"), false);
  assert.ok(text.endsWith("\r\n\r\n"), "no body");
  // If-Match with the identity tag while asking for br → 412 (the br form does not match).
  const failed = await request(
    server.port,
    get("/page.html", accept("br", `If-Match: ${tags.get("identity")}\r\n`)),
  );
  assert.equal(failed.status, 412);
  assert.equal(failed.headers.get("vary"), "Accept-Encoding");
  const matched = await request(
    server.port,
    get("/page.html", accept("br", `If-Match: ${tags.get("br")}\r\n`)),
  );
  assert.equal(matched.status, 200);
});

Deno.test("--compress: HEAD gets exactly GET's fields in every coding", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet", "--compress"] });
  for (const value of ["", "identity", ...CODINGS]) {
    const extra = value === "" ? "" : accept(value);
    const getRes = await request(server.port, get("/page.html", extra));
    const headRes = await request(server.port, get("/page.html", extra).replace(/^GET/, "HEAD"));
    const fields = (res: RawResponse) => [...res.headers].filter(([name]) => name !== "date");
    assert.deepEqual(fields(headRes), fields(getRes), value);
    assert.equal(headRes.body, "");
  }
});

Deno.test("--compress: a Range request gets the identity representation's 206, never a slice of a compressed form", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet", "--compress"] });
  const identityTag = (await request(server.port, get("/page.html"))).headers.get("etag")!;
  const single = await request(
    server.port,
    get("/page.html", accept("gzip, br", "Range: bytes=10-29\r\n")),
  );
  assert.equal(single.status, 206);
  assert.equal(single.headers.has("content-encoding"), false);
  assert.equal(single.headers.get("content-range"), `bytes 10-29/${PAGE_BYTES.length}`);
  assert.equal(single.headers.get("etag"), identityTag);
  assert.equal(single.headers.get("vary"), "Accept-Encoding");
  assert.equal(single.body, PAGE.slice(10, 30));
  const multi = await request(
    server.port,
    get("/page.html", accept("br", "Range: bytes=0-4,100-104\r\n")),
  );
  assert.equal(multi.status, 206);
  assert.match(multi.headers.get("content-type")!, /^multipart\/byteranges/);
  assert.ok(multi.body.includes(`\r\n\r\n${PAGE.slice(100, 105)}\r\n`));
  assert.ok(!multi.body.includes("Content-Encoding"));
  // A download of the br form resumed with its tag: not the identity representation → whole 200.
  const brTag = identityTag.slice(0, -1) + '-br"';
  const resumed = await request(
    server.port,
    get("/page.html", accept("br", `Range: bytes=10-\r\nIf-Range: ${brTag}\r\n`)),
  );
  assert.equal(resumed.status, 200);
  assert.equal(resumed.headers.has("content-encoding"), false);
  assert.equal(resumed.body, PAGE);
  // Identity refused too: the Range is ignored and the whole compressed form is sent.
  const refused = await request(
    server.port,
    get("/page.html", accept("gzip, identity;q=0", "Range: bytes=0-9\r\n")),
  );
  assert.equal(refused.status, 200);
  assert.deepEqual(decompress("gzip", bodyBytes(refused)), PAGE_BYTES);
});

Deno.test("--compress: PNGs and bodies under 512 B go untouched; only the compressible type says Vary", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet", "--compress"] });
  const png = await request(server.port, get("/a.png", accept("gzip, br")));
  assert.equal(png.status, 200);
  assert.equal(png.headers.has("content-encoding"), false);
  assert.equal(png.headers.has("vary"), false);
  assert.deepEqual(bodyBytes(png), PNG);
  const small = await request(server.port, get("/small.html", accept("gzip, br")));
  assert.equal(small.headers.has("content-encoding"), false);
  assert.equal(small.headers.get("vary"), "Accept-Encoding");
  assert.equal(small.body, SMALL);
  assert.ok(SMALL.length < MIN_COMPRESS_BYTES);
});

Deno.test("a request that refuses identity and accepts nothing available → 406 with Vary", async (t) => {
  await using server = await startServer({ root: await site(), args: ["--quiet", "--compress"] });
  const cases: [string, string, string][] = [
    ["a PNG, identity;q=0", "/a.png", "identity;q=0, gzip"],
    ["a page, *;q=0", "/page.html", "*;q=0"],
    ["a page, identity;q=0 and an unknown coding", "/page.html", "identity;q=0, compress"],
  ];
  for (const [name, path, value] of cases) {
    await t.step(name, async () => {
      const res = await request(server.port, get(path, accept(value)));
      assert.equal(res.status, 406);
      assert.equal(res.headers.get("vary"), "Accept-Encoding");
      assert.match(res.body, /<h1>406 Not Acceptable<\/h1>/);
    });
  }
});

Deno.test("--compress: an HTTP/1.0 client gets a compressed body with its Content-Length", async () => {
  await using server = await startServer({ root: await site(), args: ["--quiet", "--compress"] });
  const res = await request(
    server.port,
    "GET /page.html HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n",
  );
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-encoding"), "gzip");
  const bytes = bodyBytes(res);
  assert.equal(Number(res.headers.get("content-length")), bytes.length);
  assert.deepEqual(decompress("gzip", bytes), PAGE_BYTES);
});

Deno.test("--compress: files too large for memory are streamed identity", async () => {
  const big = "<p>a large page</p>\n".repeat(60_000); // 1.2 MB, above the cap
  await using server = await startServer({
    root: await site({ "big.html": big }),
    args: ["--quiet", "--compress"],
  });
  const res = await request(server.port, get("/big.html", accept("gzip, br")));
  assert.equal(res.status, 200);
  assert.equal(res.headers.has("content-encoding"), false);
  assert.equal(res.headers.get("vary"), "Accept-Encoding");
  assert.equal(res.body.length, big.length);
});

Deno.test("--compress with a no-transform Cache-Control never compresses (RFC 9111 §5.2.2.6)", async () => {
  await using server = await startServer({
    root: await site(),
    args: ["--quiet", "--compress", "--cache-control", "public, no-transform"],
  });
  const res = await request(server.port, get("/page.html", accept("gzip, br")));
  assert.equal(res.headers.has("content-encoding"), false);
  assert.equal(res.headers.get("cache-control"), "public, no-transform");
  assert.equal(res.body, PAGE);
});

Deno.test("without --compress or --precompressed, Accept-Encoding changes nothing", async () => {
  const root = await site(sidecars("page.html", PAGE_BYTES));
  await using server = await startServer({ root, args: ["--quiet"] });
  for (const value of ["gzip, br", "identity;q=0"]) {
    const res = await request(server.port, get("/page.html", accept(value)));
    assert.equal(res.status, 200);
    assert.equal(res.headers.has("content-encoding"), false);
    assert.equal(res.headers.has("vary"), false);
    assert.equal(res.body, PAGE);
  }
});

Deno.test("--precompressed: serves FILE.br, FILE.zst and FILE.gz byte for byte to clients that accept them", async () => {
  const files = sidecars("page.html", PAGE_BYTES);
  await using server = await startServer({
    root: await site(files),
    args: ["--quiet", "--precompressed"],
  });
  const tags = new Set<string>();
  for (const coding of CODINGS) {
    // Twice: the first request finds the sidecar, the second is answered from the cache.
    for (let i = 0; i < 2; i++) {
      const res = await request(server.port, get("/page.html", accept(coding)));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-encoding"), coding);
      assert.equal(res.headers.get("vary"), "Accept-Encoding");
      assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
      assert.deepEqual(bodyBytes(res), files[`page.html${EXTENSION[coding]}`]);
      assert.deepEqual(decompress(coding, bodyBytes(res)), PAGE_BYTES);
      tags.add(res.headers.get("etag")!);
    }
  }
  const plain = await request(server.port, get("/page.html"));
  assert.equal(plain.headers.has("content-encoding"), false);
  assert.equal(plain.headers.get("vary"), "Accept-Encoding");
  tags.add(plain.headers.get("etag")!);
  assert.equal(tags.size, 4, [...tags].join(" "));
  // The sidecar's own tag gives 304 with Vary; another coding's tag does not.
  const brTag = [...tags].find((tag) => tag.endsWith('-br"'))!;
  const notModified = await request(
    server.port,
    get("/page.html", accept("br", `If-None-Match: ${brTag}\r\n`)),
  );
  assert.equal(notModified.status, 304);
  assert.equal(notModified.headers.get("vary"), "Accept-Encoding");
  assert.equal(notModified.headers.get("etag"), brTag);
  const other = await request(
    server.port,
    get("/page.html", accept("gzip", `If-None-Match: ${brTag}\r\n`)),
  );
  assert.equal(other.status, 200);
});

Deno.test("--precompressed: ranges, single and multipart, are exact slices of the sidecar", async () => {
  const files = sidecars("page.html", PAGE_BYTES);
  const gz = files["page.html.gz"];
  await using server = await startServer({
    root: await site(files),
    args: ["--quiet", "--precompressed"],
  });
  const single = await request(
    server.port,
    get("/page.html", accept("gzip", "Range: bytes=5-24\r\n")),
  );
  assert.equal(single.status, 206);
  assert.equal(single.headers.get("content-encoding"), "gzip");
  assert.equal(single.headers.get("content-range"), `bytes 5-24/${gz.length}`);
  assert.deepEqual(bodyBytes(single), gz.subarray(5, 25));
  const last = await request(server.port, get("/page.html", accept("gzip", "Range: bytes=-8\r\n")));
  assert.deepEqual(bodyBytes(last), gz.subarray(gz.length - 8), "the gzip trailer");
  const multi = await request(
    server.port,
    get("/page.html", accept("gzip", "Range: bytes=0-3,20-23\r\n")),
  );
  assert.equal(multi.status, 206);
  const boundary = /boundary=(\S+)/.exec(multi.headers.get("content-type")!)![1];
  const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);
  assert.equal(
    multi.body,
    `--${boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n` +
      `Content-Range: bytes 0-3/${gz.length}\r\n\r\n${latin1(gz.subarray(0, 4))}\r\n` +
      `--${boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n` +
      `Content-Range: bytes 20-23/${gz.length}\r\n\r\n${latin1(gz.subarray(20, 24))}\r\n` +
      `--${boundary}--\r\n`,
  );
  const unsatisfiable = await request(
    server.port,
    get("/page.html", accept("gzip", `Range: bytes=${gz.length}-\r\n`)),
  );
  assert.equal(unsatisfiable.status, 416);
  assert.equal(unsatisfiable.headers.get("content-range"), `bytes */${gz.length}`);
  assert.equal(unsatisfiable.headers.get("vary"), "Accept-Encoding");
});

Deno.test("--precompressed: a sidecar larger than its file is still served whole and correct", async () => {
  const tiny = new TextEncoder().encode("hi\n");
  const gz = compressSync("gzip", tiny);
  assert.ok(gz.length > tiny.length);
  await using server = await startServer({
    root: await makeTree({ "tiny.txt": tiny, "tiny.txt.gz": gz }),
    args: ["--quiet", "--precompressed"],
  });
  const res = await request(server.port, get("/tiny.txt", accept("gzip")));
  assert.equal(res.headers.get("content-encoding"), "gzip");
  assert.equal(res.headers.get("content-length"), String(gz.length));
  assert.deepEqual(bodyBytes(res), gz);
  assert.deepEqual(decompress("gzip", bodyBytes(res)), tiny);
});

Deno.test("--precompressed: a stale sidecar is ignored with one warning, never served", async () => {
  const files = sidecars("page.html", PAGE_BYTES);
  const root = await site(files);
  const old = new Date(Date.now() - 3600_000);
  await Deno.utime(`${root}/page.html.br`, old, old);
  await using server = await startServer({ root, args: ["--quiet", "--precompressed"] });
  for (let i = 0; i < 3; i++) {
    const res = await request(server.port, get(`/page.html?${i}`, accept("br")));
    assert.equal(res.status, 200);
    assert.equal(res.headers.has("content-encoding"), false);
    assert.equal(res.body, PAGE);
  }
  // Another coding's fresh sidecar is still served.
  const gz = await request(server.port, get("/page.html", accept("br;q=0.5, gzip;q=0.1")));
  assert.equal(gz.headers.get("content-encoding"), "gzip");
  await server.stop();
  const warnings = server.stderr().split("\n").filter((line) => line.includes("page.html.br"));
  assert.equal(warnings.length, 1, server.stderr());
  assert.match(warnings[0], /older than the file it encodes/);
});

Deno.test("--precompressed: a sidecar that links out of the root is never served", async () => {
  const outside = await makeTree({
    "secret.br": compressSync("br", new TextEncoder().encode("SECRET")),
  });
  const root = await site();
  await Deno.symlink(`${outside}/secret.br`, `${root}/page.html.br`);
  await using server = await startServer({ root, args: ["--quiet", "--precompressed"] });
  for (let i = 0; i < 2; i++) {
    const res = await request(server.port, get("/page.html", accept("br")));
    assert.equal(res.status, 200);
    assert.equal(res.headers.has("content-encoding"), false);
    assert.equal(res.body, PAGE);
  }
  assert.equal((await request(server.port, get("/page.html.br"))).status, 404);
});

Deno.test("--precompressed: a sidecar appearing, changing or going is seen on the next request", async () => {
  const root = await site();
  await using server = await startServer({ root, args: ["--quiet", "--precompressed"] });
  const coding = async () =>
    (await request(server.port, get("/page.html", accept("gzip")))).headers.get(
      "content-encoding",
    ) ?? null;
  assert.equal(await coding(), null);
  assert.equal(await coding(), null);
  await Deno.writeFile(`${root}/page.html.gz`, compressSync("gzip", PAGE_BYTES));
  assert.equal(await coding(), "gzip");
  const future = new Date(Date.now() + 10_000);
  await Deno.utime(`${root}/page.html`, future, future); // the page is now newer: stale
  assert.equal(await coding(), null);
  await Deno.remove(`${root}/page.html.gz`);
  assert.equal(await coding(), null);
});

Deno.test("--precompressed: requests for the sidecar names themselves are plain files", async () => {
  const files = sidecars("page.html", PAGE_BYTES);
  await using server = await startServer({
    root: await site(files),
    args: ["--quiet", "--precompressed", "--compress"],
  });
  const res = await request(server.port, get("/page.html.gz", accept("gzip, br")));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/gzip");
  assert.equal(res.headers.has("content-encoding"), false);
  assert.deepEqual(bodyBytes(res), files["page.html.gz"]);
  const br = await request(server.port, get("/page.html.br", accept("gzip, br")));
  assert.equal(br.headers.get("content-type"), "application/octet-stream");
  assert.equal(br.headers.has("content-encoding"), false);
  assert.deepEqual(bodyBytes(br), files["page.html.br"]);
});

Deno.test("--precompressed: a folder's index.html.br serves the folder", async () => {
  const index = new TextEncoder().encode(PAGE);
  await using server = await startServer({
    root: await makeTree({ "d/index.html": index, "d/index.html.br": compressSync("br", index) }),
    args: ["--quiet", "--precompressed"],
  });
  const res = await request(server.port, get("/d/", accept("br")));
  assert.equal(res.headers.get("content-encoding"), "br");
  assert.deepEqual(decompress("br", bodyBytes(res)), index);
});

Deno.test("--precompressed: a large file streams its sidecar, ranges included", async () => {
  const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) % 256);
  const gz = compressSync("gzip", big);
  const stored = new Uint8Array(gz.length + 2 * 1024 * 1024); // a sidecar above the cache's limit
  stored.set(gz);
  await using server = await startServer({
    root: await makeTree({ "big.bin": big, "big.bin.gz": stored }),
    args: ["--quiet", "--precompressed"],
  });
  const whole = await request(server.port, get("/big.bin", accept("gzip")));
  assert.equal(whole.headers.get("content-encoding"), "gzip");
  assert.equal(Number(whole.headers.get("content-length")), stored.length);
  assert.deepEqual(bodyBytes(whole), stored);
  const slice = await request(
    server.port,
    get("/big.bin", accept("gzip", "Range: bytes=1000-1999\r\n")),
  );
  assert.equal(slice.status, 206);
  assert.deepEqual(bodyBytes(slice), stored.subarray(1000, 2000));
  const plain = await request(server.port, get("/big.bin", "Range: bytes=0-9\r\n"));
  assert.deepEqual(bodyBytes(plain), big.subarray(0, 10));
});

Deno.test("--compress and --precompressed: a sidecar wins for its coding, other codings are compressed", async () => {
  const br = compressSync("br", PAGE_BYTES);
  await using server = await startServer({
    root: await site({ "page.html.br": br }),
    args: ["--quiet", "--compress", "--precompressed"],
  });
  const sidecar = await request(server.port, get("/page.html", accept("br, gzip")));
  assert.equal(sidecar.headers.get("content-encoding"), "br");
  assert.deepEqual(bodyBytes(sidecar), br);
  const zstd = await request(server.port, get("/page.html", accept("zstd")));
  assert.equal(zstd.headers.get("content-encoding"), "zstd");
  assert.deepEqual(decompress("zstd", bodyBytes(zstd)), PAGE_BYTES);
});

Deno.test("the logs record the coding in HTTPResponses.txt and the bytes sent in SocketOutput.csv", async () => {
  const logDir = await Deno.makeTempDir({ prefix: "sockserve-logs-" });
  const server = await startServer({ root: await site(), logDir, args: ["--quiet", "--compress"] });
  const res = await request(server.port, get("/page.html", accept("br")));
  const sent = bodyBytes(res).length;
  await server.stop();
  const heads = await Deno.readTextFile(`${logDir}/HTTPResponses.txt`);
  assert.match(heads, /\r\nContent-Encoding: br\r\n/);
  assert.match(heads, /\r\nVary: Accept-Encoding\r\n/);
  const rows = (await Deno.readTextFile(`${logDir}/SocketOutput.csv`)).trim().split("\n");
  assert.equal(
    rows[0],
    "time,server_ip,server_port,client_ip,client_port,connection_id,request_on_connection,method,target,version,status,body_bytes,duration_ms",
    "the CSV columns are unchanged",
  );
  assert.equal(rows[1].split(",")[11], String(sent));
});
