/**
 * Content codings (src/http/content_coding.ts): Accept-Encoding read exactly (RFC 9110 §12.5.3),
 * the coding chosen from it, coded entity-tags, compressible media types, no-transform.
 */

import assert from "node:assert/strict";
import {
  codedETag,
  CONTENT_CODINGS,
  type ContentCoding,
  hasNoTransform,
  isCompressible,
  negotiateCoding,
  parseAcceptEncoding,
  parseWeight,
} from "../../src/http/content_coding.ts";

const ALL = CONTENT_CODINGS;

Deno.test("parseWeight() reads qvalues as exact thousandths and refuses anything else", async (t) => {
  const cases: [string, number | null][] = [
    ["q=1", 1000],
    ["q=1.", 1000],
    ["q=1.0", 1000],
    ["q=1.000", 1000],
    ["Q=0.5", 500],
    ["q=0", 0],
    ["q=0.", 0],
    ["q=0.001", 1],
    ["q=0.501", 501],
    ["q=0.5", 500],
    ["q=0.50", 500],
    ["q=1.0000", null],
    ["q=0.5001", null],
    ["q=1.001", null],
    ["q=1.5", null],
    ["q=2", null],
    ["q=.5", null],
    ["q=-0", null],
    ["q = 0.5", null],
    ["q=0.5 ", null],
    ["q=", null],
    ["q=abc", null],
    ["level=1", null],
    ["", null],
  ];
  for (const [text, expected] of cases) {
    await t.step(JSON.stringify(text), () => assert.equal(parseWeight(text), expected));
  }
});

Deno.test("parseAcceptEncoding() folds case and x-gzip, keeps a refusal over a later mention, and drops malformed members", () => {
  const parsed = parseAcceptEncoding(
    "GZip;q=0.3, x-gzip;q=0.9, BR, br;q=0, *;Q=0.2, zstd;q=x, ,deflate;level=1",
  );
  assert.deepEqual([...parsed.listed], [["gzip", 300], ["br", 0]]);
  assert.equal(parsed.any, 200);
});

Deno.test("negotiateCoding() follows RFC 9110 §12.5.3 with exact weights and br > zstd > gzip on ties", async (t) => {
  const cases: [string, string | undefined, readonly ContentCoding[], string | null][] = [
    ["no Accept-Encoding → identity", undefined, ALL, "identity"],
    ["empty field → identity (no coding wanted)", "", ALL, "identity"],
    ["a browser's list → br", "gzip, deflate, br, zstd", ALL, "br"],
    ["gzip, br → br (tie)", "gzip, br", ALL, "br"],
    ["zstd and gzip → zstd (tie)", "gzip, zstd", ALL, "zstd"],
    ["thousandths compared exactly", "gzip;q=0.501, br;q=0.502", ALL, "br"],
    ["the other way round", "gzip;q=0.502, br;q=0.501", ALL, "gzip"],
    ["case-insensitive names", "GZIP", ALL, "gzip"],
    ["x-gzip is gzip", "x-gzip", ALL, "gzip"],
    ["spaces and tabs around members and weights", " \tbr \t; \tq=0.2 ,gzip ;q=0.1", ALL, "br"],
    ["only an unavailable coding → identity", "deflate", ALL, "identity"],
    ["a coding this response lacks → identity", "br", ["gzip"], "identity"],
    ["only the available coding counts", "br, gzip;q=0.1", ["gzip"], "gzip"],
    ["q=0 refuses it", "br;q=0, gzip;q=0.1", ALL, "gzip"],
    ["malformed q drops the member", "br;q=1.0000, gzip;q=0.1", ALL, "gzip"],
    ["malformed q alone → identity", "gzip;q=abc", ALL, "identity"],
    ["q=1.0000 is malformed, not 1", "br;q=1.0000", ALL, "identity"],
    ["duplicates: the refusal wins", "br, gzip, br;q=0", ALL, "gzip"],
    ["duplicates: the lower weight counts", "br;q=0.9, gzip;q=0.5, br;q=0.1", ALL, "gzip"],
    ["* takes every coding", "*", ALL, "br"],
    ["br;q=0, * → the next best", "br;q=0, *", ALL, "zstd"],
    ["*;q=0.5 below a named coding", "*;q=0.5, gzip", ALL, "gzip"],
    ["*;q=0 refuses all, identity too → 406", "*;q=0", ALL, null],
    ["*;q=0 but identity named → identity", "*;q=0, identity", ALL, "identity"],
    ["*;q=0 but gzip named → gzip", "gzip, *;q=0", ALL, "gzip"],
    ["identity;q=0 and a coding → the coding", "identity;q=0, gzip", ALL, "gzip"],
    ["identity;q=0 and nothing else → 406", "identity;q=0", ALL, null],
    ["identity;q=0 and no coding available → 406", "identity;q=0, gzip", [], null],
    ["identity weighed higher than the coding → identity", "identity, gzip;q=0.5", ALL, "identity"],
    ["identity tied with a coding → the coding", "identity;q=0.5, br;q=0.5", ALL, "br"],
    ["identity not named → after any coding asked for", "gzip;q=0.001", ALL, "gzip"],
    ["* weighs identity too", "gzip;q=0.5, *;q=0.8", ["gzip"], "identity"],
    ["nothing available, nothing refused → identity", "br, gzip", [], "identity"],
    ["garbage → identity", ";;;,,,=", ALL, "identity"],
  ];
  for (const [name, value, available, expected] of cases) {
    await t.step(name, () => assert.equal(negotiateCoding(value, available), expected));
  }
});

