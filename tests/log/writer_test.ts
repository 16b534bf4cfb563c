/**
 * The log writer (src/log/writer.ts): appending both files, warnings, the console, a full disk and a deleted file, on an injected disk and a real tmpfs.
 */

import assert from "node:assert/strict";
import { type AppendFile } from "../../src/log/append_queue.ts";
import {
  CSV_COLUMNS,
  formatCsvRows,
  formatResponseEntry,
  type ResponseRecord,
  RESPONSES_FILE,
  SOCKETS_FILE,
} from "../../src/log/format.ts";
import { LogWriter, type OpenedLog, rotateFiles } from "../../src/log/writer.ts";
import type { LogBatch } from "../../src/log/sink.ts";
import {
  LOG_BACKLOG_PAUSE_BYTES,
  LOG_BACKLOG_RESUME_BYTES,
  LOG_FLUSH_THRESHOLD_BYTES,
  MAX_PENDING_CONSOLE_CHARS,
  MAX_PENDING_LOG_BYTES,
} from "../../src/limits.ts";
import { exchange, get, makeTree, startServer } from "../helpers.ts";

const HEAD = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";

function record(overrides: Partial<ResponseRecord> = {}): ResponseRecord {
  return {
    time: Date.UTC(2026, 10, 21, 12, 0, 0, 123),
    server: { ip: "127.0.0.1", port: 8080 },
    client: { ip: "127.0.0.1", port: 50000 },
    connectionId: 3,
    requestOnConnection: 2,
    method: "GET",
    target: "/index.html",
    version: "HTTP/1.1",
    requestLine: "GET /index.html HTTP/1.1",
    referer: null,
    userAgent: null,
    status: 200,
    head: HEAD,
    bodyBytes: 5,
    durationMs: 1.23456,
    forwardedClient: null,
    ...overrides,
  };
}

Deno.test("LogWriter appends both files, writes the CSV column row once, across writers", async () => {
  const dir = await Deno.makeTempDir();
  for (let run = 0; run < 2; run++) {
    const logs = new LogWriter(dir);
    logs.record(record({ connectionId: run }));
    logs.record(record({ connectionId: run, requestOnConnection: 3 }));
    await logs.close();
  }
  const csv = (await Deno.readTextFile(`${dir}/${SOCKETS_FILE}`)).trimEnd().split("\n");
  assert.equal(csv.length, 5);
  assert.equal(csv[0], CSV_COLUMNS.join(","));
  assert.equal(csv.filter((l) => l.startsWith("time,")).length, 1);
  const responses = await Deno.readTextFile(`${dir}/${RESPONSES_FILE}`);
  assert.equal(responses.split("\n# ").length, 4);
  assert.ok(responses.endsWith(HEAD));
});

Deno.test("LogWriter warns once when the log dir is unwritable and keeps the entries for later", async () => {
  const dir = await Deno.makeTempDir();
  const missing = `${dir}/gone`;
  const warnings: string[] = [];
  const logs = new LogWriter(missing, { warn: (m) => warnings.push(m) });
  logs.record(record());
  await logs.flush();
  logs.record(record());
  await logs.flush();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /Cannot write logs/);
  await Deno.mkdir(missing);
  await logs.close();
  const csv = (await Deno.readTextFile(`${missing}/${SOCKETS_FILE}`)).trimEnd().split("\n");
  assert.equal(csv.length, 3, "both kept records were written once the dir came back");
  assert.equal(warnings.length, 2);
});

Deno.test("LogWriter sends console lines to its console sink in order", async () => {
  const seen: string[] = [];
  const logs = new LogWriter(await Deno.makeTempDir(), {
    console: (t) => (seen.push(t), Promise.resolve()),
  });
  logs.line("one");
  logs.line("two");
  await logs.close();
  assert.deepEqual(seen, ["one\ntwo\n"]);
});

