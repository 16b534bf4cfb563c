/**
 * The generated media-type table (src/http/media_db.ts, `deno task media-types`) answers as the
 * libraries it was made from: every extension mime-db knows gets mime-types' Content-Type, and
 * every media type mime-db flags gets its `compressible` answer.
 */

import assert from "node:assert/strict";
// @ts-types="@types/mime-types"
import mime from "mime-types";
import mimeDb from "mime-db";
import dbPackage from "npm:mime-db@^1.54.0/package.json" with { type: "json" };
import { contentTypeFor, FALLBACK_CONTENT_TYPE } from "../../src/http/media_types.ts";
import { isCompressible } from "../../src/http/content_coding.ts";
import { MIME_DB_VERSION } from "../../src/http/media_db.ts";
import { currentMediaTable, formatMediaTable, TABLE_PATH } from "../../scripts/media_types.ts";

const DB = mimeDb as Record<string, { extensions?: string[]; compressible?: boolean }>;

Deno.test("media_db.ts is what scripts/media_types.ts makes of the installed mime-db", async () => {
  assert.equal(MIME_DB_VERSION, dbPackage.version, "run deno task media-types");
  const file = await Deno.readTextFile(new URL(`../../${TABLE_PATH}`, import.meta.url));
  assert.equal(file, formatMediaTable(currentMediaTable()), "run deno task media-types");
});

Deno.test("contentTypeFor() answers mime-types' contentType() for every extension in mime-db", () => {
  let checked = 0;
  for (const record of Object.values(DB)) {
    for (const extension of record.extensions ?? []) {
      const expected = mime.contentType(extension) || FALLBACK_CONTENT_TYPE;
      assert.equal(contentTypeFor(`file.${extension}`), expected, extension);
      assert.equal(contentTypeFor(`/a/b.${extension.toUpperCase()}`), expected, extension);
      checked++;
    }
  }
  assert.ok(checked > 1000, `${checked} extensions`);
});

Deno.test("contentTypeFor() falls back to octet-stream where mime-types has no answer", () => {
  for (const name of ["a.unknown-ext", "a.", "a.constructor", "a.__proto__", "a.tar.nope"]) {
    assert.equal(mime.contentType(name.slice(name.lastIndexOf("."))), false, name);
    assert.equal(contentTypeFor(name), FALLBACK_CONTENT_TYPE, name);
  }
});

Deno.test("isCompressible() answers mime-db's compressible flag for every media type it flags", () => {
  let checked = 0;
  for (const [type, record] of Object.entries(DB)) {
    if (record.compressible === undefined || type === FALLBACK_CONTENT_TYPE) continue;
    assert.equal(isCompressible(type), record.compressible, type);
    checked++;
  }
  assert.ok(checked > 800, `${checked} types`);
});
