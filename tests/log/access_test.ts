/**
 * The access log formats (src/log/access.ts): escaping, times with their offset, and one line of
 * each format, from tables.
 */

import assert from "node:assert/strict";
import {
  escapeLogField,
  formatAccessEntry,
  formatClfTime,
  formatLocalIsoTime,
} from "../../src/log/access.ts";
import type { ResponseRecord } from "../../src/log/format.ts";

/** 21 Nov 2026 12:00:00.123 UTC. */
const NOON_UTC = Date.UTC(2026, 10, 21, 12, 0, 0, 123);

function record(overrides: Partial<ResponseRecord> = {}): ResponseRecord {
  return {
    time: NOON_UTC,
    server: { ip: "127.0.0.1", port: 8080 },
    client: { ip: "192.0.2.7", port: 50000 },
    connectionId: 3,
    requestOnConnection: 2,
    method: "GET",
    target: "/index.html",
    version: "HTTP/1.1",
    requestLine: "GET /index.html HTTP/1.1",
    referer: "http://example.com/",
    userAgent: "curl/8.5.0",
    status: 200,
    head: "HTTP/1.1 200 OK\r\n\r\n",
    bodyBytes: 1234,
    durationMs: 1.23456,
    forwardedClient: null,
    ...overrides,
  };
}

Deno.test("escapeLogField() escapes as nginx escape=default does", async (t) => {
  const cases: [string, string | null, string][] = [
    ["plain text stays", "GET / HTTP/1.1", "GET / HTTP/1.1"],
    ["empty is -", "", "-"],
    ["absent is -", null, "-"],
    ["a quote", 'a"b', "a\\x22b"],
    ["a backslash", "a\\b", "a\\x5Cb"],
    ["CR and LF", "a\r\nb", "a\\x0D\\x0Ab"],
    ["NUL and ESC", "\x00\x1b[31m", "\\x00\\x1B[31m"],
    ["DEL", "\x7f", "\\x7F"],
    ["a byte above 0x7E (Latin-1 text, one char per byte)", "caf\xe9", "caf\\xE9"],
    ["0xFF", "\xff", "\\xFF"],
    ["space and tilde stay", " ~", " ~"],
    ["a character above U+00FF is its UTF-8 bytes", "\u20ac", "\\xE2\\x82\\xAC"],
    ["an astral character is its UTF-8 bytes", "\u{1F600}", "\\xF0\\x9F\\x98\\x80"],
    ["a lone dash stays", "-", "-"],
  ];
  for (const [name, input, expected] of cases) {
    await t.step(name, () => assert.equal(escapeLogField(input), expected));
  }
});

Deno.test("formatClfTime() writes [%d/%b/%Y:%H:%M:%S %z] in local time", async (t) => {
  const cases: [string, number, number, string][] = [
    ["UTC", NOON_UTC, 0, "[21/Nov/2026:12:00:00 +0000]"],
    ["CET", NOON_UTC, 60, "[21/Nov/2026:13:00:00 +0100]"],
    ["India, half an hour", NOON_UTC, 330, "[21/Nov/2026:17:30:00 +0530]"],
    [
      "Pacific, the day before",
      Date.UTC(2026, 0, 1, 3, 4, 5),
      -480,
      "[31/Dec/2025:19:04:05 -0800]",
    ],
    ["Newfoundland", NOON_UTC, -210, "[21/Nov/2026:08:30:00 -0330]"],
    ["single-digit day", Date.UTC(2026, 4, 3, 0, 0, 0), 0, "[03/May/2026:00:00:00 +0000]"],
  ];
  for (const [name, ms, offset, expected] of cases) {
    await t.step(name, () => assert.equal(formatClfTime(ms, offset), expected));
  }
});

Deno.test("formatLocalIsoTime() writes ISO 8601 with the local offset", () => {
  assert.equal(formatLocalIsoTime(NOON_UTC, 60), "2026-11-21T13:00:00.123+01:00");
  assert.equal(formatLocalIsoTime(NOON_UTC, -210), "2026-11-21T08:30:00.123-03:30");
  assert.equal(formatLocalIsoTime(NOON_UTC, 0), "2026-11-21T12:00:00.123+00:00");
});

