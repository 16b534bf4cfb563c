/**
 * Request fields (src/http/request_fields.ts): which names are recognised as the fields the
 * server reads, how their values are kept, and that the one-pass scan refuses exactly what
 * parseFieldSection() refuses. Each rule is a table; the last tests replay mutated heads through
 * the scan and the reference parser, and through both paths of parseRequestHead().
 */

import assert from "node:assert/strict";
import { MAX_HEADER_FIELDS } from "../../src/limits.ts";
import { parseFieldSection } from "../../src/http/fields.ts";
import { parseRequestHead, type RequestParseResult } from "../../src/http/request.ts";
import {
  KNOWN_FIELDS,
  type KnownField,
  type RequestFields,
  ScannedFields,
  scanRequestFields,
} from "../../src/http/request_fields.ts";
import { findHeadEnd, latin1 } from "../../src/http/scan.ts";
import { loadFixtures } from "../fixtures/requests.ts";

/** Latin-1 bytes of a string, so cases can hold any byte. */
function raw(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** Scans these field lines as the parser does and returns what the server would read. */
function fieldsOf(...lines: string[]): RequestFields {
  const section = raw(`${lines.map((line) => `${line}\r\n`).join("")}\r\n`);
  const scan = scanRequestFields(section, 0, section.length);
  assert.ok(scan !== null, "the lines are valid");
  return new ScannedFields(scan, latin1(section, 0, section.length), 0, 0);
}

Deno.test("RequestFields.get() finds a known field whatever the case of its name (RFC 9110 §5.1)", async (t) => {
  const cases: [string, KnownField][] = [
    ["host", "host"],
    ["HOST", "host"],
    ["hOsT", "host"],
    ["User-Agent", "user-agent"],
    ["USER-AGENT", "user-agent"],
    ["Access-Control-Request-Method", "access-control-request-method"],
    ["IF-NONE-MATCH", "if-none-match"],
    ["x-Forwarded-FOR", "x-forwarded-for"],
  ];
  for (const [sent, name] of cases) {
    await t.step(sent, () => {
      const fields = fieldsOf(`${sent}: v`);
      assert.equal(fields.get(name), "v");
      assert.equal(fields.has(name), true);
    });
  }
});

Deno.test("RequestFields.get() knows every name in KNOWN_FIELDS, sent as is and upper-cased", () => {
  for (const name of KNOWN_FIELDS) {
    assert.equal(fieldsOf(`${name}: a`).get(name), "a", name);
    assert.equal(fieldsOf(`${name.toUpperCase()}: b`).get(name), "b", name);
  }
});

Deno.test("RequestFields.get() does not take a name of the same length for a known one", async (t) => {
  const cases: [string, KnownField][] = [
    ["hosT2", "host"], // longer by one
    ["hos", "host"], // shorter by one
    ["hast", "host"], // same length and first letter, a middle byte differs
    ["hosx", "host"], // the last byte differs
    ["user_agent", "user-agent"], // `_` is not `-`, whatever case folding does
    ["sec-fetch-mode", "sec-fetch-site"], // same family, same length
    ["sec-fetch-user", "sec-fetch-site"],
    ["accept-language", "accept-encoding"],
    ["if-range", "if-match"], // both known: the one sent is found, not its neighbour
    ["x-forwarded-fox", "x-forwarded-for"],
    ["content-lengtH2", "content-length"],
  ];
  for (const [sent, name] of cases) {
    await t.step(`${sent} is not ${name}`, () => {
      const fields = fieldsOf(`${sent}: v`);
      assert.equal(fields.get(name), undefined);
      assert.equal(fields.has(name), false);
      assert.equal(fields.find(sent), "v");
    });
  }
});

Deno.test("RequestFields.get() is not fooled by a first byte that shares a known name's bucket", async (t) => {
  // A bucket is a length and (first byte & 31), so these differ from a known name only in the
  // first byte, and a non-letter tchar shares the letter's bucket.
  const cases: [string, KnownField][] = [
    ["!ccept", "accept"], // `!` (0x21) shares `a`'s
    ["#onnection", "connection"],
    ["&orwarded", "forwarded"],
    ["3ec-fetch-site", "sec-fetch-site"],
    ["5ser-agent", "user-agent"],
    ["8-forwarded-for", "x-forwarded-for"],
    ["2ange", "range"], // `2` (0x32) shares `r`'s
    ["6ia", "via"], // `6` (0x36) shares `v`'s
    ["aCCEPT", "accept"],
  ];
  for (const [sent, name] of cases) {
    await t.step(sent, () => {
      const fields = fieldsOf(`${sent}: v`);
      assert.equal(fields.get(name), sent.toLowerCase() === name ? "v" : undefined);
    });
  }
});

Deno.test("RequestFields.get() joins repeated fields with a comma in the order sent (RFC 9110 §5.3)", async (t) => {
  const cases: [string[], KnownField, string][] = [
    [["Accept: a", "Accept: b"], "accept", "a, b"],
    [["Accept: a", "X-Other: z", "ACCEPT: b", "accept: c"], "accept", "a, b, c"],
    [["Range: ", "Range: bytes=0-1"], "range", ", bytes=0-1"],
    [['If-None-Match: "a"', "If-Match: *", 'If-None-Match: "b"'], "if-none-match", '"a", "b"'],
    [["Via: 1.1 a", "via:1.1 b  "], "via", "1.1 a, 1.1 b"],
  ];
  for (const [lines, name, value] of cases) {
    await t.step(lines.join(" | "), () => assert.equal(fieldsOf(...lines).get(name), value));
  }
});

Deno.test("RequestFields.get() trims optional whitespace around a known value (RFC 9112 §5.1)", () => {
  assert.equal(fieldsOf("Referer: \t a b \t ").get("referer"), "a b");
  assert.equal(fieldsOf("Referer:").get("referer"), "");
  assert.equal(fieldsOf("Referer: \t ").get("referer"), "");
});

Deno.test("parseRequestHead() keeps obs-text in a known value as Latin-1 (RFC 9110 §5.5)", () => {
  const result = parseRequestHead(raw("GET / HTTP/1.0\r\nUser-Agent: caf\xe9 \x80\xff\r\n\r\n"));
  assert.equal(result.kind, "done");
  if (result.kind !== "done") return;
  assert.equal(result.head.headers.get("user-agent"), "caf\xe9 \x80\xff");
});

Deno.test("RequestFields ignores unknown fields but find() and entries() still see them", () => {
  const fields = fieldsOf("Cookie: a=1", 'Sec-Ch-Ua: "x"', "Host: h", "cookie: b=2");
  assert.equal(fields.find("COOKIE"), "a=1, b=2");
  assert.equal(fields.find("sec-ch-ua"), '"x"');
  assert.equal(fields.find("x-missing"), undefined);
  assert.deepEqual(fields.entries(), [
    ["Cookie", "a=1"],
    ["Sec-Ch-Ua", '"x"'],
    ["Host", "h"],
    ["cookie", "b=2"],
  ]);
});

Deno.test("parseRequestHead() still validates every byte of unknown fields", async (t) => {
  const cases: [string, number, string][] = [
    ["Cookie: a\x01b", 400, "bad-field-value"],
    ["Cookie: a\x7fb", 400, "bad-field-value"],
    ["Cookie : a", 400, "space-before-colon"],
    ["Co(kie: a", 400, "bad-field-name"],
    ["Cookie", 400, "missing-colon"],
    [" folded", 400, "obs-fold"],
    ["X-Long-Name-That-No-Known-Field-Has-Because-It-Is-Long: a\x00", 400, "bad-field-value"],
  ];
  for (const [line, status, code] of cases) {
    await t.step(JSON.stringify(line), () => {
      const result = parseRequestHead(raw(`GET / HTTP/1.0\r\n${line}\r\n\r\n`));
      assert.equal(
        result.kind === "error" && `${result.status} ${result.code}`,
        `${status} ${code}`,
      );
    });
  }
});

Deno.test("parseRequestHead() counts unknown fields against the limit (→ 431)", () => {
  const lines = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join("");
  const at = parseRequestHead(raw(`GET / HTTP/1.0\r\n${lines(MAX_HEADER_FIELDS)}\r\n`));
  assert.equal(at.kind, "done");
  const over = parseRequestHead(raw(`GET / HTTP/1.0\r\n${lines(MAX_HEADER_FIELDS + 1)}\r\n`));
  assert.equal(over.kind === "error" && over.code, "too-many-headers");
});

// ── The scan against the reference parser, on mutated field sections ─────────────────────────

/** A deterministic generator, so a failure replays. */
function random(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return Math.floor((state / 2 ** 31) * n);
  };
}