Deno.test("LogWriter resumes after a full disk exactly where each file stopped: every entry once, none torn", async () => {
  const disk = new SmallDisk(5000);
  const warnings: string[] = [];
  const writer = new LogWriter("/logs", { open: disk.opener(), warn: (m) => warnings.push(m) });
  const records = Array.from({ length: 60 }, (_, i) => record({ connectionId: i + 1 }));
  for (const r of records.slice(0, 30)) writer.record(r);
  await writer.flush(); // fills the disk part-way through an entry
  assert.equal(disk.used, 5000);
  for (const r of records.slice(30)) writer.record(r);
  await writer.flush(); // still full: nothing more, nothing lost
  disk.capacity = Infinity; // space freed
  await writer.flush();
  assert.equal(
    disk.text(RESPONSES_FILE),
    records.map((r) => formatResponseEntry(r)).join(""),
  );
  assert.equal(disk.text(SOCKETS_FILE), formatCsvRows(records, true));
  assert.equal(warnings.length, 2, warnings.join("\n"));
  await writer.close();
});

Deno.test("LogWriter starts a partly written entry over when its file was deleted meanwhile", async () => {
  const disk = new SmallDisk(700);
  const writer = new LogWriter("/logs", { open: disk.opener(), warn: () => {} });
  const records = Array.from({ length: 6 }, (_, i) => record({ connectionId: i + 1 }));
  for (const r of records) writer.record(r);
  await writer.flush(); // HTTPResponses.txt holds a torn entry now
  const written = disk.text(RESPONSES_FILE);
  disk.files.clear(); // the operator deletes the logs to free space
  disk.capacity = Infinity;
  await writer.flush();
  const entries = records.map((r) => formatResponseEntry(r));
  // The entries written whole before are gone with the old file; the torn one starts over.
  const whole = entries.filter((_, i) => entries.slice(0, i + 1).join("").length <= written.length);
  assert.equal(disk.text(RESPONSES_FILE), entries.slice(whole.length).join(""));
  assert.match(disk.text(SOCKETS_FILE), /^time,server_ip/);
  await writer.close();
});

Deno.test(
  "a full log disk that frees up leaves every response in both logs exactly once, none torn",
  {
    ignore: Deno.build.os !== "linux",
  },
  async (t) => {
    const logDir = await Deno.makeTempDir({ prefix: "sockserve-tmpfs-" });
    const mount = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=256k", "tmpfs", logDir],
      stderr: "piped",
    }).output().catch(() => null);
    if (mount === null || !mount.success) {
      console.log(`skipped: cannot mount a small tmpfs here (needs root): ${logDir}`);
      return;
    }
    try {
      const root = await makeTree({ "a.txt": "a" });
      await using server = await startServer({ root, logDir, args: ["--quiet"] });
      // Leave about 8 KiB free, then send far more log text than that.
      await Deno.writeFile(`${logDir}/filler`, new Uint8Array(248 * 1024)).catch(() => {});
      const requests = 200;
      await t.step("fill the disk", async () => {
        for (let i = 0; i < requests / 2; i++) await exchange(server.port, get("/a.txt"));
        await new Promise((resolve) => setTimeout(resolve, 500)); // let a flush fail part-way
      });
      await Deno.remove(`${logDir}/filler`);
      for (let i = 0; i < requests / 2; i++) await exchange(server.port, get("/a.txt"));
      assert.equal((await server.stop()).code, 0);
      const csv = (await Deno.readTextFile(`${logDir}/${SOCKETS_FILE}`)).trimEnd().split("\n");
      assert.equal(csv[0], CSV_COLUMNS.join(","));
      const rows = csv.slice(1);
      assert.equal(rows.length, requests, "one row per response");
      for (const row of rows) assert.equal(row.split(",").length, CSV_COLUMNS.length, row);
      const ids = new Set(rows.map((row) => row.split(",")[5]));
      assert.equal(ids.size, requests, "no row twice");
      const entries = (await Deno.readTextFile(`${logDir}/${RESPONSES_FILE}`)).split("\r\n\r\n");
      assert.equal(entries.pop(), "");
      assert.equal(entries.length, requests);
      for (const entry of entries) {
        assert.match(
          entry,
          /^# \S+ \S+ -> \S+ "GET \/a\.txt HTTP\/1\.1"\nHTTP\/1\.1 200 OK\r\n/,
        );
      }
    } finally {
      await new Deno.Command("umount", { args: [logDir] }).output();
    }
  },
);

/** A disk in memory whose writes wait until the test lets them finish (or fail). */
class SlowDisk {
  written = 0;
  writes = 0;
  /** Writes not finished yet, with what finishes them. */
  readonly #held: { bytes: number; done: (error?: Error) => void }[] = [];
  /** Writes finish as they come once true. */
  fast = false;
  /** Writes fail with this once the disk failed. */
  error: Error | null = null;

