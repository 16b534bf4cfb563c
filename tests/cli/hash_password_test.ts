/**
 * `sockserve hash-password` (src/cli/hash_password.ts): its arguments and input checks as pure
 * functions, the command over fake standard streams (a pipe, and a terminal typed on without
 * echo), and the real command in a process with no Deno permissions at all.
 */

import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import {
  checkPassword,
  type HashPasswordIo,
  parseHashPasswordArgs,
  runHashPassword,
} from "../../src/cli/hash_password.ts";
import { BCRYPT_COST } from "../../src/limits.ts";
import { MAIN } from "../helpers.ts";

Deno.test("parseHashPasswordArgs() takes nothing or --help, and refuses an argument without echoing it", () => {
  assert.deepEqual(parseHashPasswordArgs([]), { kind: "hash-password" });
  assert.deepEqual(parseHashPasswordArgs(["--help"]), { kind: "hash-password-help" });
  assert.deepEqual(parseHashPasswordArgs(["-h"]), { kind: "hash-password-help" });
  for (const args of [["hunter2"], ["--password=hunter2"], ["-h", "hunter2"]]) {
    const result = parseHashPasswordArgs(args);
    assert.equal(result.kind, "error");
    if (result.kind !== "error") continue;
    assert.match(result.message, /reads the password from stdin/);
    assert.ok(!result.message.includes("hunter2"));
  }
});

Deno.test("checkPassword() drops one trailing line break and takes one line of at most 72 bytes", async (t) => {
  const ok: [string, string, string][] = [
    ["as is", "secret", "secret"],
    ["a trailing LF dropped", "secret\n", "secret"],
    ["a trailing CRLF dropped", "secret\r\n", "secret"],
    ["spaces kept", " two words ", " two words "],
    ["72 bytes", "x".repeat(72), "x".repeat(72)],
    ["Normalization Form C", "e\u0301", "é"],
  ];
  for (const [name, input, password] of ok) {
    await t.step(name, () => assert.deepEqual(checkPassword(input), { password }));
  }
  const refused: [string, string, RegExp][] = [
    ["empty", "", /empty/],
    ["a line break alone", "\n", /empty/],
    ["two line breaks: one is kept", "secret\n\n", /one line/],
    ["two lines", "secret\nmore", /one line/],
    ["a control character", "sec\tret", /control character/],
    ["73 bytes", "x".repeat(73), /73 bytes long; bcrypt reads only the first 72/],
    ["37 two-byte characters", "é".repeat(37), /74 bytes long/],
  ];
  for (const [name, input, message] of refused) {
    await t.step(name, () => {
      const result = checkPassword(input);
      assert.ok("kind" in result);
      assert.match(result.message, message);
    });
  }
});

/** Fake standard streams: stdin from bytes (read `chunk` at a time), outputs collected. */
function fakeIo(input: string, options: { terminal?: boolean; chunk?: number } = {}) {
  const bytes = new TextEncoder().encode(input);
  let at = 0;
  const out: string[] = [];
  const err: string[] = [];
  const raw: boolean[] = [];
  const decoder = new TextDecoder();
  const io: HashPasswordIo = {
    stdin: {
      read: (buf: Uint8Array) => {
        if (at >= bytes.length) return Promise.resolve(null);
        const n = Math.min(buf.length, options.chunk ?? bytes.length, bytes.length - at);
        buf.set(bytes.subarray(at, at + n));
        at += n;
        return Promise.resolve(n);
      },
      isTerminal: () => options.terminal ?? false,
      setRaw: (mode: boolean) => void raw.push(mode),
    },
    stdout: { write: (b: Uint8Array) => Promise.resolve((out.push(decoder.decode(b)), b.length)) },
    stderr: { write: (b: Uint8Array) => Promise.resolve((err.push(decoder.decode(b)), b.length)) },
  };
  return { io, stdout: () => out.join(""), stderr: () => err.join(""), raw };
}

Deno.test("runHashPassword() prints only the bcrypt hash of a piped password, which bcrypt verifies", async () => {
  const fake = fakeIo("correct horse\n", { chunk: 3 });
  assert.equal(await runHashPassword(fake.io), 0);
  const printed = fake.stdout();
  assert.match(printed, /^\$2b\$\d\d\$[./A-Za-z0-9]{53}\n$/);
  assert.equal(bcrypt.getRounds(printed.trim()), BCRYPT_COST);
  assert.ok(await bcrypt.compare("correct horse", printed.trim()));
  assert.equal(fake.stderr(), "");
});

Deno.test("runHashPassword() refuses an empty or oversized pipe with exit 2 and prints no hash", async () => {
  for (const input of ["", "x".repeat(10_000)]) {
    const fake = fakeIo(input);
    assert.equal(await runHashPassword(fake.io), 2);
    assert.equal(fake.stdout(), "");
    assert.equal(fake.stderr().trimEnd().split("\n").length, 1);
  }
});

Deno.test("runHashPassword() on a terminal asks twice without echo; Backspace deletes a character", async () => {
  const fake = fakeIo("pässx\x7f\rpäss\r", { terminal: true, chunk: 1 });
  assert.equal(await runHashPassword(fake.io), 0);
  assert.ok(await bcrypt.compare("päss", fake.stdout().trim()));
  assert.equal(fake.stderr(), "Password: \nAgain: \n", "prompts only, nothing typed is shown");
  assert.deepEqual(fake.raw, [true, false, true, false], "raw mode is always restored");
});

Deno.test("runHashPassword() on a terminal stops on differing entries (2) and Ctrl+C (130)", async () => {
  const differ = fakeIo("one\rtwo\r", { terminal: true, chunk: 1 });
  assert.equal(await runHashPassword(differ.io), 2);
  assert.equal(differ.stdout(), "");
  const interrupted = fakeIo("sec\x03", { terminal: true, chunk: 1 });
  assert.equal(await runHashPassword(interrupted.io), 130);
  assert.equal(interrupted.stdout(), "");
  assert.deepEqual(interrupted.raw, [true, false]);
});

Deno.test("printf PASSWORD | sockserve hash-password, as deno run with no permissions and as deno task, prints only the hash", async (t) => {
  const forms: [string, string[]][] = [
    ["deno run main.ts hash-password", ["run", MAIN, "hash-password"]],
    ["deno task hash-password", ["task", "hash-password"]],
  ];
  for (const [name, args] of forms) {
    await t.step(name, async () => {
      const child = new Deno.Command(Deno.execPath(), {
        args,
        cwd: new URL("../..", import.meta.url).pathname,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("s3cret pass"));
      await writer.close();
      const { code, stdout, stderr } = await child.output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      const hash = new TextDecoder().decode(stdout);
      assert.match(hash, /^\$2b\$10\$[./A-Za-z0-9]{53}\n$/);
      assert.ok(await bcrypt.compare("s3cret pass", hash.trim()));
    });
  }
});
