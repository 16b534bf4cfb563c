/**
 * Preconditions (RFC 9110 §13) as pure functions: each check, and every row of the §13.2.2
 * evaluation order.
 */

import assert from "node:assert/strict";
import {
  checkIfMatch,
  checkIfModifiedSince,
  checkIfNoneMatch,
  checkIfRange,
  checkIfUnmodifiedSince,
  evaluatePreconditions,
  type Validators,
} from "../../src/http/conditional.ts";
import { formatHttpDate } from "../../src/http/dates.ts";
import { makeETag, parseEntityTags } from "../../src/http/etag.ts";

const MTIME = Date.UTC(2026, 0, 1, 12, 0, 0, 500); // sub-second part must not matter
const V: Validators = { etag: '"abc"', lastModifiedMs: MTIME };
const SAME = formatHttpDate(MTIME);
const BEFORE = formatHttpDate(MTIME - 60_000);
const AFTER = formatHttpDate(MTIME + 60_000);

function h(fields: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(fields));
}

Deno.test("makeETag() is strong and changes with size, mtime and inode", () => {
  const base = { size: 10, mtimeMs: 1000, ino: 7 };
  const tag = makeETag(base);
  assert.match(tag, /^"[0-9a-f-]+"$/);
  assert.notEqual(makeETag({ ...base, size: 11 }), tag);
  assert.notEqual(makeETag({ ...base, mtimeMs: 1001 }), tag);
  assert.notEqual(makeETag({ ...base, ino: 8 }), tag);
  assert.equal(makeETag({ ...base }), tag);
});

Deno.test("parseEntityTags() reads *, lists, weak tags and refuses garbage", () => {
  assert.equal(parseEntityTags(" * "), "*");
  assert.deepEqual(parseEntityTags('"a", W/"b" ,"c"'), [
    { weak: false, tag: '"a"' },
    { weak: true, tag: '"b"' },
    { weak: false, tag: '"c"' },
  ]);
  assert.equal(parseEntityTags("abc"), null);
  assert.equal(parseEntityTags('"a" "b"'), null);
});

Deno.test("checkIfMatch() uses strong comparison; * matches any current file", () => {
  assert.equal(checkIfMatch(h({}), V), "none");
  assert.equal(checkIfMatch(h({ "if-match": "*" }), V), true);
  assert.equal(checkIfMatch(h({ "if-match": '"x", "abc"' }), V), true);
  assert.equal(checkIfMatch(h({ "if-match": 'W/"abc"' }), V), false);
  assert.equal(checkIfMatch(h({ "if-match": '"x"' }), V), false);
  assert.equal(checkIfMatch(h({ "if-match": "garbage" }), V), false);
});

Deno.test("checkIfNoneMatch() uses weak comparison; * means the file exists", () => {
  assert.equal(checkIfNoneMatch(h({}), V), "none");
  assert.equal(checkIfNoneMatch(h({ "if-none-match": "*" }), V), false);
  assert.equal(checkIfNoneMatch(h({ "if-none-match": 'W/"abc"' }), V), false);
  assert.equal(checkIfNoneMatch(h({ "if-none-match": '"x", "abc"' }), V), false);
  assert.equal(checkIfNoneMatch(h({ "if-none-match": '"x"' }), V), true);
});

Deno.test("checkIfModifiedSince() compares whole seconds and ignores invalid dates", () => {
  assert.equal(checkIfModifiedSince(h({ "if-modified-since": SAME }), V), false);
  assert.equal(checkIfModifiedSince(h({ "if-modified-since": AFTER }), V), false);
  assert.equal(checkIfModifiedSince(h({ "if-modified-since": BEFORE }), V), true);
  assert.equal(checkIfModifiedSince(h({ "if-modified-since": "yesterday" }), V), "none");
  assert.equal(
    checkIfModifiedSince(h({ "if-modified-since": SAME }), { ...V, lastModifiedMs: null }),
    "none",
  );
});

