/**
 * Response heads as text and HTML escaping (src/http/head.ts).
 */

import assert from "node:assert/strict";
import { escapeHtml, formatHead } from "../../src/http/head.ts";

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
