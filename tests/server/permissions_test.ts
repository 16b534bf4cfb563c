/**
 * Deno's permission model as the second wall: `deno task serve` runs supervised, and the isolate
 * that handles requests is granted only read on the root and net on its address, so nothing
 * outside the root can be read by it even when sockserve's own checks are bypassed.
 */

import assert from "node:assert/strict";
import { servingPermissions } from "../../src/server/workers.ts";
import { get, makeTree, request, startServer } from "../helpers.ts";

/** The permission flags of the `serve` task in deno.json. */
async function serveTaskFlags(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const words: string[] = config.tasks.serve.split(/\s+/);
  return words.filter((w) => w.startsWith("--allow-") || w === "-A");
}

Deno.test("the serve task runs supervised: all permissions for the supervisor only", async () => {
  assert.deepEqual(await serveTaskFlags(), ["-A"]);
});

Deno.test("servingPermissions() grants read on the root and net on the address, nothing else", () => {
  assert.deepEqual(servingPermissions("/srv/site", "127.0.0.1"), {
    read: ["/srv/site"],
    net: ["127.0.0.1"],
    write: false,
    env: false,
    run: false,
    ffi: false,
    sys: false,
    import: false,
  });
  assert.deepEqual(servingPermissions("/srv/site", "::1").net, ["[::1]"]);
});

Deno.test("under the serve task's flags, a file outside the root is refused by the server", async () => {
  const cwd = await makeTree({ "site/index.html": "home", "secret.txt": "SECRET" });
  await Deno.symlink(`${cwd}/secret.txt`, `${cwd}/site/link.txt`);
  await using server = await startServer({
    root: "./site",
    logDir: "./logs",
    cwd,
    permissions: await serveTaskFlags(),
    denoRun: true,
    args: ["--quiet"],
  });
  assert.equal((await request(server.port, get("/"))).body, "home");
  assert.equal((await request(server.port, get("/../secret.txt"))).status, 400);
  assert.equal((await request(server.port, get("/%2e%2e/secret.txt"))).status, 400);
  const link = await request(server.port, get("/link.txt"));
  assert.equal(link.status, 404);
  assert.ok(!link.body.includes("SECRET"));
});

Deno.test("a serving isolate cannot open a file outside its root, even bypassing sockserve's checks", async () => {
  const cwd = await makeTree({ "site/index.html": "home", "secret.txt": "SECRET" });
  const fixture = new URL("../fixtures/open_outside.ts", import.meta.url).pathname;
  const open = async (path: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", fixture, `${cwd}/site`, path],
      cwd,
    }).output();
    return new TextDecoder().decode(out.stdout).trim() || new TextDecoder().decode(out.stderr);
  };
  assert.equal(await open(`${cwd}/secret.txt`), "forbidden NotCapable true");
  assert.equal(await open(`${cwd}/site/index.html`), "open read true");
});
