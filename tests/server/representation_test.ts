/**
 * Representations (src/server/representation.ts): which representation a request gets
 * (identity, a sidecar, or compressed on the fly), the coded forms' validators, fresh and stale
 * sidecars, compression round trips, and the wire cache of a plain 200.
 */

import assert from "node:assert/strict";
import zlib from "node:zlib";
import type { ContentCoding } from "../../src/http/content_coding.ts";
import { COMPRESS_SLICE_BYTES, MAX_COMPRESS_BYTES, MIN_COMPRESS_BYTES } from "../../src/limits.ts";
import type { FileStat } from "../../src/server/opener.ts";
import {
  chooseCoding,
  compressBytes,
  describeEncoded,
  describeFile,
  describeSidecar,
  isFreshSidecar,
  type Representation,
  WireCache,
} from "../../src/server/representation.ts";
import type { Reply } from "../../src/server/responder.ts";

const MTIME = Date.UTC(2026, 0, 1);

function stat(size: number, mtimeMs: number | null = MTIME, ino = 42): FileStat {
  return { size, mtimeMs, ctimeMs: mtimeMs, dev: 1, ino };
}

function memory(name: string, size: number): Representation {
  return describeFile(`/srv/${name}`, stat(size), {
    kind: "memory",
    bytes: new Uint8Array(size),
  }, MTIME);
}

const PAGE = memory("page.html", 4096);

function decode(coding: ContentCoding, bytes: Uint8Array): Uint8Array {
  if (coding === "br") return zlib.brotliDecompressSync(bytes);
  if (coding === "zstd") return zlib.zstdDecompressSync(bytes);
  return zlib.gunzipSync(bytes);
}

