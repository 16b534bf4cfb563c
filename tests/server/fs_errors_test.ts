/**
 * File-system errors → answers (src/server/fs_errors.ts): every class of error, table-driven.
 */

import assert from "node:assert/strict";
import { classifyFsError, refusalStatus } from "../../src/server/fs_errors.ts";

const coded = (code: string) => Object.assign(new Error(code), { code });

Deno.test("classifyFsError() maps each class of file-system error to its answer", async (t) => {
  const cases: [string, unknown, "not-found" | "forbidden" | "busy"][] = [
    ["ENOENT", coded("ENOENT"), "not-found"],
    ["ENOTDIR", coded("ENOTDIR"), "not-found"],
    ["ENAMETOOLONG", coded("ENAMETOOLONG"), "not-found"],
    ["Deno NotFound", new Deno.errors.NotFound("x"), "not-found"],
    ["EACCES", coded("EACCES"), "forbidden"],
    ["ELOOP (a loop, or a final symlink under O_NOFOLLOW)", coded("ELOOP"), "not-found"],
    ["ENXIO (a socket swapped in)", coded("ENXIO"), "forbidden"],
    ["ENODEV", coded("ENODEV"), "forbidden"],
    ["Deno NotCapable", new Deno.errors.NotCapable("Requires read access"), "forbidden"],
    ["Deno PermissionDenied", new Deno.errors.PermissionDenied("x"), "forbidden"],
    ["EMFILE", coded("EMFILE"), "busy"],
    ["ENFILE", coded("ENFILE"), "busy"],
    ["Deno's text for EMFILE", new Error("Too many open files (os error 24): readdir"), "busy"],
  ];
  for (const [name, error, kind] of cases) {
    await t.step(name, () => assert.deepEqual(classifyFsError(error), { kind }));
  }
});

Deno.test("classifyFsError() rethrows what it does not know (→ 500)", () => {
  assert.throws(() => classifyFsError(coded("EIO")), /EIO/);
  assert.throws(() => classifyFsError(new TypeError("bug")), /bug/);
});

Deno.test("refusalStatus() answers 404, 403 and 503", () => {
  assert.equal(refusalStatus({ kind: "not-found" }), 404);
  assert.equal(refusalStatus({ kind: "forbidden" }), 403);
  assert.equal(refusalStatus({ kind: "busy" }), 503);
});
