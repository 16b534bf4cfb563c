/**
 * The responder (src/server/responder.ts), pure: a representation in memory and a request in,
 * the reply out, by RFC 9110's order — preconditions, then ranges, else the whole file.
 */

import assert from "node:assert/strict";
import { describeFile, type Representation } from "../../src/server/representation.ts";
import { isErrorReply } from "../../src/server/error_pages.ts";
import { type Reply, representationReply } from "../../src/server/responder.ts";

const BODY = new TextEncoder().encode("0123456789");
const MTIME = Date.UTC(2026, 0, 1);

function rep(): Representation {
  return describeFile(
    "/srv/a.txt",
    { size: BODY.length, mtimeMs: MTIME, ctimeMs: MTIME, dev: 1, ino: 42 },
    { kind: "memory", bytes: BODY },
    MTIME + 1000,
  );
}

function answer(method: string, fields: Record<string, string> = {}): Reply {
  return representationReply(rep(), { method, headers: new Map(Object.entries(fields)) });
}

function field(reply: Reply, name: string): string | undefined {
  return reply.headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

function body(reply: Reply): string {
  return reply.body.kind === "bytes" ? new TextDecoder().decode(reply.body.bytes) : "";
}

const ETAG = rep().validators.etag;

Deno.test("representationReply() answers a plain GET with 200, the body and every validator", () => {
  const reply = answer("GET");
  assert.equal(reply.status, 200);
  assert.equal(body(reply), "0123456789");
  assert.equal(field(reply, "content-length"), "10");
  assert.equal(field(reply, "content-type"), "text/plain; charset=utf-8");
  assert.equal(field(reply, "accept-ranges"), "bytes");
  assert.equal(field(reply, "etag"), ETAG);
  assert.equal(field(reply, "last-modified"), "Thu, 01 Jan 2026 00:00:00 GMT");
});

Deno.test("representationReply() gives HEAD the same fields as GET and no body", () => {
  const get = answer("GET");
  const head = answer("HEAD");
  assert.deepEqual(head.headers, get.headers);
  assert.equal(head.body.kind, "none");
});

Deno.test("representationReply() follows RFC 9110 §13.2.2 and then §14", async (t) => {
  const cases: [string, Record<string, string>, number, string?][] = [
    ["If-None-Match with the ETag → 304", { "if-none-match": ETAG }, 304],
    ["If-None-Match: * → 304", { "if-none-match": "*" }, 304],
    ["If-None-Match with another tag → 200", { "if-none-match": '"x"' }, 200],
    ["If-Match with another tag → 412", { "if-match": '"x"' }, 412],
    ["If-Unmodified-Since before the mtime → 412", {
      "if-unmodified-since": "Wed, 31 Dec 2025 00:00:00 GMT",
    }, 412],
    ["If-Modified-Since at the mtime → 304", {
      "if-modified-since": "Thu, 01 Jan 2026 00:00:00 GMT",
    }, 304],
    ["Range: bytes=2-4 → 206", { range: "bytes=2-4" }, 206, "234"],
    ["Range: bytes=-3 → 206 (the last three)", { range: "bytes=-3" }, 206, "789"],
    ["Range past the end → 416", { range: "bytes=20-30" }, 416],
    ["Range in another unit → 200", { range: "items=0-1" }, 200, "0123456789"],
    ["If-Range that does not match → 200", { range: "bytes=0-1", "if-range": '"x"' }, 200],
    ["If-Range that matches → 206", { range: "bytes=0-1", "if-range": ETAG }, 206, "01"],
  ];
  for (const [name, fields, status, expected] of cases) {
    await t.step(name, () => {
      const reply = answer("GET", fields);
      assert.equal(reply.status, status);
      if (expected !== undefined) assert.equal(body(reply), expected);
    });
  }
});

Deno.test("representationReply() sends 304 with the validators but no content fields (RFC 9110 §15.4.5)", () => {
  const reply = answer("GET", { "if-none-match": ETAG });
  assert.equal(field(reply, "etag"), ETAG);
  assert.equal(field(reply, "content-length"), undefined);
  assert.equal(reply.body.kind, "none");
});

Deno.test("representationReply() builds a multipart/byteranges body for several ranges", () => {
  const reply = answer("GET", { range: "bytes=0-1,5-6" });
  assert.equal(reply.status, 206);
  const type = field(reply, "content-type")!;
  const boundary = /boundary=(\S+)/.exec(type)![1];
  const text = body(reply);
  assert.equal(Number(field(reply, "content-length")), new TextEncoder().encode(text).length);
  assert.match(text, new RegExp(`^--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n`));
  assert.ok(text.includes("Content-Range: bytes 0-1/10\r\n\r\n01\r\n"));
  assert.ok(text.includes("Content-Range: bytes 5-6/10\r\n\r\n56\r\n"));
  assert.ok(text.endsWith(`--${boundary}--\r\n`));
});

Deno.test("representationReply() marks its error replies (412, 416) for the error-page funnel", () => {
  const failed = answer("GET", { "if-match": '"x"' });
  assert.ok(isErrorReply(failed));
  const unsatisfiable = answer("GET", { range: "bytes=50-" });
  assert.ok(isErrorReply(unsatisfiable));
  assert.equal(field(unsatisfiable, "content-range"), "bytes */10");
});

Deno.test("describeFile() never announces a Last-Modified after the present (RFC 9110 §8.8.2.1)", () => {
  const future = MTIME + 365 * 86_400_000;
  const described = describeFile(
    "/srv/a.txt",
    { size: 1, mtimeMs: future, ctimeMs: future, dev: 1, ino: 2 },
    { kind: "memory", bytes: new Uint8Array(1) },
    MTIME,
  );
  assert.equal(described.validators.lastModifiedMs, MTIME);
});

/** The same ten bytes as a br-coded representation held in memory (e.g. a sidecar). */
function coded(ranges?: boolean): Representation {
  return {
    ...rep(),
    validators: { ...rep().validators, etag: ETAG.slice(0, -1) + '-br"' },
    coding: "br",
    ...(ranges === undefined ? {} : { ranges }),
  };
}

Deno.test("representationReply() names the coding in Content-Encoding and the coded ETag", () => {
  const reply = representationReply(coded(), { method: "GET", headers: new Map() });
  assert.equal(reply.status, 200);
  assert.deepEqual(reply.headers.slice(0, 3).map(([n]) => n), [
    "Content-Type",
    "Content-Encoding",
    "Content-Length",
  ]);
  assert.equal(field(reply, "content-encoding"), "br");
  assert.equal(field(reply, "etag"), ETAG.slice(0, -1) + '-br"');
  assert.equal(field(answer("GET"), "content-encoding"), undefined, "identity has none");
});

Deno.test("representationReply() sends Vary: Accept-Encoding on 200, HEAD, 206, 304, 412 and 416 when told", async (t) => {
  const vary = { vary: true };
  const cases: [string, string, Record<string, string>, number][] = [
    ["200", "GET", {}, 200],
    ["HEAD", "HEAD", {}, 200],
    ["206", "GET", { range: "bytes=0-1" }, 206],
    ["304", "GET", { "if-none-match": ETAG }, 304],
    ["412", "GET", { "if-match": '"x"' }, 412],
    ["416", "GET", { range: "bytes=50-" }, 416],
  ];
  for (const [name, method, fields, status] of cases) {
    await t.step(name, () => {
      const request = { method, headers: new Map(Object.entries(fields)) };
      const reply = representationReply(rep(), request, vary);
      assert.equal(reply.status, status);
      assert.equal(field(reply, "vary"), "Accept-Encoding");
      assert.equal(field(representationReply(rep(), request), "vary"), undefined);
    });
  }
});

Deno.test("representationReply() compares validators with the coded representation it is given", () => {
  const identityTag = { "if-none-match": ETAG };
  const reply = representationReply(coded(), {
    method: "GET",
    headers: new Map(Object.entries(identityTag)),
  });
  assert.equal(reply.status, 200, "the identity tag does not match the br form");
  const brTag = { "if-none-match": ETAG.slice(0, -1) + '-br"' };
  const again = representationReply(coded(), {
    method: "GET",
    headers: new Map(Object.entries(brTag)),
  });
  assert.equal(again.status, 304);
  assert.equal(field(again, "content-encoding"), undefined, "a 304 has no content fields");
});

Deno.test("representationReply() applies ranges to a coded representation's own bytes, with the coding in each part", () => {
  const single = representationReply(coded(), {
    method: "GET",
    headers: new Map([["range", "bytes=2-4"]]),
  });
  assert.equal(single.status, 206);
  assert.equal(body(single), "234");
  assert.equal(field(single, "content-encoding"), "br");
  assert.equal(field(single, "content-range"), "bytes 2-4/10");
  const multi = representationReply(coded(), {
    method: "GET",
    headers: new Map([["range", "bytes=0-1,5-6"]]),
  });
  assert.equal(multi.status, 206);
  assert.equal(field(multi, "content-encoding"), undefined, "not on the multipart body");
  const text = body(multi);
  assert.ok(text.includes("Content-Encoding: br\r\nContent-Range: bytes 0-1/10\r\n\r\n01\r\n"));
  assert.ok(text.includes("Content-Encoding: br\r\nContent-Range: bytes 5-6/10\r\n\r\n56\r\n"));
});

Deno.test("representationReply() ignores Range and If-Range for bytes compressed on the fly", () => {
  const reply = representationReply(coded(false), {
    method: "GET",
    headers: new Map([["range", "bytes=2-4"], ["if-range", ETAG]]),
  });
  assert.equal(reply.status, 200);
  assert.equal(body(reply), "0123456789");
});