/** Field sections to mutate: the fixtures' and a browser's, each ending in its empty line. */
function seedSections(): Uint8Array[] {
  const heads = loadFixtures().map((f) => f.bytes).filter((b) => b.length < 2000);
  heads.push(raw(
    "GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: Mozilla/5.0 (X11)\r\nAccept: text/html,*/*;q=0.8\r\n" +
      "Accept-Encoding: gzip, br\r\nAccept-Language: en\r\nSec-Fetch-Site: none\r\n" +
      'Sec-Fetch-Mode: navigate\r\nIf-Range: "x"\r\nIf-Match: "y"\r\nCookie: a=b\r\n\r\n',
  ));
  return heads.map((head) => head.subarray(head.indexOf(0x0a) + 1));
}

/** Mutates a section with up to three edits: replace, delete, duplicate, or flip a letter's case. */
function mutate(section: Uint8Array, pick: (n: number) => number): Uint8Array {
  const alphabet = raw("\r\n\t :\0\x7f\x80\xff-_!aZ,");
  const data = [...section];
  for (let edits = pick(4); edits > 0; edits--) {
    const at = pick(data.length);
    const edit = pick(4);
    if (edit === 0) data[at] = alphabet[pick(alphabet.length)];
    else if (edit === 1) data.splice(at, 1 + pick(3));
    else if (edit === 2) data.splice(at, 0, ...data.slice(at, at + 1 + pick(20)));
    else if (/[a-z]/i.test(String.fromCharCode(data[at]))) data[at] ^= 0x20;
  }
  return Uint8Array.from(data);
}

