/**
 * parseRange() (RFC 9110 §14) and the range policy, as a table.
 */

import assert from "node:assert/strict";
import { coalesce, formatContentRange, parseRange } from "../../src/http/range.ts";
import { MAX_RANGES } from "../../src/limits.ts";

const SIZE = 1000;

const ROWS: readonly [string, string, number, ReturnType<typeof parseRange>][] = [
  ["first-last", "bytes=0-99", SIZE, { kind: "ranges", ranges: [{ start: 0, end: 99 }] }],
  ["first- (to the end)", "bytes=900-", SIZE, {
    kind: "ranges",
    ranges: [{ start: 900, end: 999 }],
  }],
  ["-suffix", "bytes=-100", SIZE, { kind: "ranges", ranges: [{ start: 900, end: 999 }] }],
  ["a suffix longer than the file is the whole file", "bytes=-5000", SIZE, {
    kind: "ranges",
    ranges: [{ start: 0, end: 999 }],
  }],
  ["last beyond the end is clamped", "bytes=990-5000", SIZE, {
    kind: "ranges",
    ranges: [{ start: 990, end: 999 }],
  }],
  ["the unit is case-insensitive", "Bytes=0-0", SIZE, {
    kind: "ranges",
    ranges: [{ start: 0, end: 0 }],
  }],
  ["whitespace around specs", "bytes= 0-1 , 5-6", SIZE, {
    kind: "ranges",
    ranges: [{ start: 0, end: 1 }, { start: 5, end: 6 }],
  }],
  ["several ranges are sorted", "bytes=500-599,0-99", SIZE, {
    kind: "ranges",
    ranges: [{ start: 0, end: 99 }, { start: 500, end: 599 }],
  }],
  ["overlapping ranges are coalesced", "bytes=0-99,50-149", SIZE, {
    kind: "ranges",
    ranges: [{ start: 0, end: 149 }],
  }],
  ["adjacent ranges are coalesced", "bytes=0-99,100-199", SIZE, {
    kind: "ranges",
    ranges: [{ start: 0, end: 199 }],
  }],
  ["unsatisfiable specs among satisfiable ones are dropped", "bytes=0-9,5000-6000", SIZE, {
    kind: "ranges",
    ranges: [{ start: 0, end: 9 }],
  }],
  ["a start at the end is unsatisfiable", "bytes=1000-", SIZE, { kind: "unsatisfiable" }],
  ["-0 is unsatisfiable", "bytes=-0", SIZE, { kind: "unsatisfiable" }],
  ["all specs beyond the end → 416", "bytes=2000-3000,4000-", SIZE, { kind: "unsatisfiable" }],
  ["another unit is ignored", "items=0-5", SIZE, { kind: "ignore" }],
  ["no = is ignored", "bytes 0-5", SIZE, { kind: "ignore" }],
  ["last before first is invalid and ignored", "bytes=5-1", SIZE, { kind: "ignore" }],
  ["a non-numeric spec is ignored", "bytes=a-b", SIZE, { kind: "ignore" }],
  ["a lone dash is ignored", "bytes=-", SIZE, { kind: "ignore" }],
  ["an empty set is ignored", "bytes=", SIZE, { kind: "ignore" }],
  ["a negative number is ignored", "bytes=--5", SIZE, { kind: "ignore" }],
  ["any range of an empty file is ignored", "bytes=0-10", 0, { kind: "ignore" }],
  ["an unsatisfiable range of an empty file is ignored too", "bytes=-5", 0, { kind: "ignore" }],
  ["overlap adding up to more than the file is ignored", "bytes=0-999,0-999", SIZE, {
    kind: "ignore",
  }],
  [
    `more than ${MAX_RANGES} ranges are ignored`,
    "bytes=" +
    Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i * 10}-${i * 10 + 1}`).join(","),
    SIZE,
    { kind: "ignore" },
  ],
];

Deno.test("parseRange() applies the range policy row by row", async (t) => {
  for (const [name, value, size, expected] of ROWS) {
    await t.step(name, () => assert.deepEqual(parseRange(value, size), expected));
  }
});

Deno.test(`parseRange() honours exactly ${MAX_RANGES} ranges`, () => {
  const value = "bytes=" +
    Array.from({ length: MAX_RANGES }, (_, i) => `${i * 10}-${i * 10 + 1}`).join(",");
  const decision = parseRange(value, SIZE);
  assert.equal(decision.kind === "ranges" && decision.ranges.length, MAX_RANGES);
});

Deno.test("coalesce() merges overlapping and touching ranges only", () => {
  assert.deepEqual(
    coalesce([{ start: 10, end: 20 }, { start: 0, end: 5 }, { start: 6, end: 8 }, {
      start: 30,
      end: 40,
    }]),
    [
      { start: 0, end: 8 },
      { start: 10, end: 20 },
      { start: 30, end: 40 },
    ],
  );
});

Deno.test("formatContentRange() writes the range form and the unsatisfied * form", () => {
  assert.equal(formatContentRange({ start: 0, end: 99 }, 1000), "bytes 0-99/1000");
  assert.equal(formatContentRange(null, 1000), "bytes */1000");
});
