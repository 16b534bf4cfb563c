/**
 * src/http is pure protocol: no `Deno.*`, no file system or network module, and imports only
 * from itself and limits.ts (the media-type table is generated from mime-db into media_db.ts).
 * That is what lets its tests run without permissions on any OS (`deno task test:pure`).
 */

import assert from "node:assert/strict";

const HTTP = new URL("../../src/http/", import.meta.url);

Deno.test("src/http has no Deno.* and imports only pure modules", async (t) => {
  const files = [...Deno.readDirSync(HTTP)].map((e) => e.name).filter((n) => n.endsWith(".ts"));
  assert.ok(files.length >= 10, `${files.length} modules`);
  for (const file of files.sort()) {
    await t.step(file, () => {
      const text = Deno.readTextFileSync(new URL(file, HTTP));
      assert.doesNotMatch(text, /\bDeno\s*\./, "uses Deno.*");
      for (const [, spec] of text.matchAll(/^import[^"]*"([^"]+)";$/gm)) {
        const allowed = spec.startsWith("./") || spec === "../limits.ts";
        assert.ok(allowed, `imports "${spec}"`);
      }
    });
  }
});
