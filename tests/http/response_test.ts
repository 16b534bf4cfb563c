/**
 * parseResponseHead() and responseFraming() (src/http/response.ts): the client's view.
 */

import assert from "node:assert/strict";
import { MAX_HEADER_BYTES } from "../../src/limits.ts";
import { parseResponseHead, responseFraming } from "../../src/http/response.ts";

/** Latin-1 bytes of a string. */
function raw(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

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
