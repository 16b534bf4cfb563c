/**
 * parseRequestHead(): every rule as a table row; every row is also replayed byte by byte and
 * split at every offset, and must give the same answer.
 */

import assert from "node:assert/strict";
import {
  MAX_HEADER_BYTES,
  MAX_HEADER_FIELDS,
  MAX_LEADING_EMPTY_LINES,
  MAX_REQUEST_LINE_BYTES,
} from "../../src/limits.ts";
import { parseContentLength } from "../../src/http/fields.ts";
import {
  parseRequestHead,
  type RequestHead,
  type RequestParseResult,
} from "../../src/http/request.ts";
import { parseResponseHead, responseFraming } from "../../src/http/response.ts";
import { findHeadEnd } from "../../src/http/scan.ts";
import { bytes } from "../helpers.ts";

type Expect =
  | { readonly status: number; readonly code?: string }
  | { readonly head: Partial<RequestHead>; readonly headers?: Record<string, string> };

interface Row {
  readonly name: string;
  readonly raw: string;
  readonly expect: Expect;
}

const H = "Host: example.com\r\n";

const ROWS: readonly Row[] = [
  // Accepted heads
  {
    name: "a minimal HTTP/1.1 GET",
    raw: `GET / HTTP/1.1\r\n${H}\r\n`,
    expect: {
      head: {
        method: "GET",
        target: "/",
        path: "/",
        query: null,
        version: "HTTP/1.1",
        keepAlive: true,
      },
    },
  },
  {
    name: "a typical browser request",
    raw:
      "GET /a/b.html?x=1&y=%20 HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: Mozilla/5.0 (X11)\r\n" +
      "Accept: text/html,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate\r\nAccept-Language: en\r\n\r\n",
    expect: {
      head: { path: "/a/b.html", query: "x=1&y=%20", host: "localhost:8080" },
      headers: { "accept-encoding": "gzip, deflate", "user-agent": "Mozilla/5.0 (X11)" },
    },
  },
  {
    name: "HTTP/1.0 without Host is accepted and not persistent",
    raw: "GET / HTTP/1.0\r\n\r\n",
    expect: { head: { version: "HTTP/1.0", keepAlive: false, host: null } },
  },
  {
    name: "HTTP/1.0 with Connection: keep-alive is persistent",
    raw: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
    expect: { head: { keepAlive: true } },
  },
  {
    name: "HTTP/1.1 with Connection: close is not persistent",
    raw: `GET / HTTP/1.1\r\n${H}Connection: foo, close\r\n\r\n`,
    expect: { head: { keepAlive: false } },
  },
  {
    name: "a higher HTTP/1.x minor version is handled as HTTP/1.1 (RFC 9110 §2.5)",
    raw: `GET / HTTP/1.7\r\n${H}\r\n`,
    expect: { head: { version: "HTTP/1.1" } },
  },
  {
    name: "leading empty lines before the request line are ignored (RFC 9112 §2.2)",
    raw: `\r\n\r\nGET / HTTP/1.1\r\n${H}\r\n`,
    expect: { head: { method: "GET" } },
  },
  {
    name: "optional whitespace around a field value is trimmed",
    raw: `GET / HTTP/1.1\r\n${H}X-Pad: \t padded value \t\r\n\r\n`,
    expect: { head: {}, headers: { "x-pad": "padded value" } },
  },
  {
    name: "field names are case-insensitive and repeated fields are joined",
    raw: `GET / HTTP/1.1\r\n${H}ACCEPT: a\r\naccept: b\r\n\r\n`,
    expect: { head: {}, headers: { accept: "a, b" } },
  },
  {
    name: "an empty field value is allowed",
    raw: `GET / HTTP/1.1\r\n${H}X-Empty:\r\n\r\n`,
    expect: { head: {}, headers: { "x-empty": "" } },
  },
  {
    name: "obs-text bytes in a field value are kept as Latin-1",
    raw: `GET / HTTP/1.1\r\n${H}X-Latin: caf\xe9\r\n\r\n`,
    expect: { head: {}, headers: { "x-latin": "caf\xe9" } },
  },
  {
    name: "absolute-form takes its authority as the host (RFC 9112 §3.2.2)",
    raw: `GET http://other.example:81/p?q HTTP/1.1\r\n${H}\r\n`,
    expect: { head: { form: "absolute", host: "other.example:81", path: "/p", query: "q" } },
  },
  {
    name: "absolute-form without a path means /",
    raw: `GET HTTPS://a.example HTTP/1.1\r\n${H}\r\n`,
    expect: { head: { path: "/", host: "a.example" } },
  },
  {
    name: "OPTIONS * is asterisk-form",
    raw: `OPTIONS * HTTP/1.1\r\n${H}\r\n`,
    expect: { head: { form: "asterisk", method: "OPTIONS" } },
  },
  {
    name: "an unknown method token still parses (the server answers 501)",
    raw: `BREW /pot HTTP/1.1\r\n${H}\r\n`,
    expect: { head: { method: "BREW" } },
  },
  {
    name: "Content-Length gives a length-delimited body",
    raw: `POST / HTTP/1.1\r\n${H}Content-Length: 42\r\n\r\n`,
    expect: { head: { body: { kind: "length", length: 42 } } },
  },
  {
    name: "identical repeated Content-Length values are one value (RFC 9110 §8.6)",
    raw: `POST / HTTP/1.1\r\n${H}Content-Length: 7, 7\r\nContent-Length: 7\r\n\r\n`,
    expect: { head: { body: { kind: "length", length: 7 } } },
  },
  {
    name: "Content-Length: 0 means no body",
    raw: `GET / HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`,
    expect: { head: { body: { kind: "none" } } },
  },
  {
    name: "Transfer-Encoding: chunked gives a chunked body",
    raw: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: Chunked\r\n\r\n`,
    expect: { head: { body: { kind: "chunked" } } },
  },
  {
    name: "Expect: 100-continue is noted in HTTP/1.1",
    raw: `POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nExpect: 100-Continue\r\n\r\n`,
    expect: { head: { expectContinue: true } },
  },
  {
    name: "Expect: 100-continue is ignored in HTTP/1.0 (RFC 9110 §10.1.1)",
    raw: "POST / HTTP/1.0\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n",
    expect: { head: { expectContinue: false } },
  },
  {
    name: "characters clients send unencoded ({}|^) are accepted in the target",
    raw: `GET /a{b}|c^d HTTP/1.1\r\n${H}\r\n`,
    expect: { head: { path: "/a{b}|c^d" } },
  },

  // Request line
  {
    name: "a bare LF ends no line",
    raw: `GET / HTTP/1.1\n${H}\r\n`,
    expect: { status: 400, code: "bare-lf" },
  },
  {
    name: "a bare LF before the request line",
    raw: `\nGET / HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bare-lf" },
  },
  {
    name: "too many empty lines before the request line",
    raw: "\r\n".repeat(MAX_LEADING_EMPTY_LINES + 1) + `GET / HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "too-many-empty-lines" },
  },
  {
    name: "a method with a non-token byte",
    raw: `G(T / HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-method" },
  },
  {
    name: "an empty method",
    raw: ` / HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-method" },
  },
  {
    name: "two spaces after the method",
    raw: `GET  / HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-target" },
  },
  {
    name: "a tab instead of a space",
    raw: `GET\t/ HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-method" },
  },
  {
    name: "a NUL in the target",
    raw: `GET /a\0b HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-target" },
  },
  {
    name: "a fragment in the target",
    raw: `GET /a#b HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-target" },
  },
  {
    name: "a raw non-ASCII byte in the target",
    raw: `GET /caf\xe9 HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-target" },
  },
  {
    name: "a missing version",
    raw: `GET /\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-target" },
  },
  {
    name: "a lower-case version",
    raw: `GET / http/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-version" },
  },
  {
    name: "a version without a minor digit",
    raw: `GET / HTTP/1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-version" },
  },
  {
    name: "a two-digit version",
    raw: `GET / HTTP/1.10\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-version" },
  },
  {
    name: "trailing space after the version",
    raw: `GET / HTTP/1.1 \r\n${H}\r\n`,
    expect: { status: 400, code: "bad-version" },
  },
  {
    name: "HTTP/2.0 is another major version",
    raw: `GET / HTTP/2.0\r\n${H}\r\n`,
    expect: { status: 505, code: "unsupported-version" },
  },
  {
    name: "HTTP/0.9 is another major version",
    raw: `GET / HTTP/0.9\r\n${H}\r\n`,
    expect: { status: 505 },
  },
  {
    name: "a request line over the limit",
    raw: `GET /${"a".repeat(MAX_REQUEST_LINE_BYTES)} HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 414, code: "request-line-too-long" },
  },

  // Targets
  {
    name: "a relative target",
    raw: `GET a/b HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-target" },
  },
  {
    name: "authority-form outside CONNECT",
    raw: `GET example.com:80 HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-target" },
  },
  {
    name: "a non-http scheme",
    raw: `GET file:///etc/passwd HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-target" },
  },
  {
    name: "absolute-form with userinfo",
    raw: `GET http://user@evil/ HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-target" },
  },
  {
    name: "absolute-form with an empty authority",
    raw: `GET http:///etc HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-target" },
  },
  {
    name: "* with GET",
    raw: `GET * HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "asterisk-not-options" },
  },
  {
    name: "a truncated percent-escape",
    raw: `GET /a%2 HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-target" },
  },
  {
    name: "a non-hex percent-escape",
    raw: `GET /a%zz HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-target" },
  },
  {
    name: "an invalid escape in the query",
    raw: `GET /?q=%g0 HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-target" },
  },

  // Field lines
  {
    name: "no Host in HTTP/1.1",
    raw: "GET / HTTP/1.1\r\n\r\n",
    expect: { status: 400, code: "missing-host" },
  },
  {
    name: "two Host fields",
    raw: `GET / HTTP/1.1\r\n${H}${H}\r\n`,
    expect: { status: 400, code: "duplicate-host" },
  },
  {
    name: "two Host fields in HTTP/1.0",
    raw: `GET / HTTP/1.0\r\n${H}${H}\r\n`,
    expect: { status: 400, code: "duplicate-host" },
  },
  {
    name: "a Host with a space",
    raw: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
    expect: { status: 400, code: "bad-host" },
  },
  {
    name: "a Host with a slash",
    raw: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
    expect: { status: 400, code: "bad-host" },
  },
  {
    name: "a Host with two ports",
    raw: "GET / HTTP/1.1\r\nHost: 127.0.0.1:18086:99\r\n\r\n",
    expect: { status: 400, code: "bad-host" },
  },
  {
    name: "a Host with an unbracketed IPv6 address",
    raw: "GET / HTTP/1.1\r\nHost: ::1\r\n\r\n",
    expect: { status: 400, code: "bad-host" },
  },
  {
    name: "a Host with a letter in the port",
    raw: "GET / HTTP/1.1\r\nHost: localhost:80a\r\n\r\n",
    expect: { status: 400, code: "bad-host" },
  },
  {
    name: "an absolute-form authority with two ports",
    raw: `GET http://127.0.0.1:18086:99/a.txt HTTP/1.1\r\n${H}\r\n`,
    expect: { status: 400, code: "bad-target" },
  },
  {
    name: "whitespace before a colon",
    raw: `GET / HTTP/1.1\r\n${H}X-A : b\r\n\r\n`,
    expect: { status: 400, code: "space-before-colon" },
  },
  {
    name: "a tab before a colon",
    raw: `GET / HTTP/1.1\r\n${H}X-A\t: b\r\n\r\n`,
    expect: { status: 400, code: "space-before-colon" },
  },
  {
    name: "a line without a colon",
    raw: `GET / HTTP/1.1\r\n${H}garbage\r\n\r\n`,
    expect: { status: 400, code: "missing-colon" },
  },
  {
    name: "an empty field name",
    raw: `GET / HTTP/1.1\r\n${H}: v\r\n\r\n`,
    expect: { status: 400, code: "bad-field-name" },
  },
  {
    name: "a field name with a non-token byte",
    raw: `GET / HTTP/1.1\r\n${H}X(A): v\r\n\r\n`,
    expect: { status: 400, code: "bad-field-name" },
  },
  {
    name: "obs-fold (a line starting with a space)",
    raw: `GET / HTTP/1.1\r\n${H}X-A: b\r\n c\r\n\r\n`,
    expect: { status: 400, code: "obs-fold" },
  },
  {
    name: "obs-fold (a line starting with a tab)",
    raw: `GET / HTTP/1.1\r\n${H}X-A: b\r\n\tc\r\n\r\n`,
    expect: { status: 400, code: "obs-fold" },
  },
  {
    name: "a NUL in a field value",
    raw: `GET / HTTP/1.1\r\n${H}X-A: a\0b\r\n\r\n`,
    expect: { status: 400, code: "bad-field-value" },
  },
  {
    name: "a bare CR in a field value",
    raw: `GET / HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`,
    expect: { status: 400, code: "bad-field-value" },
  },
  {
    name: "a DEL in a field value",
    raw: `GET / HTTP/1.1\r\n${H}X-A: a\x7fb\r\n\r\n`,
    expect: { status: 400, code: "bad-field-value" },
  },
  {
    name: "an escape byte in a field value",
    raw: `GET / HTTP/1.1\r\n${H}X-A: \x1b[31m\r\n\r\n`,
    expect: { status: 400, code: "bad-field-value" },
  },
  {
    name: "a field line ending in a bare LF",
    raw: `GET / HTTP/1.1\r\n${H}X-A: b\n\r\n`,
    expect: { status: 400, code: "bare-lf" },
  },
  {
    name: "more fields than the limit",
    raw: `GET / HTTP/1.1\r\n${H}${"X-A: 1\r\n".repeat(MAX_HEADER_FIELDS)}\r\n`,
    expect: { status: 431, code: "too-many-headers" },
  },
  {
    name: "a header section over the limit",
    raw: `GET / HTTP/1.1\r\n${H}X-Big: ${"b".repeat(MAX_HEADER_BYTES)}\r\n\r\n`,
    expect: { status: 431, code: "headers-too-large" },
  },

  // Framing
  {
    name: "a non-numeric Content-Length",
    raw: `POST / HTTP/1.1\r\n${H}Content-Length: 1a\r\n\r\n`,
    expect: { status: 400, code: "bad-content-length" },
  },
  {
    name: "a negative Content-Length",
    raw: `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`,
    expect: { status: 400, code: "bad-content-length" },
  },
  {
    name: "an empty Content-Length",
    raw: `POST / HTTP/1.1\r\n${H}Content-Length:\r\n\r\n`,
    expect: { status: 400, code: "bad-content-length" },
  },
  {
    name: "conflicting Content-Length fields",
    raw: `POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 2\r\n\r\n`,
    expect: { status: 400, code: "bad-content-length" },
  },
  {
    name: "a conflicting Content-Length list",
    raw: `POST / HTTP/1.1\r\n${H}Content-Length: 1, 2\r\n\r\n`,
    expect: { status: 400, code: "bad-content-length" },
  },
  {
    name: "an overflowing Content-Length",
    raw: `POST / HTTP/1.1\r\n${H}Content-Length: 99999999999999999999\r\n\r\n`,
    expect: { status: 400, code: "bad-content-length" },
  },
  {
    name: "Content-Length with Transfer-Encoding (RFC 9112 §6.3)",
    raw: `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n`,
    expect: { status: 400, code: "content-length-with-transfer-encoding" },
  },
  {
    name: "Transfer-Encoding in HTTP/1.0",
    raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    expect: { status: 400, code: "transfer-encoding-in-http10" },
  },
  {
    name: "an unknown transfer coding",
    raw: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n`,
    expect: { status: 501, code: "unknown-transfer-coding" },
  },
  {
    name: "a made-up transfer coding",
    raw: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: foo\r\n\r\n`,
    expect: { status: 501, code: "unknown-transfer-coding" },
  },
  {
    name: "a Content-Length padded with 0xA0 (not OWS)",
    raw: `POST / HTTP/1.1\r\n${H}Content-Length: 5\xa0\r\n\r\n`,
    expect: { status: 400, code: "bad-content-length" },
  },
  {
    name: "a Content-Length prefixed with 0xA0",
    raw: `POST / HTTP/1.1\r\n${H}Content-Length: \xa05\r\n\r\n`,
    expect: { status: 400, code: "bad-content-length" },
  },
  {
    name: "chunked padded with 0xA0 is not chunked",
    raw: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\xa0\r\n\r\n`,
    expect: { status: 501, code: "unknown-transfer-coding" },
  },
  {
    name: "chunked prefixed with 0xA0 is not chunked",
    raw: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: \xa0chunked\r\n\r\n`,
    expect: { status: 501, code: "unknown-transfer-coding" },
  },
  {
    name: "chunked applied twice",
    raw: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n`,
    expect: { status: 400, code: "bad-transfer-encoding" },
  },
  {
    name: "an empty Transfer-Encoding",
    raw: `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n\r\n`,
    expect: { status: 400, code: "bad-transfer-encoding" },
  },
];

/** Feeds the bytes one at a time, passing `scanned` along, as a slow client would. */
function parseByteByByte(data: Uint8Array): RequestParseResult {
  let scanned = 0;
  let result: RequestParseResult = { kind: "partial", scanned: 0 };
  for (let n = 1; n <= data.length; n++) {
    result = parseRequestHead(data.subarray(0, n), scanned);
    if (result.kind !== "partial") return result;
    scanned = result.scanned;
  }
  return result;
}

function check(result: RequestParseResult, expect: Expect, label: string): void {
  if ("status" in expect) {
    assert.equal(result.kind, "error", `${label}: expected an error, got ${result.kind}`);
    if (result.kind !== "error") return;
    assert.equal(result.status, expect.status, `${label}: ${result.reason}`);
    if (expect.code) assert.equal(result.code, expect.code, label);
    return;
  }
  assert.equal(
    result.kind,
    "done",
    `${label}: ${result.kind === "error" ? result.reason : "partial"}`,
  );
  if (result.kind !== "done") return;
  for (const [key, value] of Object.entries(expect.head)) {
    assert.deepEqual(result.head[key as keyof RequestHead], value, `${label}: ${key}`);
  }
  for (const [name, value] of Object.entries(expect.headers ?? {})) {
    assert.equal(result.head.headers.get(name), value, `${label}: header ${name}`);
  }
}

/** Latin-1 bytes of a string, so rows can hold any byte. */
function raw(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

Deno.test("parseRequestHead() follows RFC 9112 for every row of the table", async (t) => {
  for (const row of ROWS) {
    await t.step(row.name, () => {
      const data = raw(row.raw);
      const whole = parseRequestHead(data);
      check(whole, row.expect, "whole");
      if (whole.kind === "done") assert.equal(whole.consumed, data.length);
    });
  }
});

Deno.test("parseRequestHead() gives the same answer when bytes arrive one at a time", async (t) => {
  for (const row of ROWS) {
    await t.step(row.name, () => check(parseByteByByte(raw(row.raw)), row.expect, "byte by byte"));
  }
});

Deno.test("parseRequestHead() gives the same answer when the head is split at any offset", async (t) => {
  for (const row of ROWS) {
    await t.step(row.name, () => {
      const data = raw(row.raw);
      // Long rows are split at a sample of offsets to keep the test fast.
      const step = Math.max(1, Math.floor(data.length / 200));
      for (let cut = 1; cut < data.length; cut += step) {
        const first = parseRequestHead(data.subarray(0, cut));
        const result = first.kind === "partial" ? parseRequestHead(data, first.scanned) : first;
        check(result, row.expect, `split at ${cut}`);
      }
    });
  }
});

Deno.test("parseRequestHead() returns partial for an incomplete head", () => {
  for (
    const text of [
      "",
      "G",
      "GET / HTTP/1.1",
      "GET / HTTP/1.1\r",
      `GET / HTTP/1.1\r\n${H}`,
      `GET / HTTP/1.1\r\n${H}\r`,
    ]
  ) {
    assert.equal(parseRequestHead(bytes(text)).kind, "partial", JSON.stringify(text));
  }
});

Deno.test("parseRequestHead() leaves pipelined bytes after consumed for the next request", () => {
  const first = `GET /1 HTTP/1.1\r\n${H}\r\n`;
  const data = bytes(first + `GET /2 HTTP/1.1\r\n${H}\r\n`);
  const one = parseRequestHead(data);
  assert.equal(one.kind, "done");
  if (one.kind !== "done") return;
  assert.equal(one.consumed, first.length);
  const two = parseRequestHead(data.subarray(one.consumed));
  assert.equal(two.kind === "done" && two.head.path, "/2");
});

Deno.test("parseRequestHead() refuses an endless request line at the limit without waiting for LF", () => {
  const result = parseRequestHead(bytes("GET /" + "a".repeat(MAX_REQUEST_LINE_BYTES)));
  assert.equal(result.kind === "error" && result.status, 414);
});

Deno.test("parseRequestHead() refuses an endless header section at the limit without waiting for its end", () => {
  const result = parseRequestHead(
    bytes(`GET / HTTP/1.1\r\n${H}X: ${"a".repeat(MAX_HEADER_BYTES)}`),
  );
  assert.equal(result.kind === "error" && result.status, 431);
});

Deno.test("parseRequestHead() keeps the request line exactly for the logs", () => {
  const result = parseRequestHead(bytes(`GET /a?b=c HTTP/1.1\r\n${H}\r\n`));
  assert.equal(result.kind === "done" && result.head.requestLine, "GET /a?b=c HTTP/1.1");
});

Deno.test("parseRequestHead() never throws on random bytes", () => {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = raw(
    `GET / HTTP/1.1\r\nHost: a:\t \0%\x7f\xff chunked Content-Length 0123456789`,
  );
  for (let i = 0; i < 5000; i++) {
    const data = Uint8Array.from(
      { length: Math.floor(random() * 120) },
      () => alphabet[Math.floor(random() * alphabet.length)],
    );
    const result = parseRequestHead(data);
    assert.ok(["done", "partial", "error"].includes(result.kind));
  }
});

Deno.test("findHeadEnd() finds the end after LF CRLF and resumes from any offset", () => {
  const data = bytes(`GET / HTTP/1.1\r\n${H}\r\nrest`);
  const end = data.length - 4;
  for (let from = 0; from < end - 2; from++) assert.equal(findHeadEnd(data, from), end);
  assert.equal(findHeadEnd(bytes("GET / HTTP/1.1\r\nHost: a\r\n"), 0), -1);
});

Deno.test("parseContentLength() accepts identical lists and refuses anything else", () => {
  assert.equal(parseContentLength("10"), 10);
  assert.equal(parseContentLength("10, 10"), 10);
  assert.equal(parseContentLength("10, 11"), null);
  assert.equal(parseContentLength("+10"), null);
  assert.equal(parseContentLength("0x10"), null);
  assert.equal(parseContentLength(""), null);
});

Deno.test("parseResponseHead() reads status lines with and without a reason phrase", async (t) => {
  const rows: [string, number, string][] = [
    ["HTTP/1.1 200 OK\r\nA: 1\r\n\r\n", 200, "OK"],
    ["HTTP/1.0 404 Not Found\r\n\r\n", 404, "Not Found"],
    ["HTTP/1.1 204 \r\n\r\n", 204, ""],
    ["HTTP/1.1 304\r\n\r\n", 304, ""],
  ];
  for (const [text, status, reason] of rows) {
    await t.step(JSON.stringify(text.split("\r\n")[0]), () => {
      const result = parseResponseHead(raw(text));
      assert.equal(result.kind, "done");
      if (result.kind !== "done") return;
      assert.deepEqual([result.head.status, result.head.reason, result.consumed], [
        status,
        reason,
        text.length,
      ]);
    });
  }
});

Deno.test("parseResponseHead() keeps field names as sent, in order", () => {
  const result = parseResponseHead(
    raw("HTTP/1.1 200 OK\r\nX-One: 1\r\nset-cookie: a\r\nSet-Cookie: b\r\n\r\n"),
  );
  assert.equal(result.kind, "done");
  if (result.kind !== "done") return;
  assert.deepEqual(result.head.fields, [["X-One", "1"], ["set-cookie", "a"], ["Set-Cookie", "b"]]);
  assert.equal(result.head.headers.get("set-cookie"), "a, b");
});

Deno.test("parseResponseHead() refuses malformed status lines and fields", async (t) => {
  const rows: [string, string][] = [
    ["not HTTP", "SSH-2.0-OpenSSH\r\n\r\n"],
    ["a two-digit status", "HTTP/1.1 20 OK\r\n\r\n"],
    ["a status starting with 0", "HTTP/1.1 099 X\r\n\r\n"],
    ["a bare LF", "HTTP/1.1 200 OK\n\r\n"],
    ["obs-fold", "HTTP/1.1 200 OK\r\nA: 1\r\n 2\r\n\r\n"],
    ["a NUL in a value", "HTTP/1.1 200 OK\r\nA: \0\r\n\r\n"],
    [
      "an oversized header section",
      `HTTP/1.1 200 OK\r\nA: ${"a".repeat(MAX_HEADER_BYTES)}\r\n\r\n`,
    ],
  ];
  for (const [name, text] of rows) {
    await t.step(name, () => assert.equal(parseResponseHead(raw(text)).kind, "error"));
  }
});

Deno.test("parseResponseHead() gives the same answer byte by byte", () => {
  const data = raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  let scanned = 0;
  for (let n = 1; n <= data.length; n++) {
    const result = parseResponseHead(data.subarray(0, n), scanned);
    if (result.kind === "partial") {
      scanned = result.scanned;
      continue;
    }
    assert.equal(result.kind === "done" && result.consumed, data.length - 5);
    return;
  }
  assert.fail("never completed");
});

Deno.test("responseFraming() follows RFC 9112 §6.3 for responses", async (t) => {
  const head = (text: string) => {
    const result = parseResponseHead(raw(text));
    if (result.kind !== "done") throw new Error(text);
    return result.head;
  };
  const rows: [string, string, string, unknown][] = [
    ["HEAD has no body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD", { kind: "none" }],
    ["204 has no body", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", "GET", {
      kind: "none",
    }],
    ["304 has no body", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", "GET", {
      kind: "none",
    }],
    ["1xx has no body", "HTTP/1.1 100 Continue\r\n\r\n", "GET", { kind: "none" }],
    [
      "chunked wins over Content-Length",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 5\r\n\r\n",
      "GET",
      { kind: "chunked" },
    ],
    [
      "a coding without chunked last reads to close",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
      "GET",
      { kind: "close" },
    ],
    ["Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "GET", {
      kind: "length",
      length: 5,
    }],
    ["neither reads to close", "HTTP/1.0 200 OK\r\n\r\n", "GET", { kind: "close" }],
  ];
  for (const [name, text, method, expected] of rows) {
    await t.step(name, () => assert.deepEqual(responseFraming(head(text), method), expected));
  }
  await t.step("an invalid Content-Length is an error", () => {
    const result = responseFraming(head("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n"), "GET");
    assert.equal("kind" in result && result.kind, "error");
  });
});
