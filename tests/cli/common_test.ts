/**
 * What both command lines share (src/cli/common.ts): argument normalisation and suggestions.
 */

import assert from "node:assert/strict";
import { normalizeArgs, parseSeconds, suggest } from "../../src/cli/common.ts";

const OPTIONS = {
  port: { type: "string", short: "p" },
  quiet: { type: "boolean", short: "q" },
} as const;

Deno.test("normalizeArgs() joins value options with their values, so negatives reach validation", () => {
  assert.deepEqual(normalizeArgs(["-p", "-1"], OPTIONS, {}, "--help"), ["--port=-1"]);
  assert.deepEqual(normalizeArgs(["--port", "80", "-q", "x"], OPTIONS, {}, "--help"), [
    "--port=80",
    "--quiet",
    "x",
  ]);
  assert.deepEqual(normalizeArgs(["-port", "9"], OPTIONS, { "-port": "port" }, "--help"), [
    "--port=9",
  ]);
  assert.deepEqual(normalizeArgs(["--", "-p"], OPTIONS, {}, "--help"), ["--", "-p"]);
});

Deno.test("suggest() finds a close option, or nothing when none is close", () => {
  const known = ["port", "protocol", "header-timeout", "listing"];
  assert.equal(suggest("prot", known), "protocol");
  assert.equal(suggest("listnig", known), "listing");
  assert.equal(suggest("document_root", ["root", "document-root"]), "document-root");
  assert.equal(suggest("zzzzzz", known), null);
});

Deno.test("parseSeconds() takes positive decimals up to a day", () => {
  assert.equal(parseSeconds(undefined, 10), 10);
  assert.equal(parseSeconds("0.5", 10), 0.5);
  assert.equal(parseSeconds("0", 10), null);
  assert.equal(parseSeconds("-5", 10), null);
  assert.equal(parseSeconds("86401", 10), null);
});
