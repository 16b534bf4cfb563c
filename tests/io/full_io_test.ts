/**
 * Whole-buffer I/O (src/io/full_io.ts): partial writes and short reads are carried to the end.
 */

import assert from "node:assert/strict";
import { readExactly, ShortReadError, writeAll } from "../../src/io/full_io.ts";

Deno.test("writeAll() keeps writing after partial writes and reports each one", async () => {
  const got: number[] = [];
  const counts: number[] = [];
  const writer = {
    write(bytes: Uint8Array) {
      const n = Math.min(3, bytes.length);
      got.push(...bytes.subarray(0, n));
      return Promise.resolve(n);
    },
  };
  await writeAll(writer, Uint8Array.from([1, 2, 3, 4, 5, 6, 7]), (n) => counts.push(n));
  assert.deepEqual(got, [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(counts, [3, 3, 1]);
});

Deno.test("readExactly() fills the buffer from short reads, passing the offset so far", async () => {
  const source = Uint8Array.from([9, 8, 7, 6, 5]);
  const offsets: number[] = [];
  const buf = new Uint8Array(5);
  await readExactly((target, filled) => {
    offsets.push(filled);
    const n = Math.min(2, target.length);
    target.set(source.subarray(filled, filled + n));
    return Promise.resolve(n);
  }, buf);
  assert.deepEqual([...buf], [9, 8, 7, 6, 5]);
  assert.deepEqual(offsets, [0, 2, 4]);
});

Deno.test("readExactly() throws ShortReadError when the source ends first", async () => {
  let calls = 0;
  await assert.rejects(
    () => readExactly(() => Promise.resolve(calls++ === 0 ? 2 : 0), new Uint8Array(5)),
    (error) => error instanceof ShortReadError && error.filled === 2,
  );
});
