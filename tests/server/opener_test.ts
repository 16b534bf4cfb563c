/**
 * The file opener (src/server/opener.ts): what each confinement strategy lets through, given the path
 * the resolver would pass (or a hostile one it never would).
 */

import assert from "node:assert/strict";
import {
  type Confinement,
  detectConfinement,
  locateInside,
  openInside,
} from "../../src/server/opener.ts";
import type { Root } from "../../src/server/resolver.ts";
import { makeTree } from "../helpers.ts";

/** A root with a file, links in and out, a hidden file, and a FIFO; and an outside folder. */
async function tree(): Promise<{ root: Root; outside: string }> {
  const outside = await makeTree({ "secret.txt": "SECRET", "d/secret.txt": "SECRET" });
  const dir = await makeTree({ "a.txt": "aa", ".env": "hidden", "sub/b.txt": "bb" });
  await Deno.symlink(`${outside}/secret.txt`, `${dir}/out.txt`);
  await Deno.symlink(`${outside}/d`, `${dir}/outdir`);
  await Deno.symlink(`${dir}/a.txt`, `${dir}/in.txt`);
  await new Deno.Command("mkfifo", { args: [`${dir}/pipe`] }).output();
  return { root: { realPath: dir }, outside };
}

const STRATEGIES: Confinement[] = Deno.build.os === "linux" ? ["kernel", "identity"] : [
  "identity",
];

for (const confinement of STRATEGIES) {
  Deno.test(`openInside() with ${confinement} confinement opens only regular files inside`, async (t) => {
    const { root, outside } = await tree();
    const dir = root.realPath;
    const cases: [string, string, "open" | "not-found" | "forbidden"][] = [
      ["a file inside", `${dir}/a.txt`, "open"],
      ["a file in a subfolder", `${dir}/sub/b.txt`, "open"],
      // The resolver passes real paths; these are what a swap could turn a real path into.
      ["a final symlink (never followed)", `${dir}/out.txt`, "not-found"],
      ["a final symlink to a file inside (never followed)", `${dir}/in.txt`, "not-found"],
      // Outside looks like missing, so outside names cannot be probed.
      ["a folder link leading outside", `${dir}/outdir/secret.txt`, "not-found"],
      ["a path outside the root", `${outside}/secret.txt`, "not-found"],
      ["a FIFO (opened without blocking)", `${dir}/pipe`, "forbidden"],
      ["a folder", `${dir}/sub`, "forbidden"],
      ["a dotfile", `${dir}/.env`, "not-found"],
      ["a missing file", `${dir}/missing.txt`, "not-found"],
    ];
    for (const [name, path, expected] of cases) {
      await t.step(name, async () => {
        const opened = await openInside(root, path, { confinement });
        if (opened.kind === "open") opened.file.close();
        assert.equal(opened.kind, expected);
      });
    }
  });
}

Deno.test("openInside() reads the file it opened, by position", async () => {
  const { root } = await tree();
  const opened = await openInside(root, `${root.realPath}/a.txt`, {
    confinement: detectConfinement(root),
  });
  assert.equal(opened.kind, "open");
  if (opened.kind !== "open") return;
  using file = opened.file;
  assert.equal(file.stat.size, 2);
  const buf = new Uint8Array(1);
  assert.equal(await file.read(buf, 1), 1);
  assert.equal(new TextDecoder().decode(buf), "a");
  await assert.rejects(() => file.readExactly(new Uint8Array(2), 1), /ended before/);
});

Deno.test("detectConfinement() uses the kernel's record on Linux with all permissions", () => {
  const root = { realPath: Deno.cwd() };
  assert.equal(detectConfinement(root), Deno.build.os === "linux" ? "kernel" : "identity");
});

Deno.test({
  name: "locateInside() (the supervisor's proof) answers the identity only for files inside",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const { root, outside } = await tree();
    const dir = root.realPath;
    const inside = locateInside(root, `${dir}/a.txt`);
    const info = await Deno.stat(`${dir}/a.txt`);
    assert.deepEqual(inside, { kind: "found", dev: info.dev, ino: info.ino });
    assert.equal(locateInside(root, `${dir}/outdir/secret.txt`).kind, "not-found");
    assert.equal(locateInside(root, `${outside}/secret.txt`).kind, "not-found");
    assert.equal(locateInside(root, `${dir}/pipe`).kind, "forbidden");
    assert.equal(locateInside(root, `${dir}/.env`).kind, "not-found");
    assert.equal(locateInside(root, `${dir}/missing`).kind, "not-found");
  },
});
