/**
 * The error-page funnel (src/server/error_pages.ts).
 */

import assert from "node:assert/strict";
import { formatErrorPage } from "../../src/server/error_pages.ts";
import { type ErrorStatus, REASON_PHRASES } from "../../src/http/status.ts";
import { PAGE_STYLE_ELEMENT } from "../../src/server/page_style.ts";
import { SERVER_NAME } from "../../src/version.ts";

Deno.test("formatErrorPage() escapes reflected text", () => {
  const page = formatErrorPage(400, "<img src=x onerror=alert(1)>");
  assert.ok(!page.includes("<img"));
  assert.ok(page.includes("&#60;img"));
});

Deno.test("formatErrorPage() shows the status as its title and heading, with the detail", () => {
  const page = formatErrorPage(404);
  assert.ok(page.includes("<title>404 Not Found</title>"));
  assert.ok(page.includes("<h1>404 Not Found</h1>"));
  assert.ok(page.includes("<p>Nothing is served at this address.</p>"));
  assert.ok(page.includes(`<footer>${SERVER_NAME}</footer>`));
});

Deno.test("formatErrorPage() carries the shared stylesheet inline and requests nothing", () => {
  const page = formatErrorPage(503, "Try again.");
  assert.ok(page.includes(PAGE_STYLE_ELEMENT));
  assert.doesNotMatch(page, /<link|<script|<img|\ssrc=/i);
  // The only link goes home; nothing of the request is turned into a link.
  assert.deepEqual([...page.matchAll(/href="([^"]*)"/g)].map((m) => m[1]), ["/"]);
});

Deno.test("formatErrorPage() escapes every kind of markup in the detail", async (t) => {
  const cases: [string, string][] = [
    ["<script>alert(1)</script>", "&#60;script&#62;alert(1)&#60;/script&#62;"],
    ['" onmouseover="x', "&#34; onmouseover=&#34;x"],
    ["'single'", "&#39;single&#39;"],
    ["a & b", "a &#38; b"],
  ];
  for (const [detail, escaped] of cases) {
    await t.step(detail, () => {
      const page = formatErrorPage(400, detail);
      assert.ok(page.includes(`<p>${escaped}</p>`));
      assert.ok(!page.includes(detail));
    });
  }
});

Deno.test("formatErrorPage() stays small for every status", () => {
  for (const status of Object.keys(REASON_PHRASES).map(Number) as ErrorStatus[]) {
    if (status < 400) continue;
    const size = new TextEncoder().encode(formatErrorPage(status)).length;
    // Most of it is the inline stylesheet; a connection-level error should not cost more.
    assert.ok(size < 4 * 1024, `${status}: ${size} bytes`);
  }
});
