/**
 * Tests for the log's byte buffer: what is appended comes out as UTF-8, whole and in order, in a
 * buffer that owns its memory.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Utf8Buffer } from "../../src/log/utf8_buffer.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("Utf8Buffer: text comes out as UTF-8, as TextEncoder encodes it", () => {
  for (const text of ["GET / HTTP/1.1", "é", "日本", "😀", "a\ud800b", ""]) {
    const buffer = new Utf8Buffer(4);
    buffer.text(text);
    assert.deepEqual(buffer.take(), new TextEncoder().encode(text), JSON.stringify(text));
  }
});

Deno.test("Utf8Buffer: text and bytes keep their order past the initial size", () => {
  const buffer = new Utf8Buffer(8);
  const expected: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const piece = `# ${i} é\n`;
    if (i % 2 === 0) buffer.text(piece);
    else buffer.bytes(new TextEncoder().encode(piece));
    expected.push(piece);
  }
  assert.equal(buffer.length, new TextEncoder().encode(expected.join("")).length);
  assert.equal(decode(buffer.take()), expected.join(""));
});

Deno.test("Utf8Buffer: a take owns its whole buffer (it can be transferred and freed) and starts over", () => {
  const buffer = new Utf8Buffer(1024);
  buffer.text("HTTP/1.1 200 OK\r\n\r\n");
  const taken = buffer.take();
  assert.equal(taken.byteOffset, 0);
  assert.equal(taken.byteLength, taken.buffer.byteLength);
  assert.equal(buffer.length, 0);
  buffer.text("next");
  assert.equal(decode(buffer.take()), "next");
  assert.equal(
    decode(taken),
    "HTTP/1.1 200 OK\r\n\r\n",
    "a later append does not touch a taken buffer",
  );
});

Deno.test("Utf8Buffer: an empty take is empty and claims no memory", () => {
  const buffer = new Utf8Buffer(1024 * 1024);
  const taken = buffer.take();
  assert.equal(taken.byteLength, 0);
  assert.equal(taken.buffer.byteLength, 0);
});
