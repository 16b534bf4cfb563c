/**
 * HTTP dates (src/http/dates.ts).
 */

import assert from "node:assert/strict";
import { currentHttpDate, formatHttpDate, parseHttpDate } from "../../src/http/dates.ts";

const T = Date.UTC(1994, 10, 6, 8, 49, 37);

Deno.test("formatHttpDate() writes IMF-fixdate (RFC 9110 §5.6.7)", () => {
  assert.equal(formatHttpDate(T), "Sun, 06 Nov 1994 08:49:37 GMT");
});

Deno.test("parseHttpDate() reads IMF-fixdate, RFC 850 and asctime forms", () => {
  assert.equal(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), T);
  assert.equal(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), T);
  assert.equal(parseHttpDate("Sun Nov  6 08:49:37 1994"), T);
});

Deno.test("parseHttpDate() refuses invalid dates", () => {
  for (
    const text of [
      "",
      "yesterday",
      "Sun, 06 Nov 1994 08:49:37 UTC",
      "Sun, 31 Feb 1994 08:49:37 GMT",
      "Sun, 06 Foo 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 25:49:37 GMT",
    ]
  ) {
    assert.equal(parseHttpDate(text), null, text);
  }
});

Deno.test("currentHttpDate() is the IMF-fixdate of the current second", () => {
  assert.equal(currentHttpDate(T + 999), "Sun, 06 Nov 1994 08:49:37 GMT");
  assert.equal(currentHttpDate(T + 1000), "Sun, 06 Nov 1994 08:49:38 GMT");
});
