/**
 * Response field edits (src/http/field_edits.ts): field-name and value syntax, which fields a
 * rule may set or remove, and applying edits — set replaces, remove deletes, Vary merges.
 */

import assert from "node:assert/strict";
import type { Header } from "../../src/http/head.ts";
import {
  applyFieldEdits,
  editProblem,
  fieldNameProblem,
  fieldValueProblem,
} from "../../src/http/field_edits.ts";
import { MAX_RULE_FIELD_VALUE_BYTES } from "../../src/limits.ts";

Deno.test("fieldNameProblem() accepts tokens and refuses anything else (RFC 9110 §5.1)", async (t) => {
  for (const name of ["X-Frame-Options", "cache-control", "x_a", "A!#$%&'*+-.^_`|~9"]) {
    await t.step(`accepts ${name}`, () => assert.equal(fieldNameProblem(name), null));
  }
  for (const name of ["", "X Y", "X:", "X\r\nY", "Café", "(x)", "a/b", "a\tb", '"x"']) {
    await t.step(
      `refuses ${JSON.stringify(name)}`,
      () => assert.notEqual(fieldNameProblem(name), null),
    );
  }
});

Deno.test("fieldValueProblem() refuses CR, LF, NUL, controls, non-ASCII and surrounding space", async (t) => {
  const cases: [string, RegExp | null][] = [
    ["max-age=60, public", null],
    ['"quoted", tab\tinside', null],
    ["", null],
    ["a\rb", /CR, LF or NUL/],
    ["a\nb", /CR, LF or NUL/],
    ["a\r\nSet-Cookie: x=1", /CR, LF or NUL/],
    ["a\0b", /CR, LF or NUL/],
    ["a\x01b", /control/],
    ["a\x7fb", /control/],
    ["a\x1bb", /control/],
    ["café", /ASCII/],
    [" a", /whitespace/],
    ["a\t", /whitespace/],
    ["x".repeat(MAX_RULE_FIELD_VALUE_BYTES), null],
    ["x".repeat(MAX_RULE_FIELD_VALUE_BYTES + 1), /at most/],
  ];
  for (const [value, problem] of cases) {
    await t.step(JSON.stringify(value.slice(0, 40)), () => {
      const found = fieldValueProblem(value);
      if (problem === null) assert.equal(found, null);
      else assert.match(found ?? "", problem);
    });
  }
});

Deno.test("editProblem() refuses framing, hop-by-hop and connection-owned fields in any case", async (t) => {
  const never = [
    "Content-Length",
    "Transfer-Encoding",
    "Content-Encoding",
    "Content-Range",
    "Connection",
    "Keep-Alive",
    "Proxy-Connection",
    "TE",
    "Trailer",
    "Upgrade",
    "Date",
    "Server",
    "Location",
    "Strict-Transport-Security",
  ];
  for (const name of never) {
    await t.step(name, () => {
      assert.match(editProblem(name, "set") ?? "", /cannot be set/);
      assert.match(editProblem(name.toUpperCase(), "remove") ?? "", /cannot be removed/);
    });
  }
});

Deno.test("editProblem() lets validators be removed but not set, and Vary and Content-Type set but not removed", () => {
  for (const name of ["ETag", "Last-Modified"]) {
    assert.equal(editProblem(name, "remove"), null, name);
    assert.match(editProblem(name, "set") ?? "", /validator/, name);
  }
  for (const name of ["Vary", "content-type"]) {
    assert.equal(editProblem(name, "set"), null, name);
    assert.match(editProblem(name, "remove") ?? "", /cannot be removed/, name);
  }
  for (
    const name of ["Cache-Control", "X-Frame-Options", "Set-Cookie", "Access-Control-Allow-Origin"]
  ) {
    assert.equal(editProblem(name, "set"), null, name);
    assert.equal(editProblem(name, "remove"), null, name);
  }
});

const FILE: Header[] = [
  ["Content-Type", "text/plain; charset=utf-8"],
  ["Content-Length", "3"],
  ["ETag", '"x"'],
  ["Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"],
  ["Cache-Control", "no-cache"],
];

Deno.test("applyFieldEdits() set replaces every field of the name, whatever its case", () => {
  const out = applyFieldEdits([...FILE, ["cache-control", "private"]], [
    { set: [["CACHE-CONTROL", "max-age=60"]], remove: [] },
  ]);
  assert.deepEqual(out.filter(([n]) => /cache-control/i.test(n)), [[
    "CACHE-CONTROL",
    "max-age=60",
  ]]);
  assert.equal(out.length, FILE.length);
});

Deno.test("applyFieldEdits() set adds a field the reply does not have, and leaves the input alone", () => {
  const before = structuredClone(FILE);
  const out = applyFieldEdits(FILE, [{ set: [["X-Frame-Options", "DENY"]], remove: [] }]);
  assert.deepEqual(out.at(-1), ["X-Frame-Options", "DENY"]);
  assert.deepEqual(FILE, before);
});

Deno.test("applyFieldEdits() remove deletes every field of the name", () => {
  const out = applyFieldEdits([...FILE, ["etag", '"y"']], [{
    set: [],
    remove: ["etag", "last-modified"],
  }]);
  assert.deepEqual(out.map(([n]) => n), ["Content-Type", "Content-Length", "Cache-Control"]);
});

Deno.test("applyFieldEdits() applies rules in order: a later rule sees what earlier ones left", () => {
  const out = applyFieldEdits(FILE, [
    { set: [["X-A", "1"], ["X-B", "1"]], remove: [] },
    { set: [["X-A", "2"]], remove: ["x-b"] },
  ]);
  assert.deepEqual(out.filter(([n]) => n.startsWith("X-")), [["X-A", "2"]]);
});

Deno.test("applyFieldEdits() merges a set Vary into the reply's Vary as one list (RFC 9110 §12.5.5)", async (t) => {
  const cases: [Header[], string, string][] = [
    [[], "Origin", "Origin"],
    [[["Vary", "Accept-Encoding"]], "Origin", "Accept-Encoding, Origin"],
    [[["Vary", "Accept-Encoding"]], "accept-encoding, Origin", "Accept-Encoding, Origin"],
    [
      [["Vary", "Accept"], ["vary", "Accept-Encoding"]],
      "Origin",
      "Accept, Accept-Encoding, Origin",
    ],
    [[["Vary", "Accept-Encoding"]], "*", "*"],
    [[["Vary", "*"]], "Origin", "*"],
  ];
  for (const [headers, set, expected] of cases) {
    await t.step(`${JSON.stringify(headers)} + ${set}`, () => {
      const out = applyFieldEdits(headers, [{ set: [["Vary", set]], remove: [] }]);
      assert.deepEqual(out.filter(([n]) => n.toLowerCase() === "vary"), [["Vary", expected]]);
    });
  }
});

Deno.test("applyFieldEdits() keeps the Content-Type of a multipart/byteranges reply (its boundary frames the body)", () => {
  const multipart: Header[] = [["Content-Type", "multipart/byteranges; boundary=b1"]];
  const edit = [{ set: [["Content-Type", "text/plain"] as const], remove: [] }];
  assert.deepEqual(applyFieldEdits(multipart, edit), multipart);
  assert.deepEqual(applyFieldEdits(FILE, edit).find(([n]) => n === "Content-Type"), [
    "Content-Type",
    "text/plain",
  ]);
});
