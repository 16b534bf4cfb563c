/**
 * The access log and log rotation, end to end: goaccess reads what sockserve writes, hostile
 * requests included; renames with SIGUSR1/SIGHUP and size rotation under wrk lose, tear and
 * repeat no row, with one serving isolate and with two.
 *
 * wrk counts the responses it read completely; when it stops, the requests its connections
 * still had in flight may be answered (and logged) without being counted. So the rows must equal
 * the server's own count ("sockserve stopped after N responses.") exactly, and wrk's count
 * within its connection count.
 */

import assert from "node:assert/strict";
import { CSV_COLUMNS, RESPONSES_FILE, SOCKETS_FILE } from "../../src/log/format.ts";
import { MAX_LOG_KEEP } from "../../src/limits.ts";
import { exchange, makeTree, startServer, stoppedCount } from "../helpers.ts";

const decoder = new TextDecoder();

/** Every file of a log renamed or rotated beside it: FILE and FILE.anything. */
async function logFiles(path: string): Promise<string[]> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  const name = path.slice(path.lastIndexOf("/") + 1);
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name === name || entry.name.startsWith(`${name}.`)) {
      files.push(`${dir}/${entry.name}`);
    }
  }
  return files;
}

/** Runs goaccess on a file as COMBINED and returns its total request count. */
async function goaccessTotal(file: string): Promise<number> {
  const out = await new Deno.Command("goaccess", {
    args: [file, "--log-format=COMBINED", "-o", "json", "--no-global-config"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, decoder.decode(out.stderr));
  return JSON.parse(decoder.decode(out.stdout)).general.total_requests;
}

Deno.test("goaccess --log-format=COMBINED counts every request sent, hostile targets included", async () => {
  const root = await makeTree({ "index.html": "hello" });
  const logDir = await Deno.makeTempDir();
  const access = `${logDir}/access.log`;
  const server = await startServer({ root, logDir, args: ["-q", "--access-log", access] });
  const hostile = [
    'GET /a"b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    'GET /"-" 200 0 "-" "-" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    "GET /back\\slash HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "GET /caf\xe9\xff\x80 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    'GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: a"b\\c\xff\r\nReferer: "\r\nConnection: close\r\n\r\n',
    "GET /cr\rlf HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "GET /x HTTP/1.1\r\nHost: x\r\nX: 1\r\n\x01bad\r\n\r\n",
    "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
  ];
  for (const raw of hostile) {
    await exchange(server.port, Uint8Array.from(raw, (c) => c.charCodeAt(0)));
  }
  const plain = 5;
  for (let i = 0; i < plain; i++) {
    await (await fetch(`http://127.0.0.1:${server.port}/index.html?i=${i}`, {
      headers: { referer: "http://example.com/", "user-agent": "test/1" },
    })).text();
  }
  await server.stop();
  const served = stoppedCount(server.stdout());
  assert.equal(served, hostile.length + plain);
  const text = await Deno.readTextFile(access);
  assert.equal(text.split("\n").length - 1, served, text);
  // No raw control, quote-breaking or non-ASCII byte reached the file.
  const stray = [...text].filter((c) => c !== "\n" && (c < " " || c > "~"));
  assert.deepEqual(stray, []);
  assert.equal(await goaccessTotal(access), served);
});

Deno.test("--access-log-format json writes one parseable object per response", async () => {
  const root = await makeTree({ "index.html": "hello" });
  const logDir = await Deno.makeTempDir();
  const access = `${logDir}/access.json`;
  const server = await startServer({
    root,
    logDir,
    args: ["-q", "--access-log", access, "--access-log-format", "json"],
  });
  const raw =
    "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: a\xff\r\nConnection: close\r\n\r\n";
  await exchange(server.port, Uint8Array.from(raw, (c) => c.charCodeAt(0)));
  await server.stop();
  const [line] = (await Deno.readTextFile(access)).trimEnd().split("\n");
  const entry = JSON.parse(line);
  assert.equal(entry.target, "/nope");
  assert.equal(entry.status, 404);
  assert.equal(entry.user_agent, "a\xff", "one character per byte received");
  assert.equal(entry.referer, null);
});

Deno.test("--access-log - writes the access log to stdout instead of the console lines", async () => {
  const root = await makeTree({ "index.html": "hello" });
  const server = await startServer({ root, args: ["--access-log", "-"] });
  await exchange(
    server.port,
    "GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
  );
  await server.stop();
  const lines = server.stdout().split("\n").filter((l) => l.includes("/index.html"));
  assert.equal(lines.length, 1, server.stdout());
  assert.match(
    lines[0],
    /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/index\.html HTTP\/1\.1" 200 5 "-" "-"$/,
  );
});

/** Counts and checks the rows of every file of the three logs; returns the three counts. */
async function countRows(logDir: string, access: string): Promise<[number, number, number]> {
  const keys = new Set<string>();
  let csv = 0;
  for (const file of await logFiles(`${logDir}/${SOCKETS_FILE}`)) {
    const text = await Deno.readTextFile(file);
    if (text === "") continue;
    assert.ok(text.endsWith("\n"), `${file} ends with a whole row`);
    const [header, ...rows] = text.trimEnd().split("\n");
    assert.equal(header, CSV_COLUMNS.join(","), `${file} starts with its header`);
    for (const row of rows) {
      const fields = row.split(",");
      assert.equal(fields.length, CSV_COLUMNS.length, `${file}: torn row ${row}`);
      const key = `${fields[5]}/${fields[6]}`;
      assert.ok(!keys.has(key), `${file}: row ${key} twice`);
      keys.add(key);
    }
    csv += rows.length;
  }
  let entries = 0;
  for (const file of await logFiles(`${logDir}/${RESPONSES_FILE}`)) {
    const text = await Deno.readTextFile(file);
    if (text === "") continue;
    assert.ok(text.startsWith("# ") && text.endsWith("\r\n\r\n"), `${file} holds whole entries`);
    entries += text.split("\r\n\r\n").length - 1;
  }
  let lines = 0;
  for (const file of await logFiles(access)) {
    const text = await Deno.readTextFile(file);
    if (text === "") continue;
    assert.ok(text.endsWith("\n"));
    for (const line of text.trimEnd().split("\n")) {
      assert.match(
        line,
        /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/index\.html HTTP\/1\.1" 200 5 "-" "-"$/,
      );
      lines++;
    }
  }
  return [csv, entries, lines];
}

/** Runs wrk for a bounded time; returns the responses it counted. */
async function runWrk(port: number): Promise<{ count: number; connections: number }> {
  const connections = 20;
  const out = await new Deno.Command("wrk", {
    args: ["-t1", `-c${connections}`, "-d3s", `http://127.0.0.1:${port}/index.html`],
    stdout: "piped",
  }).output();
  const text = decoder.decode(out.stdout);
  const match = /(\d+) requests in/.exec(text);
  assert.ok(match, text);
  return { count: Number(match[1]), connections };
}

for (
  const [workers, signal, sizeRotation] of [
    [1, "SIGUSR1", false],
    [2, "SIGHUP", false],
    [1, "SIGHUP", true],
    [2, "SIGHUP", true],
  ] as const
) {
  const how = sizeRotation ? "--log-max-size 256K" : `renames and ${signal}`;
  Deno.test(`log rotation under wrk (${how}, --workers ${workers}) loses, tears and repeats no row`, async () => {
    const root = await makeTree({ "index.html": "hello" });
    const logDir = await Deno.makeTempDir();
    const access = `${logDir}/access.log`;
    const server = await startServer({
      root,
      logDir,
      args: [
        "-q",
        "--workers",
        String(workers),
        "--access-log",
        access,
        // Every rotated file is kept, however fast the machine serves: a file rotated out would
        // read as lost rows.
        ...(sizeRotation ? ["--log-max-size", "256K", "--log-keep", String(MAX_LOG_KEEP)] : []),
      ],
    });
    let rotating = !sizeRotation;
    let rotations = 0;
    const rotator = (async () => {
      // What logrotate does: rename every file, then signal (postrotate).
      while (rotating) {
        await new Promise((r) => setTimeout(r, 100));
        rotations++;
        for (const path of [`${logDir}/${RESPONSES_FILE}`, `${logDir}/${SOCKETS_FILE}`, access]) {
          await Deno.rename(path, `${path}.r${rotations}`).catch(() => {});
        }
        server.process.kill(signal);
      }
    })();
    const wrk = await runWrk(server.port);
    rotating = false;
    await rotator;
    await server.stop();
    const served = stoppedCount(server.stdout());
    const kept = (await logFiles(`${logDir}/${RESPONSES_FILE}`)).length;
    assert.ok(kept <= MAX_LOG_KEEP, `${kept} files: the oldest were rotated out`);
    const [csv, entries, lines] = await countRows(logDir, access);
    assert.deepEqual([csv, entries, lines], [served, served, served], server.stderr());
    // wrk does not count what was in flight when it stopped.
    assert.ok(
      served >= wrk.count && served <= wrk.count + wrk.connections,
      `${served} vs ${wrk.count}`,
    );
    const files = (await logFiles(`${logDir}/${SOCKETS_FILE}`)).length;
    assert.ok(files > 3, `${files} CSV files: the logs were rotated`);
    assert.equal(server.stderr().includes("Debugger listening") && signal !== "SIGUSR1", false);
  });
}