  opener(): (path: string) => Promise<OpenedLog> {
    return () =>
      Promise.resolve({
        isNew: false,
        file: {
          write: (bytes) =>
            new Promise<number>((resolve, reject) => {
              const done = (error?: Error) => {
                if (error) return reject(error);
                this.written += bytes.length;
                this.writes++;
                resolve(bytes.length);
              };
              if (this.error !== null) done(this.error);
              else if (this.fast) done();
              else this.#held.push({ bytes: bytes.length, done });
            }),
          close: () => {},
        },
      });
  }

  /** Finishes the writes held now; later ones wait again. */
  step(): void {
    for (const write of this.#held.splice(0)) write.done();
  }

  /** Finishes every held write, and later ones at once; or fails them all, from now on. */
  release(error?: Error): void {
    this.fast = error === undefined;
    this.error = error ?? null;
    for (const write of this.#held.splice(0)) write.done(error);
  }
}

/** A worker's batch of `bytes` bytes of HTTPResponses.txt text. */
function batch(bytes: number): LogBatch {
  return {
    responses: new Uint8Array(bytes).fill(0x61),
    sockets: new Uint8Array(),
    access: new Uint8Array(),
    lines: [],
    count: 1,
  };
}

const BATCH_BYTES = 32 * 1024;

/** Appends batches until the writer says connections must wait; fails if it never does. */
function fillUntilBehind(writer: LogWriter): number {
  let sent = 0;
  while (writer.ready() === null) {
    assert.ok(sent <= MAX_PENDING_LOG_BYTES, "the writer never fell behind");
    writer.append(batch(BATCH_BYTES));
    sent += BATCH_BYTES;
  }
  return sent;
}

Deno.test("LogWriter holds connections back while a slow disk is LOG_BACKLOG_PAUSE_BYTES behind, and drops nothing", async () => {
  const disk = new SlowDisk();
  const writer = new LogWriter("/logs", { open: disk.opener(), warn: () => {} });
  const told: boolean[] = [];
  writer.onBacklog((behind) => told.push(behind));
  let sent = 0;
  while (sent + BATCH_BYTES < LOG_BACKLOG_PAUSE_BYTES) {
    writer.append(batch(BATCH_BYTES));
    sent += BATCH_BYTES;
  }
  assert.equal(writer.ready(), null, "below the pause mark, connections go on");
  writer.append(batch(BATCH_BYTES));
  sent += BATCH_BYTES;
  const behind = writer.ready();
  assert.notEqual(behind, null, "at the pause mark, connections wait");
  assert.deepEqual(told, [true]);
  // What the workers send before they hear of it is kept too, even past the memory bound.
  while (sent <= MAX_PENDING_LOG_BYTES + BATCH_BYTES) {
    writer.append(batch(BATCH_BYTES));
    sent += BATCH_BYTES;
  }
  await new Promise((resolve) => setTimeout(resolve, 0)); // the first write starts, and waits
  assert.equal(disk.written, 0);
  disk.release();
  await behind;
  assert.deepEqual(told, [true, false]);
  assert.ok(writer.queuedBytes <= LOG_BACKLOG_RESUME_BYTES, `${writer.queuedBytes} still queued`);
  await writer.close();
  assert.equal(disk.written, sent, "every byte reached the disk");
  assert.equal(writer.responseCount, sent / BATCH_BYTES);
});

Deno.test("LogWriter lets connections go when a waited-for disk makes no progress, and drops only past the bound", async () => {
  const disk = new SlowDisk();
  const warnings: string[] = [];
  const writer = new LogWriter("/logs", {
    open: disk.opener(),
    warn: (m) => warnings.push(m),
    stallMs: 50,
  });
  const sent = fillUntilBehind(writer);
  await writer.ready(); // settles at the stall, with nothing written
  assert.equal(disk.written, 0);
  assert.equal(writer.ready(), null, "a hung disk does not stop the serving");
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /made no progress for 0\.05 s\. Serving continues/);
  const batches = (MAX_PENDING_LOG_BYTES * 2) / BATCH_BYTES;
  for (let i = 0; i < batches; i++) writer.append(batch(BATCH_BYTES));
  assert.equal(writer.ready(), null, "no second wait while the disk hangs");
  assert.ok(writer.queuedBytes <= MAX_PENDING_LOG_BYTES + BATCH_BYTES, "memory stays bounded");
  disk.release();
  await writer.close();
  const kept = disk.written - sent;
  assert.ok(kept > 0 && kept < batches * BATCH_BYTES, `${kept} of the later bytes kept`);
  assert.equal(warnings.length, 2);
  assert.match(warnings[1], /moving again; logging resumed\. \d+ batches of entries were dropped/);
});

Deno.test("LogWriter holds connections back while a slow stdout is LOG_BACKLOG_PAUSE_BYTES behind (--access-log -), and drops no line", async () => {
  const disk = new SlowDisk();
  disk.release();
  const printed: string[] = [];
  let stdoutMoves: (() => void) | null = null;
  let slow = true;
  const writer = new LogWriter("/logs", {
    open: disk.opener(),
    console: (text) => {
      printed.push(text);
      return slow ? new Promise((resolve) => stdoutMoves = resolve) : Promise.resolve();
    },
    text: { console: false, access: "combined", accessToConsole: true },
  });
  // 100 lines of 1 KiB (with the line break) a batch.
  const lines = Array.from({ length: 100 }, (_, i) => `${i}`.padEnd(1023, "."));
  let sent = 0;
  while (writer.ready() === null) {
    assert.ok(sent * 1024 <= MAX_PENDING_CONSOLE_CHARS, "the writer never fell behind");
    writer.append({ ...batch(0), lines });
    sent += 100;
  }
  // The first batch is being written; the wait begins with the batch that brings the queue
  // behind it to the mark.
  const queued = (sent - 100) * 1024;
  assert.ok(queued >= LOG_BACKLOG_PAUSE_BYTES && queued - 100 * 1024 < LOG_BACKLOG_PAUSE_BYTES);
  const behind = writer.ready();
  slow = false;
  stdoutMoves!();
  await behind;
  await writer.close();
  const out = printed.join("").split("\n").filter((line) => line !== "");
  assert.equal(out.length, sent, "every access line reached stdout");
  assert.equal(writer.droppedConsoleLines, 0);
});

Deno.test("LogWriter bounds its own isolate's entries too while the disk hangs", async () => {
  const disk = new SlowDisk();
  const writer = new LogWriter("/logs", { open: disk.opener(), warn: () => {}, stallMs: 50 });
  let recorded = 0;
  while (writer.ready() === null) {
    assert.ok(recorded < 100_000, "the writer never fell behind");
    writer.record(record({ connectionId: recorded++ }));
  }
  await writer.ready(); // the stall
  for (let i = 0; i < 60_000; i++) writer.record(record({ connectionId: recorded++ }));
  // The bound is checked before a batch is queued, so the queues may pass it by one batch, and
  // the entries not yet taken into a batch (under one more) come on top.
  assert.ok(
    writer.queuedBytes <= MAX_PENDING_LOG_BYTES + 2 * LOG_FLUSH_THRESHOLD_BYTES,
    `${writer.queuedBytes} bytes queued`,
  );
  disk.release();
  await writer.close();
});

Deno.test("LogWriter holds connections back again when a hung disk comes back slower than the traffic", async () => {
  const disk = new SlowDisk();
  const warnings: string[] = [];
  const writer = new LogWriter("/logs", {
    open: disk.opener(),
    warn: (m) => warnings.push(m),
    stallMs: 50,
  });
  fillUntilBehind(writer);
  await writer.ready(); // the stall
  assert.equal(writer.ready(), null);
  for (let i = 0; i < 64; i++) writer.append(batch(BATCH_BYTES)); // 2 MiB more meanwhile
  disk.step(); // one write finishes: the disk moves again, but the backlog is still over the mark
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.notEqual(writer.ready(), null, "connections wait again");
  assert.match(warnings.at(-1)!, /moving again/);
  disk.release();
  await writer.close();
});

Deno.test("LogWriter lets waiting connections go at once when the disk fails", async () => {
  const disk = new SlowDisk();
  const warnings: string[] = [];
  const writer = new LogWriter("/logs", { open: disk.opener(), warn: (m) => warnings.push(m) });
  fillUntilBehind(writer);
  const behind = writer.ready();
  disk.release(new Error("No space left on device (os error 28)"));
  await behind;
  assert.equal(writer.ready(), null);
  assert.match(warnings[0], /Cannot write logs .* Serving continues/);
  disk.release();
  await writer.close();
});

Deno.test("LogWriter lets waiting connections go when it closes", async () => {
  const disk = new SlowDisk();
  const writer = new LogWriter("/logs", { open: disk.opener(), warn: () => {} });
  fillUntilBehind(writer);
  const behind = writer.ready();
  const closed = writer.close();
  await behind;
  disk.release();
  await closed;
});

Deno.test("LogWriter.close() gives up on a disk that takes nothing for the stall time, and says what it leaves unwritten", async () => {
  const disk = new SlowDisk();
  const warnings: string[] = [];
  const writer = new LogWriter("/logs", {
    open: disk.opener(),
    warn: (m) => warnings.push(m),
    stallMs: 50,
  });
  writer.append(batch(BATCH_BYTES));
  await writer.close();
  assert.equal(disk.written, 0);
  assert.deepEqual(warnings, [
    `Stopping with ${BATCH_BYTES} bytes of log entries unwritten: writes to "/logs" made no ` +
    "progress for 0.05 s.",
  ]);
});

Deno.test("LogWriter.close() waits for a slow disk to the last byte while it keeps moving", async () => {
  const disk = new SlowDisk();
  const warnings: string[] = [];
  const stallMs = 250;
  const stepMs = 20;
  const writer = new LogWriter("/logs", {
    open: disk.opener(),
    warn: (m) => warnings.push(m),
    stallMs,
  });
  const batches = 300;
  for (let i = 0; i < batches; i++) writer.append(batch(BATCH_BYTES));
  // One write finishes per step: all of them take longer than the stall time, each far less.
  const stepper = setInterval(() => disk.step(), stepMs);
  try {
    await writer.close();
  } finally {
    clearInterval(stepper);
  }
  assert.equal(disk.written, batches * BATCH_BYTES);
  assert.ok(disk.writes * stepMs > 2 * stallMs, `only ${disk.writes} writes`);
  assert.deepEqual(warnings, []);
});

/** A disk in memory that can fill up: writes stop part-way at the capacity, then fail. */
class SmallDisk {
  readonly files = new Map<string, Uint8Array[]>();
  capacity: number;
  used = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  text(name: string): string {
    return new TextDecoder().decode(
      (this.files.get(name) ?? []).reduce((all, part) => {
        const joined = new Uint8Array(all.length + part.length);
        joined.set(all);
        joined.set(part, all.length);
        return joined;
      }, new Uint8Array()),
    );
  }

