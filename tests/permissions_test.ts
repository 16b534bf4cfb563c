/**
 * Deno's permission model as the second wall: run with the exact flags of `deno task serve`,
 * nothing outside ./www can be read, even when sockserve's own checks are bypassed.
 */

import assert from "node:assert/strict";
import { get, makeTree, request, startServer } from "./helpers.ts";

/** The permission flags of the `serve` task in deno.json. */
async function serveTaskFlags(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const words: string[] = config.tasks.serve.split(/\s+/);
  return words.filter((w) => w.startsWith("--allow-"));
}

Deno.test("the serve task grants exactly net on loopback, read on ./www and write on ./logs", async () => {
  assert.deepEqual(await serveTaskFlags(), [
    "--allow-net=127.0.0.1",
    "--allow-read=./www",
    "--allow-write=./logs",
  ]);
});

Deno.test("under the serve task's flags, a file outside ./www is refused by the server", async () => {
  const cwd = await makeTree({ "www/index.html": "home", "secret.txt": "SECRET" });
  await Deno.symlink(`${cwd}/secret.txt`, `${cwd}/www/link.txt`);
  await using server = await startServer({
    root: "./www",
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
  assert.equal(link.status, 403);
  assert.ok(!link.body.includes("SECRET"));
});

Deno.test("under the serve task's flags, opening a file outside ./www directly is 403 (Deno refuses it)", async () => {
  const cwd = await makeTree({ "www/index.html": "home", "secret.txt": "SECRET" });
  const fixture = new URL("./fixtures/open_outside.ts", import.meta.url).pathname;
  const flags = await serveTaskFlags();
  const [cmd, ...args] = [Deno.execPath(), "run", ...flags, fixture];
  const open = async (path: string) => {
    const out = await new Deno.Command(cmd, { args: [...args, path], cwd }).output();
    return new TextDecoder().decode(out.stdout).trim() || new TextDecoder().decode(out.stderr);
  };
  assert.equal(await open(`${cwd}/secret.txt`), "403");
  assert.equal(await open("./secret.txt"), "403");
  assert.equal(await open("./www/index.html"), "200");
});
