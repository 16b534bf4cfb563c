/**
 * Media types (src/http/media_types.ts).
 */

import assert from "node:assert/strict";
import { contentTypeFor } from "../../src/http/media_types.ts";

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
