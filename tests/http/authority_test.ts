/**
 * Authorities and the loopback Host policy (src/http/authority.ts): pure, table-driven.
 */

import assert from "node:assert/strict";
import {
  isLocalAuthority,
  isLoopbackAddress,
  parseAuthority,
  parseIpv4,
  parseIpv6,
  unmapAddress,
} from "../../src/http/authority.ts";

Deno.test("parseAuthority() accepts host[:port] and refuses everything else", async (t) => {
  const cases: [string, { host: string; port: string | null } | null][] = [
    ["localhost", { host: "localhost", port: null }],
    ["LocalHost:8080", { host: "localhost", port: "8080" }],
    ["127.0.0.1:8080", { host: "127.0.0.1", port: "8080" }],
    ["[::1]:8080", { host: "[::1]", port: "8080" }],
    ["[::1]", { host: "[::1]", port: null }],
    ["example.com:", { host: "example.com", port: "" }],
    ["", { host: "", port: null }],
    ["127.0.0.1:18086:99", null], // two ports
    ["a:b", null],
    ["[::1", null],
    ["::1", null], // IPv6 needs brackets
    ["[::1]x", null],
    ["[not-v6]", null],
    ["user@host", null],
    ["a b", null],
    ["host%zz", null],
    ["[v1.fe80::a+en1]", { host: "[v1.fe80::a+en1]", port: null }],
  ];
  for (const [text, expected] of cases) {
    await t.step(JSON.stringify(text), () => assert.deepEqual(parseAuthority(text), expected));
  }
});

Deno.test("parseIpv4() takes exactly four decimal octets", async (t) => {
  const cases: [string, number[] | null][] = [
    ["127.0.0.1", [127, 0, 0, 1]],
    ["255.255.255.255", [255, 255, 255, 255]],
    ["127.1", null],
    ["127.0.0.1.", null],
    ["0x7f.0.0.1", null],
    ["127.0.0.01", null], // octal to some parsers
    ["256.0.0.1", null],
    ["2130706433", null],
    ["127.0.0.1.nip.io", null],
  ];
  for (const [text, expected] of cases) {
    await t.step(text, () => assert.deepEqual(parseIpv4(text), expected));
  }
});

Deno.test("parseIpv6() parses full, compressed and IPv4-tailed forms", async (t) => {
  const cases: [string, number[] | null][] = [
    ["::1", [0, 0, 0, 0, 0, 0, 0, 1]],
    ["0:0:0:0:0:0:0:1", [0, 0, 0, 0, 0, 0, 0, 1]],
    ["::ffff:127.0.0.1", [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]],
    ["fe80::1:2", [0xfe80, 0, 0, 0, 0, 0, 1, 2]],
    ["::", [0, 0, 0, 0, 0, 0, 0, 0]],
    ["1::2::3", null],
    ["1:2:3:4:5:6:7", null],
    ["1:2:3:4:5:6:7:8:9", null],
    ["::1%lo", null],
    ["12345::1", null],
    ["1.2.3.4::", null],
  ];
  for (const [text, expected] of cases) {
    await t.step(text, () => assert.deepEqual(parseIpv6(text), expected));
  }
});

Deno.test("isLocalAuthority() accepts only this machine's names (DNS rebinding)", async (t) => {
  const local = [
    "localhost",
    "localhost:8080",
    "LOCALHOST",
    "app.localhost:3000",
    "a.b.localhost",
    "127.0.0.1",
    "127.0.0.1:8080",
    "127.255.255.254",
    "[::1]",
    "[::1]:8080",
    "[0:0:0:0:0:0:0:1]:80",
    "[::ffff:127.0.0.1]",
    null, // HTTP/1.0 without Host
  ];
  const foreign = [
    "127.attacker.example",
    "127.0.0.1.nip.io",
    "127.0.0.1.nip.io:8080",
    "127.rebind.attacker.example",
    "localhost.attacker.example",
    "attacker-localhost",
    ".localhost",
    "a..localhost",
    "localhost.",
    "127.1",
    "0x7f000001",
    "2130706433",
    "127.0.0.01",
    "[::2]",
    "[::ffff:10.0.0.1]",
    "10.0.0.1",
    "example.com",
    "",
    "127.0.0.1:18086:99",
  ];
  for (const host of local) {
    await t.step(`local: ${host}`, () => assert.equal(isLocalAuthority(host), true));
  }
  for (const host of foreign) {
    await t.step(`foreign: ${host}`, () => assert.equal(isLocalAuthority(host), false));
  }
});

Deno.test("isLoopbackAddress() knows 127/8, ::1 and mapped loopback, nothing by name", () => {
  assert.equal(isLoopbackAddress("127.0.0.1"), true);
  assert.equal(isLoopbackAddress("127.9.9.9"), true);
  assert.equal(isLoopbackAddress("::1"), true);
  assert.equal(isLoopbackAddress("::ffff:127.0.0.1"), true);
  assert.equal(isLoopbackAddress("::ffff:10.0.0.1"), false);
  assert.equal(isLoopbackAddress("127.example"), false);
  assert.equal(isLoopbackAddress("localhost"), false);
});

Deno.test("unmapAddress() turns ::ffff:a.b.c.d into a.b.c.d and leaves the rest", () => {
  assert.equal(unmapAddress("::ffff:127.0.0.1"), "127.0.0.1");
  assert.equal(unmapAddress("::FFFF:10.1.2.3"), "10.1.2.3");
  assert.equal(unmapAddress("::1"), "::1");
  assert.equal(unmapAddress("10.1.2.3"), "10.1.2.3");
});