Deno.test("formatAccessEntry() writes one line per format", async (t) => {
  const cases: [string, ResponseRecord, "combined" | "common" | "json", string][] = [
    [
      "combined",
      record(),
      "combined",
      '192.0.2.7 - - [21/Nov/2026:13:00:00 +0100] "GET /index.html HTTP/1.1" 200 1234 ' +
      '"http://example.com/" "curl/8.5.0"\n',
    ],
    [
      "common",
      record(),
      "common",
      '192.0.2.7 - - [21/Nov/2026:13:00:00 +0100] "GET /index.html HTTP/1.1" 200 1234\n',
    ],
    [
      "combined without Referer and User-Agent",
      record({ referer: null, userAgent: "" }),
      "combined",
      '192.0.2.7 - - [21/Nov/2026:13:00:00 +0100] "GET /index.html HTTP/1.1" 200 1234 "-" "-"\n',
    ],
    [
      "combined with a hostile target and agent",
      record({
        requestLine: 'GET /"x\\" 200 1 "-" "-"\xff HTTP/1.1',
        userAgent: 'a"\r\nforged 1.2.3.4 - -',
      }),
      "combined",
      '192.0.2.7 - - [21/Nov/2026:13:00:00 +0100] "GET /\\x22x\\x5C\\x22 200 1 \\x22-\\x22 ' +
      '\\x22-\\x22\\xFF HTTP/1.1" 200 1234 "http://example.com/" ' +
      '"a\\x22\\x0D\\x0Aforged 1.2.3.4 - -"\n',
    ],
    [
      "an IPv6 client, not sent (499)",
      record({ client: { ip: "::1", port: 1 }, status: 499, bodyBytes: 0 }),
      "common",
      '::1 - - [21/Nov/2026:13:00:00 +0100] "GET /index.html HTTP/1.1" 499 0\n',
    ],
  ];
  for (const [name, input, format, expected] of cases) {
    await t.step(name, () => assert.equal(formatAccessEntry(input, format, 60), expected));
  }
});

Deno.test("formatAccessEntry() json has stable field names and recoverable bytes", () => {
  const line = formatAccessEntry(
    record({ target: "/\xff\r\n", requestLine: "GET /\xff\r\n HTTP/1.1", referer: null }),
    "json",
    60,
  );
  assert.ok(line.endsWith("}\n"));
  assert.equal(line.indexOf("\n"), line.length - 1, "one line: CR and LF are escaped");
  const parsed = JSON.parse(line);
  assert.deepEqual(Object.keys(parsed), [
    "time",
    "client_ip",
    "peer_ip",
    "peer_port",
    "server_ip",
    "server_port",
    "method",
    "target",
    "version",
    "request",
    "status",
    "body_bytes",
    "referer",
    "user_agent",
    "duration_ms",
    "connection_id",
    "request_on_connection",
  ]);
  assert.equal(parsed.time, "2026-11-21T13:00:00.123+01:00");
  assert.equal(parsed.referer, null);
  assert.equal(parsed.duration_ms, 1.235);
  assert.deepEqual(
    Array.from(parsed.target as string, (c) => c.charCodeAt(0)),
    [0x2f, 0xff, 0x0d, 0x0a],
  );
});

Deno.test("formatAccessEntry() names the client a trusted proxy forwarded for, in every format", () => {
  const proxied = record({ forwardedClient: "203.0.113.9" });
  assert.ok(formatAccessEntry(proxied, "combined", 0).startsWith("203.0.113.9 - - "));
  assert.ok(formatAccessEntry(proxied, "common", 0).startsWith("203.0.113.9 - - "));
  const json = JSON.parse(formatAccessEntry(proxied, "json", 0));
  assert.equal(json.client_ip, "203.0.113.9");
  assert.equal(json.peer_ip, "192.0.2.7");
  assert.equal(json.peer_port, 50000);
});
