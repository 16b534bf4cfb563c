/**
 * Deno's permission model as the second wall: `deno task serve` runs supervised, and the isolate
 * that handles requests is granted only read on the root and net on its address, so nothing
 * outside the root can be read by it even when sockserve's own checks are bypassed.
 */

import assert from "node:assert/strict";
import { servingPermissions } from "../../src/server/workers.ts";
import { exchange, get, makeTree, request, splitResponses, startServer } from "../helpers.ts";
import { CSV_COLUMNS, RESPONSES_FILE, SOCKETS_FILE } from "../../src/log/format.ts";

/** The permission flags of the `serve` task in deno.json. */
async function serveTaskFlags(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const words: string[] = config.tasks.serve.split(/\s+/);
  return words.filter((w) => w.startsWith("--allow-") || w === "-A");
}

Deno.test("the serve task runs supervised: all permissions for the supervisor only", async () => {
  assert.deepEqual(await serveTaskFlags(), ["-A"]);
});

Deno.test("servingPermissions() grants read on the root and net on the addresses, nothing else", () => {
  assert.deepEqual(servingPermissions("/srv/site", ["127.0.0.1"]), {
    read: ["/srv/site"],
    net: ["127.0.0.1"],
    write: false,
    env: false,
    run: false,
    ffi: false,
    sys: false,
    import: false,
  });
  assert.deepEqual(servingPermissions("/srv/site", ["::1"]).net, ["[::1]"]);
  // Each socket the plan opens: localhost is both loopbacks, :: also binds 0.0.0.0.
  assert.deepEqual(servingPermissions("/srv/site", ["localhost"]).net, ["127.0.0.1", "[::1]"]);
  assert.deepEqual(servingPermissions("/srv/site", ["::", "10.0.0.2"]).net, [
    "[::]",
    "0.0.0.0",
    "10.0.0.2",
  ]);
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

/** sockserve's folder: worker isolates load their modules from it. */
const SOURCE = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("--workers 2 serves from two isolates and both logs stay complete and well-formed", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  const root = await makeTree({ "a.txt": "a", "b.txt": "bb" });
  const logDir = await Deno.makeTempDir();
  const server = await startServer({
    root,
    logDir,
    args: ["--quiet", "--workers", "2"],
    permissions: [
      "--unstable-net",
      "--allow-net=127.0.0.1",
      `--allow-read=${root},${SOURCE}`,
      `--allow-write=${logDir}`,
    ],
  });
  const connections = 40;
  const perConnection = 25;
  const batch = "GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(perConnection - 1) +
    get("/b.txt");
  const results = await Promise.all(
    Array.from(
      { length: connections },
      () => exchange(server.port, batch).then((t) => splitResponses(t).length),
    ),
  );
  assert.deepEqual(results, results.map(() => perConnection));
  assert.equal((await server.stop()).code, 0);

  const rows = (await Deno.readTextFile(`${logDir}/${SOCKETS_FILE}`)).trimEnd().split("\n");
  assert.equal(rows[0], CSV_COLUMNS.join(","));
  const data = rows.slice(1).map((row) => row.split(","));
  assert.equal(data.length, connections * perConnection);
  assert.ok(
    data.every((fields) => fields.length === CSV_COLUMNS.length),
    "every row has every column",
  );
  // Per connection, requests appear in order 1..N, whichever isolate served it.
  const byConnection = new Map<string, number[]>();
  for (const fields of data) {
    byConnection.set(fields[5], [...(byConnection.get(fields[5]) ?? []), Number(fields[6])]);
  }
  assert.equal(byConnection.size, connections);
  for (const sequence of byConnection.values()) {
    assert.deepEqual(sequence, Array.from({ length: perConnection }, (_, i) => i + 1));
  }
  const ids = [...byConnection.keys()].map(Number);
  assert.ok(
    ids.some((id) => id % 2 === 0) && ids.some((id) => id % 2 === 1),
    "both isolates served",
  );
  const heads = await Deno.readTextFile(`${logDir}/${RESPONSES_FILE}`);
  const entries = heads.split(/^# /m).slice(1);
  assert.equal(entries.length, connections * perConnection);
  assert.ok(
    entries.every((e) =>
      /^\S+ 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ "GET \/[ab]\.txt HTTP\/1\.1"\nHTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n$/
        .test(e)
    ),
  );
});
