/**
 * Log formats, pure (src/log/format.ts): both files' entries, CSV quoting and formula cells, the console line, unparsed requests.
 */

import assert from "node:assert/strict";
import {
  CSV_COLUMNS,
  describeUnparsed,
  formatAccessLine,
  formatCsvRows,
  formatEndpoint,
  formatResponseEntry,
  loadCsvLibrary,
  NOT_SENT,
  redactUserinfo,
  type ResponseRecord,
} from "../../src/log/format.ts";
import { bytes } from "../helpers.ts";

// Rows with a field to quote need the CSV library (tests/log/csv_library_test.ts covers the wait).
await loadCsvLibrary();

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

Deno.test("redactUserinfo() replaces user:password@ in any URI of a line with ***@", async (t) => {
  const cases: [string, string][] = [
    ["GET http://alice:secret@localhost/ HTTP/1.1", "GET http://***@localhost/ HTTP/1.1"],
    [
      "GET https://alice@localhost:8080/a?b HTTP/1.1",
      "GET https://***@localhost:8080/a?b HTTP/1.1",
    ],
    ["GET http://a:p@ss@host/x@y HTTP/1.1", "GET http://***@host/x@y HTTP/1.1"],
    ["CONNECT alice:secret@host:443 HTTP/1.1", "CONNECT ***@host:443 HTTP/1.1"],
    ["GET /mail/a@b.example HTTP/1.1", "GET /mail/a@b.example HTTP/1.1"],
    ["GET /?to=a@b HTTP/1.1", "GET /?to=a@b HTTP/1.1"],
    ["GET / HTTP/1.1", "GET / HTTP/1.1"],
  ];
  for (const [line, expected] of cases) {
    await t.step(line, () => assert.equal(redactUserinfo(line), expected));
  }
});

Deno.test("describeUnparsed() keeps no userinfo, even when the excerpt is cut inside it", () => {
  assert.deepEqual(describeUnparsed(bytes("GET http://alice:secret@localhost/ HTTP/1.1\r\n")), {
    requestLine: "GET http://***@localhost/ HTTP/1.1",
    method: "GET",
    target: "http://***@localhost/",
    version: "HTTP/1.1",
  });
  const long = describeUnparsed(bytes(`GET http://alice:${"s".repeat(500)}@h/ HTTP/1.1\r\n`));
  assert.equal(long.requestLine, "GET http://***@h/ HTTP/1.1");
});

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

Deno.test("formatCsvRows() neutralises spreadsheet formulas in client fields (OWASP CSV injection)", async (t) => {
  const cases: [string, string][] = [
    ['=HYPERLINK("http://evil")', `"'=HYPERLINK(""http://evil"")"`],
    ["+1+1", "'+1+1"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\tTAB", "'\tTAB"],
    ["\r=1", `"'\r=1"`],
    ["-", "-"], // the placeholder of an unparsed request
    ["X;=1+1", '"X;=1+1"'], // one cell where spreadsheets split on ";"
    ["GET", "GET"],
    ["/a=b", "/a=b"],
  ];
  for (const [method, cell] of cases) {
    await t.step(JSON.stringify(method), () => {
      const row = formatCsvRows([record({ method })]);
      assert.ok(row.includes(`,${cell},/index.html,`), row);
    });
  }
});

Deno.test("a response of which nothing was sent is logged as 499 in the CSV and not in HTTPResponses.txt", () => {
  const aborted = record({ status: NOT_SENT, head: null, bodyBytes: 0 });
  assert.equal(formatResponseEntry(aborted), "");
  assert.ok(formatCsvRows([aborted]).includes(",GET,/index.html,HTTP/1.1,499,0,"));
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
  return stringify([fields], { eof: true, record_delimiter: "unix", quoted_match: /[\r;]/ });
}