Deno.test("checkIfUnmodifiedSince() compares whole seconds and ignores invalid dates", () => {
  assert.equal(checkIfUnmodifiedSince(h({ "if-unmodified-since": SAME }), V), true);
  assert.equal(checkIfUnmodifiedSince(h({ "if-unmodified-since": BEFORE }), V), false);
  assert.equal(checkIfUnmodifiedSince(h({ "if-unmodified-since": "nope" }), V), "none");
});

Deno.test("checkIfRange() needs a strong ETag match or the exact Last-Modified date", () => {
  assert.equal(checkIfRange(h({}), V), "none");
  assert.equal(checkIfRange(h({ "if-range": '"abc"' }), V), true);
  assert.equal(checkIfRange(h({ "if-range": 'W/"abc"' }), V), false);
  assert.equal(checkIfRange(h({ "if-range": '"old"' }), V), false);
  assert.equal(checkIfRange(h({ "if-range": SAME }), V), true);
  assert.equal(checkIfRange(h({ "if-range": BEFORE }), V), false);
  assert.equal(checkIfRange(h({ "if-range": "garbage" }), V), false);
});

/** RFC 9110 §13.2.2, row by row: [name, method, fields, expected]. */
const PRECEDENCE: readonly [string, string, Record<string, string>, "proceed" | 304 | 412][] = [
  ["no preconditions", "GET", {}, "proceed"],
  ["1: If-Match true → continue", "GET", { "if-match": '"abc"' }, "proceed"],
  ["1: If-Match false → 412", "GET", { "if-match": '"x"' }, 412],
  ["1: If-Match false wins over If-None-Match", "GET", {
    "if-match": '"x"',
    "if-none-match": '"abc"',
  }, 412],
  ["2: If-Unmodified-Since true → continue", "GET", { "if-unmodified-since": SAME }, "proceed"],
  ["2: If-Unmodified-Since false → 412", "GET", { "if-unmodified-since": BEFORE }, 412],
  ["2: If-Unmodified-Since is ignored when If-Match is present", "GET", {
    "if-match": '"abc"',
    "if-unmodified-since": BEFORE,
  }, "proceed"],
  [
    "2: an invalid If-Unmodified-Since is ignored",
    "GET",
    { "if-unmodified-since": "x" },
    "proceed",
  ],
  ["3: If-None-Match false on GET → 304", "GET", { "if-none-match": '"abc"' }, 304],
  ["3: If-None-Match false on HEAD → 304", "HEAD", { "if-none-match": '"abc"' }, 304],
  ["3: If-None-Match * on GET → 304", "GET", { "if-none-match": "*" }, 304],
  ["3: If-None-Match false on another method → 412", "DELETE", { "if-none-match": '"abc"' }, 412],
  ["3: If-None-Match true → continue", "GET", { "if-none-match": '"x"' }, "proceed"],
  ["4: If-Modified-Since false on GET → 304", "GET", { "if-modified-since": SAME }, 304],
  ["4: If-Modified-Since true → continue", "GET", { "if-modified-since": BEFORE }, "proceed"],
  ["4: If-Modified-Since is ignored when If-None-Match is present", "GET", {
    "if-none-match": '"x"',
    "if-modified-since": SAME,
  }, "proceed"],
  ["4: If-Modified-Since is ignored even beside a malformed If-None-Match", "GET", {
    "if-none-match": "bad",
    "if-modified-since": SAME,
  }, "proceed"],
  [
    "4: If-Modified-Since is ignored on other methods",
    "DELETE",
    { "if-modified-since": SAME },
    "proceed",
  ],
  ["1+3: If-Match true, If-None-Match false → 304", "GET", {
    "if-match": '"abc"',
    "if-none-match": '"abc"',
  }, 304],
  ["2+4: If-Unmodified-Since true, If-Modified-Since false → 304", "GET", {
    "if-unmodified-since": SAME,
    "if-modified-since": SAME,
  }, 304],
];

Deno.test("evaluatePreconditions() follows RFC 9110 §13.2.2 row by row", async (t) => {
  for (const [name, method, fields, expected] of PRECEDENCE) {
    await t.step(name, () => assert.equal(evaluatePreconditions(method, h(fields), V), expected));
  }
});