  open(name: string): { file: AppendFile; isNew: boolean } {
    const isNew = !this.files.has(name);
    if (isNew) this.files.set(name, []);
    const parts = this.files.get(name)!;
    return {
      isNew,
      file: {
        write: (bytes) => {
          const room = this.capacity - this.used;
          if (room <= 0) return Promise.reject(new Error("No space left on device (os error 28)"));
          const n = Math.min(room, bytes.length);
          parts.push(bytes.slice(0, n));
          this.used += n;
          return Promise.resolve(n);
        },
        close: () => {},
      },
    };
  }

  opener(): (path: string) => Promise<OpenedLog> {
    return (path) => Promise.resolve(this.open(path.slice(path.lastIndexOf("/") + 1)));
  }
}

/** Every file of a rotated log, newest last: FILE.N … FILE.1, FILE. */
async function rotatedFiles(path: string): Promise<string[]> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  const name = path.slice(path.lastIndexOf("/") + 1);
  const numbers: number[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = /^(.*)\.(\d+)$/.exec(entry.name);
    if (match && match[1] === name) numbers.push(Number(match[2]));
  }
  numbers.sort((a, b) => b - a);
  return [...numbers.map((n) => `${path}.${n}`), path];
}

Deno.test("LogWriter writes the access log file beside the others", async () => {
  const dir = await Deno.makeTempDir();
  const access = `${dir}/access.log`;
  const logs = new LogWriter(dir, {
    text: { console: false, access: "common", accessToConsole: false, offset: () => 0 },
    accessFile: access,
  });
  logs.record(record());
  logs.record(record({ status: 404 }));
  await logs.close();
  assert.equal(
    await Deno.readTextFile(access),
    '127.0.0.1 - - [21/Nov/2026:12:00:00 +0000] "GET /index.html HTTP/1.1" 200 5\n' +
      '127.0.0.1 - - [21/Nov/2026:12:00:00 +0000] "GET /index.html HTTP/1.1" 404 5\n',
  );
});

