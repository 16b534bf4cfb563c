/**
 * parseRequestHead() (src/http/request.ts): every rule is a fixture in tests/fixtures/requests/,
 * a literate file of raw requests and answers; each is replayed whole, byte by byte, split at
 * every offset, and from a view inside a larger buffer (so reading past the view would show).
 * Rows built from the limits stay in code, so a changed limit changes them too.
 */

import assert from "node:assert/strict";
import { MAX_HEADER_BYTES, MAX_REQUEST_LINE_BYTES } from "../../src/limits.ts";
import {
  parseRequestHead,
  type RequestHead,
  type RequestParseResult,
} from "../../src/http/request.ts";
import type { ParseErrorStatus } from "../../src/http/parse_error.ts";
import { type FixtureExpect, loadFixtures } from "../fixtures/requests.ts";
import { bytes } from "../helpers.ts";

const H = "Host: example.com\r\n";

/** Cases built from the limits. */
const LIMIT_CASES: { name: string; bytes: Uint8Array; expect: FixtureExpect }[] = [
  {
    name: "a request line over the limit",
    bytes: raw(`GET /${"a".repeat(MAX_REQUEST_LINE_BYTES)} HTTP/1.1\r\n${H}\r\n`),
    expect: { kind: "error", status: 414, code: "request-line-too-long" },
  },
  {
    name: "a header section over the limit",
    bytes: raw(`GET / HTTP/1.1\r\n${H}X: ${"a".repeat(MAX_HEADER_BYTES)}\r\n\r\n`),
    expect: { kind: "error", status: 431, code: "headers-too-large" },
  },
];

const CASES = [...loadFixtures(), ...LIMIT_CASES];

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

function check(result: RequestParseResult, expect: FixtureExpect, label: string): void {
  if (expect.kind === "error") {
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
  for (const [name, value] of Object.entries(expect.headers)) {
    assert.equal(result.head.headers.find(name), value, `${label}: header ${name}`);
  }
}

/** Latin-1 bytes of a string, so cases can hold any byte. */
function raw(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

Deno.test("the request fixtures are there and each has a distinct name", () => {
  assert.ok(CASES.length > 80, `${CASES.length} cases`);
  assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length);
});

Deno.test("parseRequestHead() answers every fixture as written", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, () => {
      const whole = parseRequestHead(c.bytes);
      check(whole, c.expect, "whole");
      if (whole.kind === "done") assert.equal(whole.consumed, c.bytes.length);
    });
  }
});

Deno.test("parseRequestHead() gives the same answer when bytes arrive one at a time", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, () => check(parseByteByByte(c.bytes), c.expect, "byte by byte"));
  }
});

Deno.test("parseRequestHead() gives the same answer when the head is split at any offset", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, () => {
      // The long limit cases are split at a sample of offsets to keep the test fast.
      const step = c.bytes.length > 2000 ? Math.floor(c.bytes.length / 200) : 1;
      for (let cut = 1; cut < c.bytes.length; cut += step) {
        const first = parseRequestHead(c.bytes.subarray(0, cut));
        const result = first.kind === "partial" ? parseRequestHead(c.bytes, first.scanned) : first;
        check(result, c.expect, `split at ${cut}`);
      }
    });
  }
});

Deno.test("parseRequestHead() reads only its view: a head inside a larger buffer answers the same", async (t) => {
  // Bytes after the view would complete or change the request if the parser read past it.
  const before = raw("GET /before HTTP/1.1\r\n");
  const after = raw("\r\n\r\nX-After: 1\r\n\r\n");
  for (const c of CASES) {
    await t.step(c.name, () => {
      const big = new Uint8Array(before.length + c.bytes.length + after.length);
      big.set(before);
      big.set(c.bytes, before.length);
      big.set(after, before.length + c.bytes.length);
      const view = big.subarray(before.length, before.length + c.bytes.length);
      check(parseRequestHead(view), c.expect, "inside a larger buffer");
      const cut = Math.floor(c.bytes.length / 2);
      const partial = parseRequestHead(view.subarray(0, cut));
      if (partial.kind === "partial") {
        check(parseRequestHead(view, partial.scanned), c.expect, "half");
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

Deno.test("parseRequestHead() keeps its contract on mutated requests: a valid result, the same however the bytes arrive", () => {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = (n: number) => Math.floor(random() * n);
  const alphabet = raw(
    `GET / HTTP/1.1\r\nHost: a:\t \0%\x7f\xff chunked Content-Length 0123456789`,
  );
  const seeds = CASES.filter((c) => c.bytes.length < 2000).map((c) => c.bytes);
  const statuses = new Set<ParseErrorStatus>([400, 413, 414, 431, 501, 505]);
  const kinds = { done: 0, partial: 0, error: 0 };
  for (let i = 0; i < 5000; i++) {
    // A real request with up to three random edits: replace, delete or duplicate bytes.
    const data = [...seeds[pick(seeds.length)]];
    for (let edits = pick(4); edits > 0; edits--) {
      const at = pick(data.length + 1);
      const edit = pick(3);
      if (edit === 0) data[at] = alphabet[pick(alphabet.length)];
      else if (edit === 1) data.splice(at, 1 + pick(3));
      else data.splice(at, 0, ...data.slice(at, at + 1 + pick(8)));
    }
    const bytes = Uint8Array.from(data);
    const result = parseRequestHead(bytes);
    kinds[result.kind]++;
    if (result.kind === "done") {
      assert.ok(result.consumed > 0 && result.consumed <= bytes.length);
      assert.match(result.head.method, /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
    } else if (result.kind === "partial") {
      assert.ok(result.scanned >= 0 && result.scanned <= bytes.length);
    } else {
      assert.ok(statuses.has(result.status), `status ${result.status}`);
      assert.ok(result.code.length > 0 && result.reason.length > 0);
    }
    const slow = parseByteByByte(bytes);
    assert.equal(slow.kind, result.kind, "byte by byte");
    if (slow.kind === "error" && result.kind === "error") assert.equal(slow.code, result.code);
    if (slow.kind === "done" && result.kind === "done") {
      assert.equal(slow.consumed, result.consumed);
      assert.equal(slow.head.requestLine, result.head.requestLine);
    }
  }
  // Every kind of answer came up, so every invariant above was exercised.
  assert.ok(kinds.done > 100 && kinds.partial > 0 && kinds.error > 100, JSON.stringify(kinds));
});
