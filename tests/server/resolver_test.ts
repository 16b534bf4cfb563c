/**
 * resolvePath() against a real tree: files, directories, symlinks in and out of the root.
 * The pure path rules are in paths_test.ts.
 */

import assert from "node:assert/strict";
import { normalizePath, resolvePath, type Root } from "../../src/server/resolver.ts";
import { makeTree } from "../helpers.ts";

async function resolve(root: Root, path: string) {
  const normalized = normalizePath(path);
  assert.equal(normalized.kind, "path", path);
  if (normalized.kind !== "path") throw new Error("unreachable");
  return await resolvePath(root, normalized, null);
}

Deno.test("resolvePath() maps files, directories, redirects and missing paths", async () => {
  const dir = await makeTree({
    "a.txt": "a",
    "d/index.html": "i",
    "e/": "",
    "e/x.txt": "x",
    ".h": "",
  });
  const root: Root = { realPath: dir };
  assert.deepEqual(await resolve(root, "/a.txt"), {
    kind: "file",
    path: `${dir}/a.txt`,
    candidate: `${dir}/a.txt`,
  });
  assert.deepEqual(await resolve(root, "/d/"), {
    kind: "file",
    path: `${dir}/d/index.html`,
    candidate: `${dir}/d/index.html`,
  });
  assert.deepEqual(await resolve(root, "/d"), { kind: "redirect", location: "/d/" });
  assert.deepEqual(await resolve(root, "/e/"), { kind: "directory", path: `${dir}/e` });
  assert.deepEqual(await resolve(root, "/missing"), { kind: "not-found" });
  assert.deepEqual(await resolve(root, "/a.txt/"), { kind: "not-found" });
  assert.deepEqual(await resolve(root, "/a.txt/x"), { kind: "not-found" });
  assert.deepEqual(await resolve(root, "/"), { kind: "directory", path: dir });
});

Deno.test("resolvePath() follows symlinks only while their real path stays inside the root", async () => {
  const dir = await makeTree({ "a.txt": "a", "sub/b.txt": "b", ".hidden": "h" });
  const outside = await makeTree({ "secret.txt": "s", "index.html": "i" });
  await Deno.symlink(`${dir}/sub`, `${dir}/link-dir`);
  await Deno.symlink("a.txt", `${dir}/rel-link.txt`);
  await Deno.symlink(`${outside}/secret.txt`, `${dir}/out.txt`);
  await Deno.symlink(outside, `${dir}/out-dir`);
  await Deno.symlink("../..", `${dir}/sub/up`);
  await Deno.symlink(".hidden", `${dir}/to-hidden`);
  await Deno.symlink(`${dir}/loop`, `${dir}/loop`);
  const root: Root = { realPath: dir };
  assert.deepEqual(await resolve(root, "/link-dir/b.txt"), {
    kind: "file",
    path: `${dir}/sub/b.txt`,
    candidate: `${dir}/link-dir/b.txt`,
  });
  assert.deepEqual(await resolve(root, "/rel-link.txt"), {
    kind: "file",
    path: `${dir}/a.txt`,
    candidate: `${dir}/rel-link.txt`,
  });
  // Outside answers like missing, so outside names cannot be probed.
  assert.deepEqual(await resolve(root, "/out.txt"), { kind: "not-found" });
  assert.deepEqual(await resolve(root, "/out-dir/"), { kind: "not-found" });
  assert.deepEqual(await resolve(root, "/out-dir/secret.txt"), { kind: "not-found" });
  assert.deepEqual(await resolve(root, "/out-dir/missing.txt"), { kind: "not-found" });
  assert.deepEqual(await resolve(root, "/sub/up/"), { kind: "not-found" });
  assert.deepEqual(await resolve(root, "/to-hidden"), { kind: "not-found" });
  assert.deepEqual(await resolve(root, "/loop"), { kind: "not-found" });
});

Deno.test("resolvePath() refuses an index.html that is a symlink out of the root (and does not list instead)", async () => {
  const dir = await makeTree({ "d/": "" });
  const outside = await makeTree({ "index.html": "secret" });
  await Deno.symlink(`${outside}/index.html`, `${dir}/d/index.html`);
  assert.deepEqual(await resolve({ realPath: dir }, "/d/"), { kind: "not-found" });
});
