/**
 * The body writer (src/server/body_writer.ts): what goes to the sink, and the budget of stream
 * buffers that keeps slow readers cheap.
 */

import assert from "node:assert/strict";
import { StreamBudget, writeReply } from "../../src/server/body_writer.ts";
import {
  FILE_CHUNK_BYTES,
  MIN_STREAM_CHUNK_BYTES,
  SINGLE_WRITE_MAX_BYTES,
} from "../../src/limits.ts";

/** A sink that records each write. */
function recordingSink() {
  const writes: Uint8Array[] = [];
  return { writes, write: (bytes: Uint8Array) => (writes.push(bytes.slice()), Promise.resolve()) };
}

const HEAD = new TextEncoder().encode("HTTP/1.1 200 OK\r\n\r\n");

Deno.test("writeReply() sends a small body in the same write as the head", async () => {
  const sink = recordingSink();
  await writeReply(sink, HEAD, { kind: "bytes", bytes: new Uint8Array(10) });
  assert.equal(sink.writes.length, 1);
  assert.equal(sink.writes[0].length, HEAD.length + 10);
});

Deno.test("writeReply() sends a large in-memory body after the head, in a second write", async () => {
  const sink = recordingSink();
  await writeReply(sink, HEAD, {
    kind: "bytes",
    bytes: new Uint8Array(SINGLE_WRITE_MAX_BYTES + 1),
  });
  assert.deepEqual(sink.writes.map((w) => w.length), [HEAD.length, SINGLE_WRITE_MAX_BYTES + 1]);
});

Deno.test("writeReply() with no body sends the head alone", async () => {
  const sink = recordingSink();
  await writeReply(sink, HEAD, { kind: "none" });
  assert.deepEqual(sink.writes.map((w) => w.length), [HEAD.length]);
});

Deno.test("StreamBudget gives full buffers while it lasts, then small ones, and takes them back", () => {
  const budget = new StreamBudget(2 * FILE_CHUNK_BYTES);
  const big = 10 * FILE_CHUNK_BYTES;
  const a = budget.acquire(big);
  const b = budget.acquire(big);
  const c = budget.acquire(big);
  assert.deepEqual([a, b, c], [FILE_CHUNK_BYTES, FILE_CHUNK_BYTES, MIN_STREAM_CHUNK_BYTES]);
  budget.release(a);
  budget.release(c);
  assert.equal(budget.used, FILE_CHUNK_BYTES);
  assert.equal(budget.acquire(big), FILE_CHUNK_BYTES, "a freed buffer is full-size again");
  assert.equal(budget.acquire(100), 100, "a small body never gets more than it needs");
});