Deno.test("chooseCoding() picks identity, a sidecar or on-the-fly compression, and says when to Vary", async (t) => {
  const ae = (value: string, extra: Record<string, string> = {}) =>
    new Map(Object.entries({ "accept-encoding": value, ...extra }));
  type Case = [
    string,
    Representation,
    readonly ContentCoding[],
    { method?: string; headers: Map<string, string> },
    boolean,
    { coding: string | null; from: string; vary: boolean },
  ];
  const cases: Case[] = [
    [
      "--compress: a page for gzip, br → br on the fly",
      PAGE,
      [],
      { headers: ae("gzip, br") },
      true,
      { coding: "br", from: "compress", vary: true },
    ],
    [
      "--compress: no Accept-Encoding → identity, still Vary",
      PAGE,
      [],
      { headers: new Map() },
      true,
      { coding: "identity", from: "identity", vary: true },
    ],
    [
      "--compress: a PNG → identity, no Vary",
      memory("a.png", 4096),
      [],
      { headers: ae("gzip, br") },
      true,
      { coding: "identity", from: "identity", vary: false },
    ],
    [
      `--compress: a page under ${MIN_COMPRESS_BYTES} B → identity, Vary (the type could be)`,
      memory("small.html", MIN_COMPRESS_BYTES - 1),
      [],
      { headers: ae("gzip") },
      true,
      { coding: "identity", from: "identity", vary: true },
    ],
    [
      `--compress: a page of exactly ${MIN_COMPRESS_BYTES} B → compressed`,
      memory("edge.html", MIN_COMPRESS_BYTES),
      [],
      { headers: ae("gzip") },
      true,
      { coding: "gzip", from: "compress", vary: true },
    ],
    [
      "--compress: a page above the cap → identity",
      memory("huge.html", MAX_COMPRESS_BYTES + 1),
      [],
      { headers: ae("gzip") },
      true,
      { coding: "identity", from: "identity", vary: true },
    ],
    [
      "--compress: a streamed page (an open file) → identity",
      { ...PAGE, source: { kind: "file", file: null as never } },
      [],
      { headers: ae("gzip") },
      true,
      { coding: "identity", from: "identity", vary: true },
    ],
    [
      "--compress: GET with Range → identity (ranges never apply on the fly)",
      PAGE,
      [],
      { headers: ae("gzip, br", { range: "bytes=0-9" }) },
      true,
      { coding: "identity", from: "identity", vary: true },
    ],
    [
      "--compress: HEAD with Range → compressed (Range is for GET only)",
      PAGE,
      [],
      { method: "HEAD", headers: ae("gzip, br", { range: "bytes=0-9" }) },
      true,
      { coding: "br", from: "compress", vary: true },
    ],
    [
      "--compress: Range but identity refused → compressed whole",
      PAGE,
      [],
      { headers: ae("gzip, identity;q=0", { range: "bytes=0-9" }) },
      true,
      { coding: "gzip", from: "compress", vary: true },
    ],
    [
      "--compress: identity refused and a PNG → 406",
      memory("a.png", 4096),
      [],
      { headers: ae("identity;q=0, gzip") },
      true,
      { coding: null, from: "identity", vary: false },
    ],
    [
      "--precompressed: the sidecar the client accepts",
      PAGE,
      ["gzip", "br"],
      { headers: ae("gzip") },
      false,
      { coding: "gzip", from: "sidecar", vary: true },
    ],
    [
      "--precompressed: no sidecar of an accepted coding → identity, Vary",
      PAGE,
      ["br"],
      { headers: ae("gzip") },
      false,
      { coding: "identity", from: "identity", vary: true },
    ],
    [
      "--precompressed: no sidecar at all → identity, no Vary",
      PAGE,
      [],
      { headers: ae("gzip, br") },
      false,
      { coding: "identity", from: "identity", vary: false },
    ],
    [
      "--precompressed: GET with Range → the sidecar (ranges apply to its bytes)",
      PAGE,
      ["br"],
      { headers: ae("br", { range: "bytes=0-9" }) },
      false,
      { coding: "br", from: "sidecar", vary: true },
    ],
    [
      "both: a sidecar beats compressing the same coding",
      PAGE,
      ["br"],
      { headers: ae("br, gzip") },
      true,
      { coding: "br", from: "sidecar", vary: true },
    ],
    [
      "both: a coding without a sidecar is compressed",
      PAGE,
      ["br"],
      { headers: ae("gzip") },
      true,
      { coding: "gzip", from: "compress", vary: true },
    ],
    [
      "both: Range with a sidecar of another coding → identity",
      PAGE,
      ["br"],
      { headers: ae("gzip", { range: "bytes=0-9" }) },
      true,
      { coding: "identity", from: "identity", vary: true },
    ],
  ];
  for (const [name, rep, sidecars, request, compress, expected] of cases) {
    await t.step(name, () => {
      const choice = chooseCoding(
        rep,
        sidecars,
        { method: request.method ?? "GET", headers: request.headers },
        compress,
      );
      assert.deepEqual({ ...choice }, expected);
    });
  }
});

Deno.test("isFreshSidecar() serves a sidecar as new as its file or newer, never an older one", async (t) => {
  const cases: [string, number | null, number | null, boolean][] = [
    ["same time (gzip -k keeps it)", MTIME, MTIME, true],
    ["newer", MTIME, MTIME + 1, true],
    ["older by a millisecond", MTIME, MTIME - 1, false],
    ["unknown sidecar time", MTIME, null, false],
    ["unknown file time", null, MTIME, false],
  ];
  for (const [name, original, sidecar, expected] of cases) {
    await t.step(name, () => {
      assert.equal(isFreshSidecar(stat(10, original), stat(5, sidecar)), expected);
    });
  }
});

