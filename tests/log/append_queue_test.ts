/**
 * The append queue's record boundaries (src/log/append_queue.ts).
 */

import assert from "node:assert/strict";
import {
  type AppendFile,
  AppendQueue,
  csvRowStart,
  responseEntryStart,
} from "../../src/log/append_queue.ts";
import { bytes } from "../helpers.ts";

const HEAD = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";

Deno.test("csvRowStart() and responseEntryStart() find the record a byte belongs to", () => {
  const csv = bytes("a,b\nc,d\ne,f\n");
  assert.equal(csvRowStart(csv, 0), 0);
  assert.equal(csvRowStart(csv, 5), 4);
  assert.equal(csvRowStart(csv, 8), 8);
  const entries = bytes(`# x\n${HEAD}# y\n${HEAD}`);
  const second = 4 + HEAD.length;
  assert.equal(responseEntryStart(entries, 3), 0);
  assert.equal(responseEntryStart(entries, second), second);
  assert.equal(responseEntryStart(entries, second + 10), second);
});

/** A file that keeps what is appended to it. */
function memoryFile(): { file: AppendFile; text: () => string } {
  let text = "";
  return {
    file: {
      write: (chunk) => {
        text += new TextDecoder().decode(chunk);
        return Promise.resolve(chunk.length);
      },
      close: () => {},
    },
    text: () => text,
  };
}

Deno.test("AppendQueue joins small chunks into one write and frees each chunk it owns whole", async () => {
  const queue = new AppendQueue(csvRowStart);
  const owned = [bytes("a,1\n"), bytes("b,2\n")];
  const shared = new Uint8Array(bytes("x\nc,3\n").buffer, 2);
  for (const chunk of [...owned, shared]) queue.push(chunk);
  queue.joinFirst(1024);
  assert.equal(queue.firstLength, 12, "three chunks, one write");
  const { file, text } = memoryFile();
  await queue.drainTo(file);
  assert.equal(text(), "a,1\nb,2\nc,3\n");
  // Written batches are freed at once, not when the collector runs; a view into a buffer that
  // holds more is left alone.
  assert.deepEqual(owned.map((chunk) => chunk.buffer.byteLength), [0, 0]);
  assert.equal(shared.buffer.byteLength, 6);
});
