/**
 * Memory as the kernel counts it for the server process (/proc/PID/status), against bounds
 * sockserve's own code must keep: differences of resident memory, never times. Linux only; each
 * bound sits between what this code measures and what the code before docs/performance.md's
 * memory work measured on the same machine (quoted with each test).
 */

import assert from "node:assert/strict";
import { makeTree, startServer, type TestServer } from "../helpers.ts";

const LINUX = Deno.build.os === "linux";
const MB = 1024 * 1024;

/** Resident memory of a process, in bytes: all of it, and the anonymous part (heaps, stacks). */
async function residentMemory(pid: number): Promise<{ rss: number; anon: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kilobytes = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)![1]);
  return { rss: kilobytes("VmRSS") * 1024, anon: kilobytes("RssAnon") * 1024 };
}

const REQUEST = new TextEncoder().encode("GET /small.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
const SMALL = "x".repeat(1024);

/** Sends one request on a keep-alive connection and reads its whole response. */
async function roundTrip(conn: Deno.Conn, buf: Uint8Array): Promise<void> {
  await conn.write(REQUEST);
  let text = "";
  let needed = Infinity;
  while (text.length < needed) {
    const n = await conn.read(buf);
    if (n === null) throw new Error("The server closed a keep-alive connection");
    text += new TextDecoder("latin1").decode(buf.subarray(0, n));
    const end = text.indexOf("\r\n\r\n");
    if (end !== -1 && needed === Infinity) {
      const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, end));
      assert.ok(length, text.slice(0, end));
      needed = end + 4 + Number(length[1]);
    }
  }
  assert.equal(text.length, needed, "one response per request");
}

/** A supervised server (`deno run -A`, as compare.sh starts it) with a 1 KiB file. */
async function server(args: readonly string[] = []): Promise<TestServer> {
  return await startServer({
    root: await makeTree({ "small.txt": SMALL }),
    args: ["--quiet", ...args],
  });
}

Deno.test(
  "an idle server holds under 24 MB of anonymous memory beyond a bare Deno with one Web Worker",
  {
    ignore: !LINUX || Deno.env.get("SOCKSERVE_BIN") !== undefined,
  },
  async () => {
    // The floor: Deno's own two isolates (a supervisor and a serving worker) with none of
    // sockserve's code, started the same way from the same folder (so with the same config).
    const dir = await Deno.makeTempDir();
    const floorScript = `${dir}/floor.ts`;
    await Deno.writeTextFile(
      floorScript,
      `const worker = new Worker("data:application/javascript,postMessage(1)", { type: "module" });
    await new Promise((resolve) => worker.onmessage = resolve);
    console.log("ready");
    await new Promise(() => {});`,
    );
    const floor = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", floorScript],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = floor.stdout.getReader();
    await reader.read();
    reader.releaseLock();
    let floorAnon: number;
    try {
      floorAnon = (await residentMemory(floor.pid)).anon;
    } finally {
      floor.kill();
      await floor.status;
      await floor.stdout.cancel();
    }
    await using idle = await server();
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: idle.port });
    await roundTrip(conn, new Uint8Array(4096));
    const { anon } = await residentMemory(idle.process.pid);
    // Measured: 20-21 MB; 27.5-28 MB before mime-types, picomatch, csv-stringify, smol-toml,
    // node:zlib and node:crypto were loaded only when needed.
    assert.ok(
      anon - floorAnon < 24 * MB,
      `${((anon - floorAnon) / MB).toFixed(1)} MB beyond the floor (${
        (floorAnon / MB).toFixed(1)
      })`,
    );
  },
);

Deno.test("30,000 requests on 50 keep-alive connections grow the server by under 24 MB", {
  ignore: !LINUX,
}, async () => {
  await using busy = await server();
  const before = await residentMemory(busy.process.pid);
  let left = 30_000;
  await Promise.all(Array.from({ length: 50 }, async () => {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: busy.port });
    const buf = new Uint8Array(64 * 1024);
    while (left-- > 0) await roundTrip(conn, buf);
  }));
  const after = await residentMemory(busy.process.pid);
  // Measured: 9-10 MB; 51-54 MB with V8's default young generation, 256 KiB log flushes and
  // written log batches left to the collector.
  const grown = after.anon - before.anon;
  assert.ok(grown < 24 * MB, `grew by ${(grown / MB).toFixed(1)} MB`);
});

Deno.test("10,000 idle keep-alive connections add under 80 MB to the server, which still answers", {
  ignore: !LINUX,
}, async () => {
  const hard = Number(
    new TextDecoder().decode(
      (await new Deno.Command("sh", { args: ["-c", "ulimit -Hn"] }).output()).stdout,
    ).trim(),
  );
  assert.ok(hard >= 10_200, `the hard fd limit (${hard}) is too low for 10,000 connections`);
  // The cap otherwise follows the soft fd limit the server started with.
  await using held = await server(["--idle-timeout", "600", "--max-connections", "10100"]);
  const raise = (pid: number) =>
    new Deno.Command("prlimit", { args: [`--nofile=${hard}:${hard}`, "--pid", String(pid)] })
      .output();
  assert.ok((await raise(held.process.pid)).success);
  assert.ok((await raise(Deno.pid)).success);
  const buf = new Uint8Array(4096);
  {
    // Connections come and go before the measurement, so the runtime's start-up growth under
    // a first burst is not counted as the cost of idle connections.
    const warm = await Promise.all(
      Array.from({ length: 200 }, () => Deno.connect({ hostname: "127.0.0.1", port: held.port })),
    );
    for (const conn of warm) await roundTrip(conn, buf);
    for (const conn of warm) conn.close();
  }
  const before = await residentMemory(held.process.pid);
  const idle: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 10_000; i += 200) {
      const batch = await Promise.all(
        Array.from({ length: 200 }, () => Deno.connect({ hostname: "127.0.0.1", port: held.port })),
      );
      idle.push(...batch);
      // Each has been answered, so it is a keep-alive connection waiting for its next request.
      await Promise.all(batch.map((conn) => roundTrip(conn, new Uint8Array(4096))));
    }
    const after = await residentMemory(held.process.pid);
    // Measured: 54-56 MB (5.6-5.9 KB each); 112 MB (11.7 KB each) before the work.
    const grown = after.rss - before.rss;
    assert.ok(
      grown < 80 * MB,
      `${(grown / MB).toFixed(1)} MB for 10,000 connections (${Math.round(grown / 10_000)} B each)`,
    );
    // Held open, they still leave room for one more client.
    const another = await Deno.connect({ hostname: "127.0.0.1", port: held.port });
    try {
      await roundTrip(another, buf);
    } finally {
      another.close();
    }
  } finally {
    for (const conn of idle) conn.close();
  }
});
