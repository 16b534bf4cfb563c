/**
 * The error-page funnel (src/server/error_pages.ts).
 */

import assert from "node:assert/strict";
import { formatErrorPage } from "../../src/server/error_pages.ts";

Deno.test("formatErrorPage() escapes reflected text", () => {
  const page = formatErrorPage(400, "<img src=x onerror=alert(1)>");
  assert.ok(!page.includes("<img"));
  assert.ok(page.includes("&#60;img"));
});
