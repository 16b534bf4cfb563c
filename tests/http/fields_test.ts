/**
 * Field helpers (src/http/fields.ts).
 */

import assert from "node:assert/strict";
import { listMembers, parseContentLength, trimOws } from "../../src/http/fields.ts";

Deno.test("parseContentLength() accepts identical lists and refuses anything else", () => {
  assert.equal(parseContentLength("10"), 10);
  assert.equal(parseContentLength("10, 10"), 10);
  assert.equal(parseContentLength("10, 11"), null);
  assert.equal(parseContentLength("+10"), null);
  assert.equal(parseContentLength("0x10"), null);
  assert.equal(parseContentLength(""), null);
});

Deno.test("trimOws() trims SP and HTAB only, never Latin-1 NBSP (a smuggling vector)", () => {
  assert.equal(trimOws(" \t a b \t "), "a b");
  assert.equal(trimOws("\xa05\xa0"), "\xa05\xa0");
});

Deno.test("listMembers() splits a list into trimmed, lower-case, non-empty members", () => {
  assert.deepEqual(listMembers(" Keep-Alive , ,close,"), ["keep-alive", "close"]);
});
