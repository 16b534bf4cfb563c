/**
 * The resolver (src/server/resolver.ts): the pure path rules — normalizePath() against a
 * traversal corpus and Windows name rules, encodePath(), relativeInside() — on every OS without
 * permissions; and resolvePath() against a real tree with symlinks in and out of the root.
 */

import assert from "node:assert/strict";
import {
  encodePath,
  normalizePath,
  relativeInside,
  resolvePath,
  type Root,
} from "../../src/server/resolver.ts";
import { makeTree } from "../helpers.ts";

async function resolve(root: Root, path: string) {
  const normalized = normalizePath(path);
  assert.equal(normalized.kind, "path", path);
  if (normalized.kind !== "path") throw new Error("unreachable");
  return await resolvePath(root, normalized, null);
}

/** The pure path rules run anywhere; the tree-based cases need to write a temp tree. */
const CAN_WRITE = Deno.permissions.querySync({ name: "write" }).state === "granted";

Deno.test({
  name: "resolvePath() maps files, directories, redirects and missing paths",
  ignore: !CAN_WRITE,
}, async () => {
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

Deno.test({
  name: "resolvePath() follows symlinks only while their real path stays inside the root",
  ignore: !CAN_WRITE,
}, async () => {
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

Deno.test({
  name:
    "resolvePath() refuses an index.html that is a symlink out of the root (and does not list instead)",
  ignore: !CAN_WRITE,
}, async () => {
  const dir = await makeTree({ "d/": "" });
  const outside = await makeTree({ "index.html": "secret" });
  await Deno.symlink(`${outside}/index.html`, `${dir}/d/index.html`);
  assert.deepEqual(await resolve({ realPath: dir }, "/d/"), { kind: "not-found" });
});

/** Attacks that must never produce a path outside the root: each is refused (400) or hidden (404). */
const TRAVERSAL_CORPUS: readonly [string, "bad" | "hidden"][] = [
  ["/..", "bad"],
  ["/../etc/passwd", "bad"],
  ["/a/../../etc/passwd", "bad"],
  ["/%2e%2e/etc/passwd", "bad"],
  ["/%2E%2E/etc/passwd", "bad"],
  ["/.%2e/etc/passwd", "bad"],
  ["/%2e./etc/passwd", "bad"],
  ["/..%2fetc%2fpasswd", "bad"],
  ["/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "bad"],
  ["/a/%2e%2e/%2e%2e/etc", "bad"],
  ["/..%5c..%5cwindows%5cwin.ini", "bad"],
  ["/a%5c..%5c..%5cetc", "bad"],
  ["/%00", "bad"],
  ["/index.html%00.txt", "bad"],
  ["/a%0d%0aSet-Cookie:x", "bad"],
  ["/%c0%ae%c0%ae/etc/passwd", "bad"], // overlong UTF-8 dots
  ["/%e0%80%ae%e0%80%ae/etc", "bad"], // 3-byte overlong dot
  ["/%ff", "bad"],
  ["/%2", "bad"],
  ["/%zz", "bad"],
  ["/.env", "hidden"],
  ["/.git/config", "hidden"],
  ["/a/.ssh/id_rsa", "hidden"],
  ["/%2egit/config", "hidden"],
  ["/a/b/../../.htpasswd", "hidden"],
];

Deno.test("normalizePath() refuses every path of the traversal corpus", async (t) => {
  for (const [path, kind] of TRAVERSAL_CORPUS) {
    await t.step(path, () => assert.equal(normalizePath(path).kind, kind));
  }
});

Deno.test("normalizePath() does not decode twice: %252e%252e is a literal file name", () => {
  assert.deepEqual(normalizePath("/%252e%252e/etc"), {
    kind: "path",
    segments: ["%2e%2e", "etc"],
    directory: false,
  });
});

Deno.test("normalizePath() removes dot-segments inside the root (RFC 3986 §5.2.4)", () => {
  const cases: [string, string[], boolean][] = [
    ["/", [], true],
    ["/a/b", ["a", "b"], false],
    ["/a/./b", ["a", "b"], false],
    ["/a/b/../c", ["a", "c"], false],
    ["/a/b/..", ["a"], true],
    ["/a/.", ["a"], true],
    ["//a///b/", ["a", "b"], true],
    ["/a%2fb", ["a", "b"], false],
    ["/caf%C3%A9%20x", ["caf\u00e9 x"], false],
    ["/a+b", ["a+b"], false],
  ];
  for (const [path, segments, directory] of cases) {
    assert.deepEqual(normalizePath(path), { kind: "path", segments, directory }, path);
  }
});

Deno.test("normalizePath() serves dotfiles only when asked", () => {
  assert.equal(normalizePath("/...").kind, "hidden");
  assert.equal(normalizePath("/.well-known/x", { dotfiles: true }).kind, "path");
  assert.equal(normalizePath("/.well-known/x").kind, "hidden");
});

Deno.test("normalizePath() applies Windows name rules when asked, on every OS", async (t) => {
  const refused = [
    "/CON",
    "/con.txt",
    "/a/NUL",
    "/aux.html",
    "/COM1",
    "/lpt9.log",
    "/CONIN$",
    "/file.txt.",
    "/file.txt%20",
    "/a./b",
    "/C:/Windows/win.ini",
    "/c%3a%5cboot.ini",
    "/file.txt::$DATA",
    "/a%3Cb",
    "/a%7Cb",
    "/a%2Ab",
  ];
  for (const path of refused) {
    await t.step(path, () => assert.equal(normalizePath(path, { windows: true }).kind, "bad"));
  }
  await t.step("plain names still pass", () => {
    assert.equal(normalizePath("/console.txt", { windows: true }).kind, "path");
    assert.equal(normalizePath("/a/b.txt", { windows: true }).kind, "path");
  });
  await t.step("the same names are ordinary on POSIX", () => {
    assert.equal(normalizePath("/con.txt").kind, "path");
    assert.equal(normalizePath("/a:b").kind, "path");
  });
});

Deno.test("encodePath() always starts with exactly one slash and escapes every segment", () => {
  assert.equal(encodePath(["evil.com"], true), "/evil.com/");
  assert.equal(encodePath(["a b", "c?d#e", "f%g"], false), "/a%20b/c%3Fd%23e/f%25g");
  assert.equal(encodePath([], true), "/");
});

Deno.test("relativeInside() compares whole path components, and ignores case on Windows", () => {
  assert.equal(relativeInside("/srv/www", "/srv/www/a/b", { sep: "/", ignoreCase: false }), "a/b");
  assert.equal(relativeInside("/srv/www", "/srv/www", { sep: "/", ignoreCase: false }), "");
  assert.equal(
    relativeInside("/srv/www", "/srv/www-secret/x", { sep: "/", ignoreCase: false }),
    null,
  );
  assert.equal(relativeInside("/srv/www", "/srv/WWW/x", { sep: "/", ignoreCase: false }), null);
  assert.equal(relativeInside("/", "/etc", { sep: "/", ignoreCase: false }), "etc");
  assert.equal(
    relativeInside("C:\\Site", "c:\\site\\a.txt", { sep: "\\", ignoreCase: true }),
    "a.txt",
  );
  assert.equal(
    relativeInside("C:\\Site", "C:\\Site2\\a.txt", { sep: "\\", ignoreCase: true }),
    null,
  );
});
