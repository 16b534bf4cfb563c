/**
 * The append queue's record boundaries (src/log/append_queue.ts).
 */

import assert from "node:assert/strict";
import { csvRowStart, responseEntryStart } from "../../src/log/append_queue.ts";
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
