/**
 * The shared HTTP vocabulary: dates, heads, escaping, media types.
 */

import assert from "node:assert/strict";
import { currentHttpDate, formatHttpDate, parseHttpDate } from "../../src/http/dates.ts";
import { escapeHtml, formatHead } from "../../src/http/head.ts";
import { contentTypeFor } from "../../src/http/media_types.ts";
import { formatErrorPage } from "../../src/server/error_pages.ts";

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

Deno.test("formatHead() writes the status line, fields and the empty line with CRLF", () => {
  assert.equal(
    formatHead("HTTP/1.1", 404, [["A", "1"], ["B", "2"]]),
    "HTTP/1.1 404 Not Found\r\nA: 1\r\nB: 2\r\n\r\n",
  );
});

Deno.test("escapeHtml() escapes the five HTML-significant characters", () => {
  assert.equal(
    escapeHtml(`<script>alert("x&'y")</script>`),
    "&#60;script&#62;alert(&#34;x&#38;&#39;y&#34;)&#60;/script&#62;",
  );
});

Deno.test("formatErrorPage() escapes reflected text", () => {
  const page = formatErrorPage(400, "<img src=x onerror=alert(1)>");
  assert.ok(!page.includes("<img"));
  assert.ok(page.includes("&#60;img"));
});

Deno.test("contentTypeFor() adds charset=utf-8 to text types and falls back to octet-stream", () => {
  assert.equal(contentTypeFor("/a/index.html"), "text/html; charset=utf-8");
  assert.equal(contentTypeFor("style.css"), "text/css; charset=utf-8");
  assert.equal(contentTypeFor("photo.JPG"), "image/jpeg");
  assert.equal(contentTypeFor("clip.mp4"), "video/mp4");
  assert.equal(contentTypeFor("doc.pdf"), "application/pdf");
  assert.equal(contentTypeFor("README"), "application/octet-stream");
  assert.equal(contentTypeFor("f"), "application/octet-stream");
  assert.equal(contentTypeFor(".bashrc"), "application/octet-stream");
});