Deno.test("scanRequestFields() refuses exactly what parseFieldSection() refuses, and reads the same values", () => {
  const pick = random(7);
  const seeds = seedSections();
  const outcomes = { valid: 0, refused: 0 };
  for (let i = 0; i < 5000; i++) {
    const bytes = mutate(seeds[pick(seeds.length)], pick);
    // As the parser does: the section ends at the first empty line (or a bare-LF one).
    const end = bytes[0] === 0x0d && bytes[1] === 0x0a ? 2 : findHeadEnd(bytes, 0);
    if (end === -1) continue;
    const label = JSON.stringify(latin1(bytes, 0, end));
    const reference = parseFieldSection(bytes, 0, end);
    const scan = scanRequestFields(bytes, 0, end);
    assert.equal(scan === null, reference.kind === "error", label);
    if (scan === null || reference.kind === "error") {
      outcomes.refused++;
      continue;
    }
    outcomes.valid++;
    assert.equal(scan.end, end, label);
    assert.equal(scan.hostLines, reference.counts.get("host") ?? 0, label);
    // Without a known end, the scan finds the same one.
    assert.equal(scanRequestFields(bytes, 0, bytes.length)?.end, end, label);
    const fields = new ScannedFields(scan, latin1(bytes, 0, end), 0, 0);
    for (const name of KNOWN_FIELDS) {
      assert.equal(fields.get(name), reference.headers.get(name), `${label}: ${name}`);
    }
    assert.deepEqual(fields.entries(), reference.lines.map(([n, v]) => [n, v]), label);
  }
  assert.ok(outcomes.valid > 1000 && outcomes.refused > 1000, JSON.stringify(outcomes));
});

/** The parts of a result two parses must agree on. */
function summary(result: RequestParseResult): unknown {
  if (result.kind !== "done") {
    return result.kind === "error" ? [result.status, result.code] : "partial";
  }
  const { headers, ...head } = result.head;
  const known = KNOWN_FIELDS.map((name) => headers.get(name));
  return { consumed: result.consumed, head, known, entries: headers.entries() };
}

Deno.test("parseRequestHead() answers a head that arrived whole as its careful path does", () => {
  // A byte after the head (the next request's) makes the parser take the careful path.
  const pick = random(11);
  const seeds = loadFixtures().map((f) => f.bytes).filter((b) => b.length < 2000);
  const whole = { done: 0, error: 0 };
  for (let i = 0; i < 5000; i++) {
    const bytes = i < seeds.length ? seeds[i] : mutate(seeds[pick(seeds.length)], pick);
    const n = bytes.length;
    if (bytes[n - 4] !== 0x0d || bytes[n - 3] !== 0x0a || bytes[n - 2] !== 0x0d) continue;
    if (bytes[n - 1] !== 0x0a) continue;
    const followed = new Uint8Array(n + 1);
    followed.set(bytes);
    followed[n] = 0x47; // "G"
    const fast = parseRequestHead(bytes);
    const careful = parseRequestHead(followed);
    assert.deepEqual(summary(fast), summary(careful), JSON.stringify(latin1(bytes, 0, n)));
    if (fast.kind !== "partial") whole[fast.kind]++;
  }
  assert.ok(whole.done > 500 && whole.error > 500, JSON.stringify(whole));
});
