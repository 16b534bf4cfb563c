/**
 * Trusted proxies (src/http/forwarded.ts): CIDR ranges, X-Forwarded-For and RFC 7239 Forwarded
 * parsing, and the choice of the client. Pure, table-driven.
 */

import assert from "node:assert/strict";
import {
  chooseClient,
  forwardedClient,
  type Hop,
  isInRanges,
  LOOPBACK_CIDRS,
  parseCidr,
  parseForwarded,
  parseNode,
  parseXForwardedFor,
} from "../../src/http/forwarded.ts";
import { MAX_FORWARDED_HOPS } from "../../src/limits.ts";

Deno.test("parseCidr() reads addresses and ranges of both families", async (t) => {
  const cases: [string, { bytes: number[]; prefix: number } | null][] = [
    ["10.0.0.0/8", { bytes: [10, 0, 0, 0], prefix: 8 }],
    ["192.0.2.7", { bytes: [192, 0, 2, 7], prefix: 32 }],
    ["0.0.0.0/0", { bytes: [0, 0, 0, 0], prefix: 0 }],
    ["::1", { bytes: [...new Array(15).fill(0), 1], prefix: 128 }],
    ["2001:db8::/32", { bytes: [0x20, 0x01, 0x0d, 0xb8, ...new Array(12).fill(0)], prefix: 32 }],
    ["::ffff:10.0.0.0/104", { bytes: [10, 0, 0, 0], prefix: 8 }],
    ["::ffff:10.1.2.3", { bytes: [10, 1, 2, 3], prefix: 32 }],
    ["10.0.0.0/33", null],
    ["::/129", null],
    ["10.0.0.0/08", null],
    ["10.0.0.0/", null],
    ["example.com", null],
    ["[::1]", null],
    ["loopback", null],
    ["", null],
  ];
  for (const [text, expected] of cases) {
    await t.step(JSON.stringify(text), () => assert.deepEqual(parseCidr(text), expected));
  }
});

Deno.test("isInRanges() matches by prefix, families apart, mapped addresses as IPv4", async (t) => {
  const ranges = ["10.0.0.0/8", "192.0.2.128/25", "2001:db8::/32", ...LOOPBACK_CIDRS].map((c) =>
    parseCidr(c)!
  );
  const cases: [string, boolean][] = [
    ["10.255.1.2", true],
    ["11.0.0.1", false],
    ["192.0.2.128", true],
    ["192.0.2.127", false],
    ["2001:db8:ffff::1", true],
    ["2001:db9::1", false],
    ["127.8.9.10", true],
    ["::1", true],
    ["::2", false],
    ["::ffff:10.0.0.1", true],
    ["::ffff:127.0.0.1", true],
    ["::ffff:11.0.0.1", false],
    ["unknown", false],
    ["", false],
  ];
  for (const [ip, expected] of cases) {
    await t.step(ip, () => assert.equal(isInRanges(ranges, ip), expected));
  }
});

Deno.test("parseNode() reads RFC 7239 §6 nodes and X-Forwarded-For entries", async (t) => {
  const cases: [string, Hop][] = [
    ["192.0.2.43", { kind: "address", ip: "192.0.2.43" }],
    ["192.0.2.43:47011", { kind: "address", ip: "192.0.2.43" }],
    ["[2001:DB8::1]:4711", { kind: "address", ip: "2001:db8::1" }],
    ["[2001:db8::1]", { kind: "address", ip: "2001:db8::1" }],
    ["2001:db8::1", { kind: "address", ip: "2001:db8::1" }],
    ["::ffff:192.0.2.1", { kind: "address", ip: "192.0.2.1" }],
    ["192.0.2.43:_port", { kind: "address", ip: "192.0.2.43" }],
    ["unknown", { kind: "hidden", token: "unknown" }],
    ["UNKNOWN:80", { kind: "hidden", token: "unknown" }],
    ["_hidden", { kind: "hidden", token: "_hidden" }],
    ["_SEVKISEK", { kind: "hidden", token: "_SEVKISEK" }],
    ["", { kind: "garbage" }],
    ["_", { kind: "garbage" }],
    ["example.com", { kind: "garbage" }],
    ["192.0.2.43:", { kind: "garbage" }],
    ["192.0.2.43:123456", { kind: "garbage" }],
    ["[2001:db8::1", { kind: "garbage" }],
    ["[2001:db8::1]x", { kind: "garbage" }],
    ["[192.0.2.1]", { kind: "garbage" }],
    ["1.2.3.4 5.6.7.8", { kind: "garbage" }],
  ];
  for (const [text, expected] of cases) {
    await t.step(JSON.stringify(text), () => assert.deepEqual(parseNode(text), expected));
  }
});

const a = (ip: string): Hop => ({ kind: "address", ip });
const hidden = (token: string): Hop => ({ kind: "hidden", token });
const garbage: Hop = { kind: "garbage" };

