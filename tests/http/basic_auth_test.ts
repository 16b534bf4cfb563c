/**
 * HTTP Basic authentication as pure protocol (src/http/basic_auth.ts): the Authorization field
 * (RFC 7617 §2) and the challenge (§2, §2.1).
 */

import assert from "node:assert/strict";
import { formatBasicChallenge, parseBasicCredentials } from "../../src/http/basic_auth.ts";

/** Base64 of the UTF-8 bytes of a text (what curl -u and browsers send). */
function b64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

Deno.test("parseBasicCredentials() reads user-id and password from base64 (RFC 7617 §2)", async (t) => {
  const cases: [string, string, { user: string; password: string }][] = [
    ["the RFC's example", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", {
      user: "Aladdin",
      password: "open sesame",
    }],
    ["the scheme in lower case", `basic ${b64("alice:secret")}`, {
      user: "alice",
      password: "secret",
    }],
    ["the scheme in upper case", `BASIC ${b64("alice:secret")}`, {
      user: "alice",
      password: "secret",
    }],
    ["several spaces after the scheme (1*SP)", `Basic   ${b64("a:b")}`, {
      user: "a",
      password: "b",
    }],
    ["colons in the password: only the first one ends the user-id", `Basic ${b64("a:b:c:")}`, {
      user: "a",
      password: "b:c:",
    }],
    ["an empty password", `Basic ${b64("alice:")}`, { user: "alice", password: "" }],
    ['UTF-8 (charset="UTF-8", §2.1)', `Basic ${b64("zoë:pässwörd")}`, {
      user: "zoë",
      password: "pässwörd",
    }],
    ["decomposed input in Normalization Form C", `Basic ${b64("zoe\u0308:e\u0301")}`, {
      user: "zoë",
      password: "é",
    }],
    ["one padding character", `Basic ${b64("ab:cd")}`, { user: "ab", password: "cd" }],
  ];
  for (const [name, value, expected] of cases) {
    await t.step(name, () => assert.deepEqual(parseBasicCredentials(value), expected));
  }
});

Deno.test("parseBasicCredentials() gives null (→ 401, never 400) for anything malformed", async (t) => {
  const cases: [string, string | undefined][] = [
    ["no field", undefined],
    ["another scheme", `Bearer ${b64("alice:secret")}`],
    ["the scheme alone", "Basic"],
    ["no space after the scheme", `Basic${b64("alice:secret")}`],
    ["a tab instead of a space", `Basic\t${b64("alice:secret")}`],
    ["no colon", `Basic ${b64("alicesecret")}`],
    ["missing padding", "Basic YWxpY2U6c2VjcmV0MQ"],
    ["padding in the middle", "Basic YQ==YWxpY2U6"],
    ["base64url characters", "Basic -_-_"],
    ["characters outside base64", "Basic YWxp!2U6c2VjcmV0"],
    ["invalid UTF-8", `Basic ${btoa("alice:\xff\xfe")}`],
    ["a control character in the password", `Basic ${b64("alice:se\x00cret")}`],
    ["a control character in the user-id", `Basic ${b64("al\x7fice:secret")}`],
    [
      "two fields joined (Authorization is a singleton)",
      `Basic ${b64("a:b")}, Basic ${b64("c:d")}`,
    ],
    ["auth-params instead of token68", 'Basic realm="x"'],
  ];
  for (const [name, value] of cases) {
    await t.step(name, () => assert.equal(parseBasicCredentials(value), null));
  }
});

Deno.test("formatBasicChallenge() quotes the realm and names the UTF-8 charset (RFC 7617 §2.1)", () => {
  assert.equal(formatBasicChallenge("sockserve"), 'Basic realm="sockserve", charset="UTF-8"');
  assert.equal(
    formatBasicChallenge('my "private" site \\ docs'),
    'Basic realm="my \\"private\\" site \\\\ docs", charset="UTF-8"',
  );
});
