/**
 * makeRoom(): compaction before growth, growth up to a bound.
 */

import assert from "node:assert/strict";
import { makeRoom } from "../../src/io/read_buffer.ts";

Deno.test("makeRoom() leaves a buffer with free space alone", () => {
  const state = { buf: new Uint8Array(8), start: 2, end: 5 };
  assert.equal(makeRoom(state, 64), state);
});

Deno.test("makeRoom() moves unread bytes to the front before growing", () => {
  const buf = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const room = makeRoom({ buf, start: 5, end: 8 }, 64);
  assert.equal(room?.buf, buf, "same buffer");
  assert.deepEqual([room!.start, room!.end], [0, 3]);
  assert.deepEqual([...room!.buf.subarray(0, 3)], [6, 7, 8]);
});

Deno.test("makeRoom() doubles a full buffer, keeping its bytes, up to the bound", () => {
  const buf = Uint8Array.from([1, 2, 3, 4]);
  const room = makeRoom({ buf, start: 0, end: 4 }, 6);
  assert.equal(room?.buf.length, 6);
  assert.deepEqual([...room!.buf.subarray(0, 4)], [1, 2, 3, 4]);
  assert.equal(makeRoom({ buf: room!.buf, start: 0, end: 6 }, 6), null);
});
