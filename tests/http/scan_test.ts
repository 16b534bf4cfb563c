/**
 * Byte scanning (src/http/scan.ts): the head-end search and the bounded search every parser uses.
 */

import assert from "node:assert/strict";
import { bounded, findHeadEnd } from "../../src/http/scan.ts";
import { bytes } from "../helpers.ts";

const H = "Host: example.com\r\n";

Deno.test("findHeadEnd() finds the end after LF CRLF and resumes from any offset", () => {
  const data = bytes(`GET / HTTP/1.1\r\n${H}\r\nrest`);
  const end = data.length - 4;
  for (let from = 0; from < end - 2; from++) assert.equal(findHeadEnd(data, from), end);
  assert.equal(findHeadEnd(bytes("GET / HTTP/1.1\r\nHost: a\r\n"), 0), -1);
});

Deno.test("bounded() says found, partial, or over the limit, measuring from the unit's start", () => {
  const data = bytes("xxabcdef");
  assert.deepEqual(bounded(data, 2, 5, 3), { kind: "found", end: 5 });
  assert.deepEqual(bounded(data, 2, 6, 3), { kind: "over-limit" });
  assert.deepEqual(bounded(data, 2, -1, 6), { kind: "partial" });
  // Not found yet, but more has arrived than the unit may be long: no need to wait.
  assert.deepEqual(bounded(data, 2, -1, 5), { kind: "over-limit" });
});
