/**
 * The CSV library is imported only for a row with a field to quote (src/log/format.ts): the
 * column row and plain rows are written without it, and rows that need it wait for it in
 * order (src/log/pending.ts). This file never imports the library itself, so it starts unloaded.
 */

import assert from "node:assert/strict";
import { stringify } from "csv-stringify/sync";
import {
  canFormatCsvRow,
  CSV_COLUMNS,
  CSV_FORWARDED_COLUMN,
  formatCsvRows,
  type ResponseRecord,
} from "../../src/log/format.ts";
import { PendingLogs } from "../../src/log/pending.ts";

function record(target: string): ResponseRecord {
  return {
    time: Date.UTC(2026, 10, 21, 12, 0, 0, 123),
    server: { ip: "127.0.0.1", port: 8080 },
    client: { ip: "127.0.0.1", port: 50000 },
    connectionId: 1,
    requestOnConnection: 1,
    method: "GET",
    target,
    version: "HTTP/1.1",
    requestLine: `GET ${target} HTTP/1.1`,
    referer: null,
    userAgent: null,
    status: 200,
    head: "HTTP/1.1 200 OK\r\n\r\n",
    bodyBytes: 0,
    durationMs: 1,
    forwardedClient: null,
  };
}

Deno.test("formatCsvRows() writes the column row as csv-stringify does, without importing it", () => {
  assert.equal(canFormatCsvRow(record("/a,b")), false, "the library is not loaded yet");
  for (const columns of [[...CSV_COLUMNS], [...CSV_COLUMNS, CSV_FORWARDED_COLUMN]]) {
    const expected = stringify([columns], { eof: true, record_delimiter: "unix" });
    assert.equal(formatCsvRows([], true, columns.length > CSV_COLUMNS.length), expected);
  }
  assert.ok(canFormatCsvRow(record("/plain")), "a row without a field to quote needs no library");
});

Deno.test("PendingLogs holds rows behind one that needs quoting until the CSV library is in, in order", async () => {
  let due = 0;
  const pending = new PendingLogs(
    { console: false, access: null, accessToConsole: false },
    () => due++,
  );
  pending.record(record("/first"));
  pending.record(record("/a,b"));
  pending.record(record("/after"));
  const before = pending.take()!;
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  assert.equal(before.count, 3);
  assert.equal(
    text(before.sockets).split("\n").length - 1,
    1,
    "only the row before the quoted one",
  );
  assert.ok(text(before.responses).includes("/after"), "HTTPResponses.txt entries do not wait");
  await pending.settled();
  assert.ok(pending.pendingBytes > 0, "the rows that waited are pending now");
  const after = pending.take()!;
  const sockets = text(after.sockets);
  const targets = sockets.trimEnd().split("\n").map((row) => row.split(",")[8]);
  assert.deepEqual(targets, ['"/a', "/after"]);
  assert.ok(sockets.includes(',"/a,b",'), sockets);
  assert.ok(canFormatCsvRow(record("/a,b")), "the library is loaded now");
});