Deno.test("LogWriter rotates every log by size between records, each CSV with its header", async () => {
  const dir = await Deno.makeTempDir();
  const access = `${dir}/access.log`;
  const maxSize = 4096;
  const logs = new LogWriter(dir, {
    text: { console: false, access: "combined", accessToConsole: false },
    accessFile: access,
    maxSize,
    keep: 1000,
  });
  const total = 500;
  // In several batches, as a running server writes them.
  for (let i = 0; i < total; i++) {
    logs.record(record({ connectionId: i }));
    if (i % 37 === 0) await logs.flush();
  }
  await logs.close();
  let csvRows = 0;
  const csvFiles = await rotatedFiles(`${dir}/${SOCKETS_FILE}`);
  assert.ok(csvFiles.length > 5, `${csvFiles.length} CSV files`);
  const ids: number[] = [];
  for (const file of csvFiles) {
    const text = await Deno.readTextFile(file);
    assert.ok(text.length <= maxSize, `${file} has ${text.length} bytes`);
    const lines = text.trimEnd().split("\n");
    assert.equal(lines[0], CSV_COLUMNS.join(","), `${file} starts with its header`);
    csvRows += lines.length - 1;
    for (const line of lines.slice(1)) ids.push(Number(line.split(",")[5]));
  }
  assert.equal(csvRows, total);
  assert.deepEqual(ids, Array.from({ length: total }, (_, i) => i), "in order, none twice");
  let entries = 0;
  for (const file of await rotatedFiles(`${dir}/${RESPONSES_FILE}`)) {
    const text = await Deno.readTextFile(file);
    assert.ok(text.length <= maxSize);
    assert.ok(text.startsWith("# ") && text.endsWith(HEAD), `${file} holds whole entries`);
    entries += text.split(HEAD).length - 1;
  }
  assert.equal(entries, total);
  let lines = 0;
  for (const file of await rotatedFiles(access)) {
    const text = await Deno.readTextFile(file);
    assert.ok(text.length <= maxSize && text.endsWith("\n"));
    lines += text.trimEnd().split("\n").length;
  }
  assert.equal(lines, total);
});

