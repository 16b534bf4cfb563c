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
import { LogWriter, type OpenedLog } from "../../src/log/writer.ts";
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