Deno.test("codedETag() gives each coding its own strong tag inside the quotes", () => {
  const tags = ALL.map((coding) => codedETag('"2a-400-18b"', coding));
  assert.deepEqual(tags, ['"2a-400-18b-br"', '"2a-400-18b-zstd"', '"2a-400-18b-gzip"']);
});

Deno.test("isCompressible() follows mime-db's compressible flag, else text-like types", async (t) => {
  const cases: [string, boolean][] = [
    ["text/html; charset=utf-8", true],
    ["text/css; charset=utf-8", true],
    ["text/javascript; charset=utf-8", true],
    ["application/json; charset=utf-8", true],
    ["image/svg+xml", true],
    ["text/plain; charset=utf-8", true],
    ["image/png", false],
    ["image/jpeg", false],
    ["video/mp4", false],
    ["application/pdf", false],
    ["application/gzip", false],
    ["application/octet-stream", false],
    ["TEXT/HTML", true],
    ["text/x-unknown-to-mime-db", true],
    ["application/vnd.example+json", true],
    ["application/x-unknown", false],
  ];
  for (const [type, expected] of cases) {
    await t.step(type, () => assert.equal(isCompressible(type), expected));
  }
});

Deno.test("hasNoTransform() finds the directive in a Cache-Control value", async (t) => {
  const cases: [string | null, boolean][] = [
    [null, false],
    ["", false],
    ["public, max-age=60", false],
    ["no-transform", true],
    ["public, No-Transform", true],
    ["max-age=60 , no-transform ", true],
    ["no-transformer", false],
    ['private="no-transform"', false],
  ];
  for (const [value, expected] of cases) {
    await t.step(String(value), () => assert.equal(hasNoTransform(value), expected));
  }
});

Deno.test("negotiateCoding() answers each Accept-Encoding value on its own, however often and however many are seen", () => {
  for (let round = 0; round < 3; round++) {
    assert.equal(negotiateCoding("gzip;q=0, br", ["br", "gzip"]), "br");
    assert.equal(negotiateCoding("br;q=0, gzip", ["br", "gzip"]), "gzip");
    assert.equal(negotiateCoding("br;q=0, gzip", ["br"]), "identity");
    // More distinct values than are remembered: answers stay exact after the memory starts over.
    for (let i = 0; i < 100; i++) {
      assert.equal(
        negotiateCoding(`gzip;q=0.${String(i).padStart(3, "0")}`, ["gzip"]),
        i === 0 ? "identity" : "gzip",
      );
    }
  }
});