Deno.test("LogWriter keeps --log-keep rotated files, the newest", async () => {
  const dir = await Deno.makeTempDir();
  const logs = new LogWriter(dir, { maxSize: 4096, keep: 2 });
  for (let i = 0; i < 300; i++) {
    logs.record(record({ connectionId: i }));
    if (i % 10 === 0) await logs.flush();
  }
  await logs.close();
  const files = await rotatedFiles(`${dir}/${SOCKETS_FILE}`);
  assert.deepEqual(files.map((f) => f.slice(dir.length + 1)), [
    `${SOCKETS_FILE}.2`,
    `${SOCKETS_FILE}.1`,
    SOCKETS_FILE,
  ]);
  const last = (await Deno.readTextFile(`${dir}/${SOCKETS_FILE}`)).trimEnd().split("\n").at(-1)!;
  assert.equal(last.split(",")[5], "299");
});

Deno.test("rotateFiles moves the files there are up by one and returns the highest it filled, the next call's bound", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/log`;
  const contents = async () => {
    const found: Record<string, string> = {};
    for await (const entry of Deno.readDir(dir)) {
      found[entry.name] = await Deno.readTextFile(`${dir}/${entry.name}`);
    }
    return found;
  };
  await Deno.writeTextFile(path, "a");
  await Deno.writeTextFile(`${path}.1`, "b");
  await Deno.writeTextFile(`${path}.3`, "c"); // a gap at .2
  assert.equal(await rotateFiles(path, 5), 4);
  assert.deepEqual(await contents(), { "log.1": "a", "log.2": "b", "log.4": "c" });
  await Deno.writeTextFile(path, "d");
  assert.equal(await rotateFiles(path, 5, 4), 5);
  assert.deepEqual(await contents(), { "log.1": "d", "log.2": "a", "log.3": "b", "log.5": "c" });
  await Deno.writeTextFile(path, "e");
  assert.equal(await rotateFiles(path, 5, 5), 4, "FILE.5 stays: FILE.4 was a gap");
  assert.deepEqual(await contents(), {
    "log.1": "e",
    "log.2": "d",
    "log.3": "a",
    "log.4": "b",
    "log.5": "c",
  });
  await Deno.writeTextFile(path, "f");
  assert.equal(await rotateFiles(path, 5, 4), 5, "the oldest, FILE.5, is replaced");
  assert.deepEqual(await contents(), {
    "log.1": "f",
    "log.2": "e",
    "log.3": "d",
    "log.4": "a",
    "log.5": "b",
  });
  assert.equal(await rotateFiles(`${dir}/none`, 5), 0);
});

Deno.test("LogWriter gives a log without a size (a pipe, /dev/stdout) its CSV column row once per run, and never rotates it", async () => {
  const written = new Map<string, string>();
  const rotations: string[] = [];
  const writer = new LogWriter("/logs", {
    maxSize: 4096,
    open: (path) =>
      Promise.resolve({
        isNew: false,
        file: {
          write: (bytes) => {
            written.set(path, (written.get(path) ?? "") + new TextDecoder().decode(bytes));
            return Promise.resolve(bytes.length);
          },
          stat: () => Promise.resolve(null),
          close: () => {},
        },
      }),
    rotate: (path) => {
      rotations.push(path);
      return Promise.resolve(0);
    },
  });
  const records = Array.from({ length: 100 }, (_, i) => record({ connectionId: i + 1 }));
  for (const [i, r] of records.entries()) {
    writer.record(r);
    if (i % 10 === 9) await writer.flush();
  }
  await writer.close();
  assert.deepEqual(rotations, []);
  assert.equal(written.get(`/logs/${SOCKETS_FILE}`), formatCsvRows(records, true));
  assert.equal(
    written.get(`/logs/${RESPONSES_FILE}`),
    records.map((r) => formatResponseEntry(r)).join(""),
  );
});

Deno.test("LogWriter starts a file renamed away anew, and gives an empty one (logrotate create) its CSV header", async () => {
  const dir = await Deno.makeTempDir();
  const logs = new LogWriter(dir);
  logs.record(record({ connectionId: 1 }));
  await logs.flush();
  await Deno.rename(`${dir}/${SOCKETS_FILE}`, `${dir}/${SOCKETS_FILE}.1`);
  await Deno.writeTextFile(`${dir}/${SOCKETS_FILE}`, "");
  logs.record(record({ connectionId: 2 }));
  await logs.close();
  const old = (await Deno.readTextFile(`${dir}/${SOCKETS_FILE}.1`)).trimEnd().split("\n");
  const now = (await Deno.readTextFile(`${dir}/${SOCKETS_FILE}`)).trimEnd().split("\n");
  assert.deepEqual([old.length, now.length], [2, 2]);
  assert.equal(now[0], CSV_COLUMNS.join(","));
  assert.equal(now[1].split(",")[5], "2");
});

Deno.test("openAppend() reopens an existing log and reads its size with write permission alone", async () => {
  // Deno's FsFile.stat() needs read permission; a direct run grants the log dir write only.
  const dir = await Deno.makeTempDir();
  const script = `${dir}/probe.ts`;
  await Deno.writeTextFile(
    script,
    `import { openAppend } from ${
      JSON.stringify(new URL("../../src/log/writer.ts", import.meta.url).href)
    };
const path = ${JSON.stringify(`${dir}/logs/x.csv`)};
const first = await openAppend(path);
await first.file.write(new TextEncoder().encode("abc"));
first.file.close();
const again = await openAppend(path);
console.log(again.isNew, (await again.file.stat!()).size);
again.file.close();
`,
  );
  await Deno.mkdir(`${dir}/logs`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", `--allow-write=${dir}/logs`, script],
    cwd: new URL("../../", import.meta.url).pathname,
    stdin: "null",
  }).output();
  assert.equal(new TextDecoder().decode(out.stderr), "");
  assert.equal(new TextDecoder().decode(out.stdout), "false 3\n");
});
