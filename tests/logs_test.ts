/**
 * The logs: pure formatting of both files and the console line, and the batched writer.
 */

import assert from "node:assert/strict";
import {
  CSV_COLUMNS,
  describeUnparsed,
  formatAccessLine,
  formatCsvRows,
  formatEndpoint,
  formatResponseEntry,
  LogWriter,
  type ResponseRecord,
  RESPONSES_FILE,
  SOCKETS_FILE,
} from "../src/logs.ts";
import { bytes } from "./helpers.ts";

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
    status: 200,
    head: HEAD,
    bodyBytes: 5,
    durationMs: 1.23456,
    ...overrides,
  };
}

Deno.test("formatResponseEntry() writes a # line with time, both endpoints and the request, then the exact head", () => {
  assert.equal(
    formatResponseEntry(record()),
    `# 2026-11-21T12:00:00.123Z 127.0.0.1:50000 -> 127.0.0.1:8080 "GET /index.html HTTP/1.1"\n${HEAD}`,
  );
});

Deno.test("formatResponseEntry() escapes quotes and backslashes in the request line", () => {
  const entry = formatResponseEntry(record({ requestLine: 'GET /a"b\\c HTTP/1.1' }));
  assert.ok(entry.includes('"GET /a\\"b\\\\c HTTP/1.1"'));
});

Deno.test("formatEndpoint() brackets IPv6 addresses", () => {
  assert.equal(formatEndpoint({ ip: "::1", port: 80 }), "[::1]:80");
  assert.equal(formatEndpoint({ ip: "10.0.0.1", port: 80 }), "10.0.0.1:80");
});

Deno.test("formatCsvRows() writes the column row for a new file and one row per response", () => {
  const text = formatCsvRows([record()], true);
  assert.equal(
    text,
    `${
      CSV_COLUMNS.join(",")
    }\n2026-11-21T12:00:00.123Z,127.0.0.1,8080,127.0.0.1,50000,3,2,GET,/index.html,HTTP/1.1,200,5,1.235\n`,
  );
  assert.equal(formatCsvRows([record(), record()]).split("\n").length, 3);
});

Deno.test("formatCsvRows() quotes commas, quotes and line breaks (RFC 4180)", () => {
  const text = formatCsvRows([record({ target: '/a,b"c' })]);
  assert.ok(text.includes(',"/a,b""c",'), text);
});

Deno.test("formatAccessLine() colours the status only when asked", () => {
  const plain = formatAccessLine(record({ status: 404 }), false);
  assert.equal(
    plain,
    '2026-11-21T12:00:00.123Z 127.0.0.1:50000 "GET /index.html HTTP/1.1" 404 5 1.2ms',
  );
  assert.ok(formatAccessLine(record({ status: 404 }), true).includes("\x1b[33m404\x1b[0m"));
});

Deno.test("describeUnparsed() keeps a printable excerpt of a broken request", () => {
  assert.deepEqual(describeUnparsed(bytes("GET /x HTTP/9.9\r\nHost: a\r\n")), {
    requestLine: "GET /x HTTP/9.9",
    method: "GET",
    target: "/x",
    version: "HTTP/9.9",
  });
  const hostile = describeUnparsed(bytes('\x1b[31mEVIL\0 "x\r\n'));
  assert.equal(hostile.requestLine, '\\x1b[31mEVIL\\x00 "x');
  assert.equal(hostile.method, "-");
  assert.equal(describeUnparsed(bytes("A".repeat(1000))).requestLine.length, 200);
});

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

/** The row as csv-stringify would write it, field by field in CSV_COLUMNS order. */
function libraryRow(r: ResponseRecord, stringify: (rows: unknown[][], options: object) => string) {
  const fields = [
    new Date(r.time).toISOString(),
    r.server.ip,
    r.server.port,
    r.client.ip,
    r.client.port,
    r.connectionId,
    r.requestOnConnection,
    r.method,
    r.target,
    r.version,
    r.status,
    r.bodyBytes,
    r.durationMs.toFixed(3),
  ];
  return stringify([fields], { eof: true, record_delimiter: "unix" });
}

Deno.test("formatCsvRows() writes exactly what csv-stringify writes for every field shape", async (t) => {
  const { stringify } = await import("csv-stringify/sync");
  const targets = [
    "/plain",
    "/a,b",
    '/q"uote',
    "/line\nbreak",
    "/cr\rx",
    " /spaces ",
    "",
    "/=cmd|' /C calc'!A0",
    "/caf\u00e9",
    '","',
  ];
  for (const target of targets) {
    await t.step(JSON.stringify(target), () => {
      const r = record({ target, method: target === "" ? "" : "GET" });
      assert.equal(
        formatCsvRows([r]),
        libraryRow(r, stringify),
      );
    });
  }
});
