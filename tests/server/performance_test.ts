/**
 * What the speed-ups must never break: the hot-file cache serves changes at once, the worker
 * mode keeps both logs whole, and many idle connections do not stop the server. No timings are
 * asserted here; speed is measured by `deno task bench` and scripts/loadtest.sh.
 */

import assert from "node:assert/strict";
import { CSV_COLUMNS, RESPONSES_FILE, SOCKETS_FILE } from "../../src/log/format.ts";
import {
  exchange,
  get,
  makeTree,
  request,
  residentBytes,
  splitResponses,
  startServer,
} from "../helpers.ts";

/** sockserve's folder: worker isolates load their modules from it. */
const SOURCE = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("a cached file changed on disk is served fresh on the next request", async () => {
  const root = await makeTree({ "a.txt": "version one" });
  await using server = await startServer({ root, args: ["--quiet"] });
  assert.equal((await request(server.port, get("/a.txt"))).body, "version one");
  assert.equal((await request(server.port, get("/a.txt"))).body, "version one");
  await Deno.writeTextFile(`${root}/a.txt`, "version two"); // same length, same second
  assert.equal((await request(server.port, get("/a.txt"))).body, "version two");
});

Deno.test("a cached file replaced by a new file (rename over it) is served fresh", async () => {
  const root = await makeTree({ "a.txt": "old", "next.txt": "new!" });
  await using server = await startServer({ root, args: ["--quiet"] });
  assert.equal((await request(server.port, get("/a.txt"))).body, "old");
  await Deno.rename(`${root}/next.txt`, `${root}/a.txt`);
  assert.equal((await request(server.port, get("/a.txt"))).body, "new!");
});

Deno.test("a cached file that is deleted is 404 on the next request", async () => {
  const root = await makeTree({ "a.txt": "here" });
  await using server = await startServer({ root, args: ["--quiet"] });
  assert.equal((await request(server.port, get("/a.txt"))).status, 200);
  await Deno.remove(`${root}/a.txt`);
  assert.equal((await request(server.port, get("/a.txt"))).status, 404);
});

Deno.test("a cached file replaced by a symlink out of the root is refused, not served from memory", async () => {
  const root = await makeTree({ "a.txt": "inside" });
  const outside = await makeTree({ "secret.txt": "SECRET" });
  await using server = await startServer({ root, args: ["--quiet"] });
  assert.equal((await request(server.port, get("/a.txt"))).body, "inside");
  await Deno.remove(`${root}/a.txt`);
  await Deno.symlink(`${outside}/secret.txt`, `${root}/a.txt`);
  const res = await request(server.port, get("/a.txt"));
  assert.equal(res.status, 404);
  assert.ok(!res.body.includes("SECRET"));
});

Deno.test("a cached directory index follows changes to index.html", async () => {
  const root = await makeTree({ "d/index.html": "first" });
  await using server = await startServer({ root, args: ["--quiet", "--listing"] });
  assert.equal((await request(server.port, get("/d/"))).body, "first");
  await Deno.remove(`${root}/d/index.html`);
  const listing = await request(server.port, get("/d/"));
  assert.equal(listing.status, 200);
  assert.match(listing.body, /Index of \/d\//);
});

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

Deno.test("10,000 idle keep-alive connections are held and the server still answers", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  const root = await makeTree({ "a.txt": "a" });
  await using server = await startServer({
    root,
    args: ["--quiet", "--idle-timeout", "120", "--header-timeout", "120"],
  });
  // Raise the soft fd limit of both processes to the hard limit (which root here cannot exceed).
  const hard = Number(
    new TextDecoder().decode(
      (await new Deno.Command("sh", { args: ["-c", "ulimit -Hn"] }).output()).stdout,
    ).trim(),
  );
  assert.ok(hard >= 10_100, `the hard fd limit (${hard}) is too low for 10,000 connections`);
  const raise = (pid: number) =>
    new Deno.Command("prlimit", { args: [`--nofile=${hard}:${hard}`, "--pid", String(pid)] })
      .output();
  assert.ok((await raise(server.process.pid)).success);
  assert.ok((await raise(Deno.pid)).success);
  const rss = () => residentBytes(server.process.pid);
  const before = await rss();
  const idle: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 10_000; i++) {
      idle.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
      // Every connection has served a request, so it is a real keep-alive connection.
      if (i % 1000 === 0) {
        const conn = idle[idle.length - 1];
        await conn.write(
          new TextEncoder().encode("GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"),
        );
        const buf = new Uint8Array(1024);
        assert.ok((await conn.read(buf))! > 0);
      }
    }
    assert.equal((await request(server.port, get("/a.txt"))).body, "a");
    const grown = (await rss()) - before;
    assert.ok(
      grown < 100 * 1024 * 1024,
      `server memory grew by ${grown} bytes for 10,000 connections`,
    );
  } finally {
    for (const conn of idle) conn.close();
  }
});

Deno.test("a cached file moved out of the root and symlinked back is refused, not served from memory", async () => {
  const root = await makeTree({ "pub.txt": "was public" });
  const outside = await Deno.realPath(await Deno.makeTempDir());
  await using server = await startServer({ root, args: ["--quiet"] });
  assert.equal((await request(server.port, get("/pub.txt"))).body, "was public");
  await Deno.rename(`${root}/pub.txt`, `${outside}/pub.txt`);
  await Deno.symlink(`${outside}/pub.txt`, `${root}/pub.txt`);
  assert.equal((await request(server.port, get("/pub.txt"))).status, 404);
});

Deno.test("a cached file renamed to a dotfile and symlinked back is hidden, not served from memory", async () => {
  const root = await makeTree({ "pub.txt": "was public" });
  await using server = await startServer({ root, args: ["--quiet"] });
  assert.equal((await request(server.port, get("/pub.txt"))).body, "was public");
  await Deno.rename(`${root}/pub.txt`, `${root}/.hidden`);
  await Deno.symlink(".hidden", `${root}/pub.txt`);
  assert.equal((await request(server.port, get("/pub.txt"))).status, 404);
});

Deno.test("a cached file whose folder is moved out of the root and symlinked back is refused", async () => {
  const root = await makeTree({ "dir/f.txt": "in a folder" });
  const outside = await Deno.realPath(await Deno.makeTempDir());
  await using server = await startServer({ root, args: ["--quiet"] });
  assert.equal((await request(server.port, get("/dir/f.txt"))).body, "in a folder");
  await Deno.rename(`${root}/dir`, `${outside}/dir`);
  await Deno.symlink(`${outside}/dir`, `${root}/dir`);
  assert.equal((await request(server.port, get("/dir/f.txt"))).status, 404);
});