Deno.test("coded representations keep the type, get their own strong ETag per coding, and only sidecars take ranges", () => {
  const bytes = new Uint8Array(3);
  const encoded = (["br", "zstd", "gzip"] as const).map((c) => describeEncoded(PAGE, c, bytes));
  const sidecar = describeSidecar(
    "/srv/page.html",
    stat(7, MTIME + 5, 43),
    "br",
    { kind: "memory", bytes: new Uint8Array(7) },
    MTIME + 10,
  );
  const tags = [PAGE, ...encoded, sidecar].map((r) => r.validators.etag);
  assert.equal(new Set(tags).size, tags.length, tags.join(" "));
  for (const rep of [...encoded, sidecar]) {
    assert.equal(rep.contentType, "text/html; charset=utf-8");
    assert.match(rep.validators.etag, new RegExp(`^"[0-9a-f-]+-${rep.coding}"$`));
  }
  assert.deepEqual(encoded.map((r) => [r.size, r.ranges]), [[3, false], [3, false], [3, false]]);
  assert.equal(encoded[0].validators.lastModifiedMs, PAGE.validators.lastModifiedMs);
  assert.equal(sidecar.size, 7);
  assert.equal(sidecar.ranges, undefined);
  assert.equal(sidecar.validators.lastModifiedMs, MTIME + 5);
});

Deno.test("compressBytes() round-trips in every coding, into a buffer of its own", async (t) => {
  const text = new TextEncoder().encode("<p>compress me, compress me well</p>\n".repeat(200));
  const random = crypto.getRandomValues(new Uint8Array(4096));
  for (const coding of ["br", "zstd", "gzip"] as const) {
    for (const [name, input] of [["text", text], ["random", random], ["empty", new Uint8Array()]]) {
      await t.step(`${coding}, ${name}`, async () => {
        const out = await compressBytes(input as Uint8Array, coding);
        assert.deepEqual(new Uint8Array(decode(coding, out)), input);
        assert.equal(out.byteOffset, 0);
        assert.equal(out.buffer.byteLength, out.length, "not a slice of a shared pool");
        if (name === "text") assert.ok(out.length < text.length / 10, `${out.length} bytes`);
      });
    }
  }
});

Deno.test("compressBytes() gives the event loop a turn between slices, so a big file stalls no one", async (t) => {
  // 1 MiB of text that compresses like a page: eight or more slices.
  const lines = Array.from({ length: 40_000 }, (_, i) => `<p>line ${i} ${(i * 7919) % 10007}</p>`);
  const big = new TextEncoder().encode(lines.join("\n")).subarray(0, 1024 * 1024);
  const slices = Math.ceil(big.length / COMPRESS_SLICE_BYTES);
  for (const coding of ["br", "zstd", "gzip"] as const) {
    await t.step(coding, async () => {
      // A timer that re-arms itself counts the turns other work got while compressing.
      let turns = 0;
      let running = true;
      const tick = () => {
        if (!running) return;
        turns++;
        setTimeout(tick, 0);
      };
      setTimeout(tick, 0);
      const out = await compressBytes(big, coding);
      running = false;
      assert.deepEqual(new Uint8Array(decode(coding, out)), big);
      assert.ok(turns >= slices - 1, `${turns} turns for ${slices} slices`);
    });
  }
});

Deno.test("WireCache rebuilds its wire images when the reply is rebuilt for other options", () => {
  const wire = new WireCache();
  const reply = (tag: string): Reply => ({
    status: 200,
    headers: [["X", tag]],
    body: { kind: "none" },
  });
  const plain = {};
  const vary = { vary: true };
  assert.equal(wire.reply(plain, () => reply("plain")).headers[0][1], "plain");
  const first = wire.get("date", true, () => ({ head: "plain", bytes: new Uint8Array() }));
  assert.equal(wire.reply(plain, () => reply("again")).headers[0][1], "plain", "kept");
  assert.equal(wire.get("date", true, () => ({ head: "x", bytes: new Uint8Array() })), first);
  assert.equal(wire.reply(vary, () => reply("vary")).headers[0][1], "vary");
  assert.equal(
    wire.get("date", true, () => ({ head: "vary", bytes: new Uint8Array() })).head,
    "vary",
  );
});