Deno.test("parseXForwardedFor() splits the list at commas", async (t) => {
  const cases: [string, Hop[]][] = [
    ["203.0.113.7", [a("203.0.113.7")]],
    ["203.0.113.7, 10.0.0.1", [a("203.0.113.7"), a("10.0.0.1")]],
    ["203.0.113.7,10.0.0.1,  ::1", [a("203.0.113.7"), a("10.0.0.1"), a("::1")]],
    ["evil, 10.0.0.1", [garbage, a("10.0.0.1")]],
    ["203.0.113.7,,10.0.0.1", [a("203.0.113.7"), garbage, a("10.0.0.1")]],
    ["unknown, 10.0.0.1", [hidden("unknown"), a("10.0.0.1")]],
  ];
  for (const [text, expected] of cases) {
    await t.step(JSON.stringify(text), () => assert.deepEqual(parseXForwardedFor(text), expected));
  }
});

Deno.test("parseForwarded() reads RFC 7239 §4 elements, pairs and quoted strings", async (t) => {
  const cases: [string, Hop[] | null][] = [
    ["for=192.0.2.60;proto=http;by=203.0.113.43", [a("192.0.2.60")]],
    ['for="[2001:db8:cafe::17]:4711"', [a("2001:db8:cafe::17")]],
    ['For="_gazonk"', [hidden("_gazonk")]],
    ["for=192.0.2.43, for=198.51.100.17", [a("192.0.2.43"), a("198.51.100.17")]],
    ["FOR=unknown", [hidden("unknown")]],
    ["proto=https;host=example.com", [hidden("unknown")]],
    ['for="192.0.2.1", for=10.0.0.1 ;proto=http', [a("192.0.2.1"), a("10.0.0.1")]],
    ['for="1.2.3\\.4"', [a("1.2.3.4")]],
    ['for="a,b";by=x, for=10.0.0.1', [garbage, a("10.0.0.1")]],
    // A quote opened by the client swallows what the proxy appended: nothing can be believed.
    ['for="192.0.2.1, for=10.0.0.1', null],
    ["for=[2001:db8::1]", null], // IPv6 must be quoted (RFC 7239 §6)
    ["for", null],
    ["for=", null],
    ["for=1.2.3.4;for=5.6.7.8", null],
    ["for=1.2.3.4 junk", null],
    ["=1.2.3.4", null],
    ["for = 1.2.3.4", null], // no space around "=" (RFC 7239 §4)
  ];
  for (const [text, expected] of cases) {
    await t.step(JSON.stringify(text), () => assert.deepEqual(parseForwarded(text), expected));
  }
});

Deno.test("chooseClient() walks from the right past trusted hops (RFC 7239 §8.1)", async (t) => {
  const trusted = (ip: string) => ip.startsWith("10.");
  const cases: [string, Hop[], string | null][] = [
    ["one untrusted hop", [a("203.0.113.7")], "203.0.113.7"],
    ["spoofed left part ignored", [a("6.6.6.6"), a("203.0.113.7")], "203.0.113.7"],
    ["trusted hops skipped", [a("6.6.6.6"), a("203.0.113.7"), a("10.0.0.2")], "203.0.113.7"],
    ["all trusted: the left-most", [a("10.0.0.9"), a("10.0.0.2")], "10.0.0.9"],
    ["unknown stops the walk", [a("6.6.6.6"), hidden("unknown"), a("10.0.0.2")], "unknown"],
    ["obfuscated stops the walk", [a("6.6.6.6"), hidden("_p1"), a("10.0.0.2")], "_p1"],
    ["garbage reached: the peer", [a("6.6.6.6"), garbage, a("10.0.0.2")], null],
    ["garbage left of the client is never read", [garbage, a("203.0.113.7")], "203.0.113.7"],
    ["no hops: the peer", [], null],
    [
      "too many trusted hops: the peer",
      new Array(MAX_FORWARDED_HOPS + 1).fill(a("10.0.0.1")),
      null,
    ],
    [
      "as many as allowed",
      [a("1.1.1.1"), ...new Array(MAX_FORWARDED_HOPS - 1).fill(a("10.0.0.1"))],
      "1.1.1.1",
    ],
  ];
  for (const [name, hops, expected] of cases) {
    await t.step(name, () => assert.equal(chooseClient(hops, trusted), expected));
  }
});

Deno.test("forwardedClient() prefers X-Forwarded-For (what proxies append to), else Forwarded; garbage is the peer", async (t) => {
  const trusted = (ip: string) => ip === "127.0.0.1";
  const cases: [Record<string, string>, string | null][] = [
    [{}, null],
    [{ "x-forwarded-for": "6.6.6.6, 203.0.113.7" }, "203.0.113.7"],
    [{ forwarded: "for=198.51.100.1" }, "198.51.100.1"],
    // A client's own Forwarded passed through by a proxy that appends to X-Forwarded-For.
    [{ forwarded: "for=198.51.100.1", "x-forwarded-for": "203.0.113.7" }, "203.0.113.7"],
    [{ forwarded: 'for="oops', "x-forwarded-for": "203.0.113.7" }, "203.0.113.7"],
    [{ forwarded: 'for="oops' }, null],
    [{ "x-forwarded-for": "not an address" }, null],
  ];
  for (const [fields, expected] of cases) {
    await t.step(
      JSON.stringify(fields),
      () => assert.equal(forwardedClient(new Map(Object.entries(fields)), trusted), expected),
    );
  }
});
