/**
 * decodeChunked(): RFC 9112 §7.1, incremental.
 */

import assert from "node:assert/strict";
import { CHUNKED_START, type ChunkedState, decodeChunked } from "../../src/http/chunked.ts";
import { MAX_CHUNK_LINE_BYTES, MAX_TRAILER_BYTES } from "../../src/limits.ts";
import { bytes } from "../helpers.ts";

const MAX = 1024 * 1024;

/** Decodes a whole body fed in pieces of `step` bytes; returns body text, trailers, leftover. */
function decodeAll(text: string, step: number) {
  const data = bytes(text);
  let state: ChunkedState = CHUNKED_START;
  let pending = new Uint8Array(0);
  let body = "";
  let trailers: ReadonlyMap<string, string> | null = null;
  for (let offset = 0; offset < data.length || pending.length > 0;) {
    const next = data.subarray(offset, offset + step);
    offset += next.length;
    const input = new Uint8Array(pending.length + next.length);
    input.set(pending);
    input.set(next, pending.length);
    const result = decodeChunked(state, input, MAX);
    if (result.kind === "error") return { error: result };
    for (const part of result.data) body += new TextDecoder().decode(part);
    state = result.state;
    pending = input.slice(result.consumed);
    if (state.phase === "done") {
      trailers = result.trailers;
      return {
        body,
        trailers,
        rest: new TextDecoder().decode(pending) + text.slice(offset),
        state,
      };
    }
    if (next.length === 0) break;
  }
  return { body, trailers, rest: null, state };
}

const BODY =
  "4\r\nWiki\r\n6;name=val\r\npedia \r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Sum: 1\r\n\r\nNEXT";

Deno.test("decodeChunked() decodes data, ignores extensions and returns trailers", () => {
  const out = decodeAll(BODY, BODY.length);
  assert.equal(out.body, "Wikipedia  in\r\n\r\nchunks.");
  assert.equal(out.trailers?.get("x-sum"), "1");
  assert.equal(out.rest, "NEXT");
  assert.equal(out.state?.received, 24);
});

Deno.test("decodeChunked() gives the same result for every feed size", () => {
  for (let step = 1; step <= BODY.length; step++) {
    const out = decodeAll(BODY, step);
    assert.equal(out.body, "Wikipedia  in\r\n\r\nchunks.", `step ${step}`);
    assert.equal(out.rest, "NEXT", `step ${step}`);
  }
});

Deno.test("decodeChunked() ends at the last chunk without trailers", () => {
  const out = decodeAll("3\r\nabc\r\n0\r\n\r\n", 100);
  assert.equal(out.body, "abc");
  assert.equal(out.trailers?.size, 0);
  assert.equal(out.rest, "");
});

Deno.test("decodeChunked() refuses malformed framing with 400", async (t) => {
  const cases: Record<string, string> = {
    "a non-hex size": "g\r\n",
    "an empty size": "\r\n",
    "garbage after the size": "3 x\r\nabc\r\n0\r\n\r\n",
    "a bare LF after the size": "3\nabc\r\n0\r\n\r\n",
    "data not followed by CRLF": "3\r\nabcd\r\n0\r\n\r\n",
    "a control byte in an extension": "3;a=\x01\r\nabc\r\n0\r\n\r\n",
    "an endless size line": "1" + ";".repeat(MAX_CHUNK_LINE_BYTES + 1),
    "a trailer without a colon": "0\r\nbad\r\n\r\n",
  };
  for (const [name, text] of Object.entries(cases)) {
    await t.step(name, () => {
      const result = decodeChunked(CHUNKED_START, bytes(text), MAX);
      assert.equal(result.kind, "error");
      assert.equal(result.kind === "error" && result.status, 400);
    });
  }
});

Deno.test("decodeChunked() refuses a body over the limit with 413 before reading it", () => {
  const result = decodeChunked(CHUNKED_START, bytes(`${(MAX + 1).toString(16)}\r\n`), MAX);
  assert.equal(result.kind === "error" && result.status, 413);
  const huge = decodeChunked(CHUNKED_START, bytes("ffffffffffffffffffff\r\n"), MAX);
  assert.equal(huge.kind === "error" && huge.status, 413);
});

Deno.test("decodeChunked() refuses a trailer section over the limit with 431", () => {
  const result = decodeChunked(
    CHUNKED_START,
    bytes(`0\r\nX: ${"a".repeat(MAX_TRAILER_BYTES)}`),
    MAX,
  );
  assert.equal(result.kind === "error" && result.status, 431);
});
