/**
 * `sockserve hash-password`: a password on stdin in, its bcrypt hash on stdout, for `--auth` and
 * `--auth-file`. The password never goes on a command line (everyone on the machine can read
 * those with `ps`); on a terminal it is asked for twice without echo. Its arguments and checks
 * are pure; only {@linkcode runHashPassword} touches stdin and stdout.
 *
 * @module
 */

import { type PartialWriter, writeAll } from "../io/full_io.ts";
import { BCRYPT_COST, MAX_PASSWORD_BYTES } from "../limits.ts";
import { fail, type UsageError } from "./common.ts";

/** What `sockserve hash-password …` asks for. */
export type HashPasswordParse =
  | { readonly kind: "hash-password" }
  | { readonly kind: "hash-password-help" }
  | UsageError;

/** How to give a password without putting it on a command line. */
const STDIN_HINT = "printf '%s' 'PASSWORD' | sockserve hash-password";

/** The help text of `sockserve hash-password`. */
export const HASH_PASSWORD_HELP =
  `sockserve hash-password: print the bcrypt hash of a password, for --auth and --auth-file.

Usage:
  ${STDIN_HINT}
  sockserve hash-password          on a terminal: asks twice, without echo

Reads one line from stdin (one trailing line break is dropped) and prints only the hash
(bcrypt, cost ${BCRYPT_COST}) on stdout. Passwords are never taken as arguments: a command line
is visible to everyone on the machine. Use the hash as --auth 'USER:HASH' (in single quotes,
as it holds $ signs) or as a line USER:HASH of an --auth-file.`;

/**
 * Parses the arguments after `hash-password` (pure). Anything but `--help` is refused without
 * being echoed, since it is most likely the password itself.
 *
 * @param args The arguments.
 * @returns The command, its help, or a usage error.
 */
export function parseHashPasswordArgs(args: readonly string[]): HashPasswordParse {
  if (args.length === 0) return { kind: "hash-password" };
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    return { kind: "hash-password-help" };
  }
  return fail(
    `sockserve hash-password takes no arguments: it reads the password from stdin, as in ` +
      `${STDIN_HINT} (arguments are visible to everyone on the machine)`,
  );
}

/**
 * Turns what arrived on stdin into the password to hash (pure): one trailing line break (LF or
 * CRLF) is dropped, and the rest must be one non-empty line that Basic authentication can carry
 * (no control characters, RFC 7617 §2) and bcrypt reads whole (at most 72 bytes of UTF-8). The
 * password is put in Normalization Form C, as the server does with what clients send.
 *
 * @param input The text read.
 * @returns The password, or a usage error that does not quote it.
 */
export function checkPassword(input: string): { readonly password: string } | UsageError {
  const password = input.replace(/\r?\n$/, "").normalize("NFC");
  if (password === "") return fail(`The password is empty; give it on stdin: ${STDIN_HINT}`);
  if (/[\r\n]/.test(password)) {
    return fail("Give the password as one line: the input has more than one");
  }
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(password)) {
    return fail("The password holds a control character, which Basic authentication cannot send");
  }
  const length = new TextEncoder().encode(password).length;
  if (length > MAX_PASSWORD_BYTES) {
    return fail(
      `The password is ${length} bytes long; bcrypt reads only the first ${MAX_PASSWORD_BYTES}, ` +
        `so use a shorter one`,
    );
  }
  return { password };
}

/** Where `hash-password` reads and writes (Deno's standard streams, or test doubles). */
export interface HashPasswordIo {
  readonly stdin: Pick<typeof Deno.stdin, "read" | "isTerminal" | "setRaw">;
  readonly stdout: PartialWriter;
  readonly stderr: PartialWriter;
}

const encoder = new TextEncoder();

/** Keys read one by one from a terminal in raw mode. */
const KEY = {
  enter: 0x0d,
  newline: 0x0a,
  interrupt: 0x03,
  endOfInput: 0x04,
  backspace: 0x08,
  delete: 0x7f,
} as const;

/** The exit code of a command interrupted by Ctrl+C (128 + SIGINT), as shells report it. */
const INTERRUPTED_EXIT = 130;

/**
 * Runs `sockserve hash-password`: reads the password (twice, without echo, on a terminal),
 * prints its hash on stdout and nothing else.
 *
 * @param io The standard streams.
 * @returns The exit code: 0, 2 for a password that cannot be used, 130 when interrupted.
 */
export async function runHashPassword(io: HashPasswordIo): Promise<number> {
  const say = (line: string) => writeAll(io.stderr, encoder.encode(line));
  let input: string | null;
  if (io.stdin.isTerminal()) {
    input = await readHidden(io, "Password: ");
    if (input !== null) {
      const again = await readHidden(io, "Again: ");
      if (again === null) input = null;
      else if (again !== input) {
        await say("The two passwords differ; nothing was printed.\n");
        return 2;
      }
    }
    if (input === null) return INTERRUPTED_EXIT;
  } else {
    const bytes = await readLimited(io.stdin);
    if (bytes === null) {
      await say(
        `The password is longer than ${MAX_PASSWORD_BYTES} bytes, all bcrypt reads; ` +
          `use a shorter one\n`,
      );
      return 2;
    }
    try {
      input = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      await say("The password is not UTF-8 text, which the challenge announces\n");
      return 2;
    }
  }
  const checked = checkPassword(input);
  if ("kind" in checked) {
    await say(`${checked.message}\n`);
    return checked.exitCode;
  }
  // Imported here: the server's command line parser loads this module too, and never hashes.
  const { default: bcrypt } = await import("npm:bcryptjs@^3.0.3");
  const hash = await bcrypt.hash(checked.password, BCRYPT_COST);
  await writeAll(io.stdout, encoder.encode(`${hash}\n`));
  return 0;
}

/**
 * Reads stdin to its end, or null once it holds more than a password and its line break could
 * (so a file piped in by mistake is not read whole).
 */
async function readLimited(stdin: HashPasswordIo["stdin"]): Promise<Uint8Array | null> {
  const limit = MAX_PASSWORD_BYTES + "\r\n".length;
  const buf = new Uint8Array(limit + 1);
  let length = 0;
  while (length < buf.length) {
    const n = await stdin.read(buf.subarray(length));
    if (n === null) break;
    length += n;
  }
  return length > limit ? null : buf.subarray(0, length);
}

/**
 * Prompts on stderr and reads one line from a terminal without echo (raw mode, restored after);
 * Backspace deletes, Enter ends, Ctrl+C and Ctrl+D on an empty line give null.
 */
async function readHidden(io: HashPasswordIo, prompt: string): Promise<string | null> {
  await writeAll(io.stderr, encoder.encode(prompt));
  const bytes: number[] = [];
  const key = new Uint8Array(1);
  io.stdin.setRaw(true);
  try {
    while (true) {
      const n = await io.stdin.read(key);
      const b = key[0];
      if (n === null || b === KEY.interrupt || (b === KEY.endOfInput && bytes.length === 0)) {
        return null;
      }
      if (b === KEY.enter || b === KEY.newline) break;
      if (b === KEY.backspace || b === KEY.delete) {
        // Drop a whole UTF-8 character: its continuation bytes (10xxxxxx), then its first byte.
        let last = bytes.pop();
        while (last !== undefined && (last & 0xc0) === 0x80) last = bytes.pop();
        continue;
      }
      bytes.push(b);
    }
  } finally {
    io.stdin.setRaw(false);
    await writeAll(io.stderr, encoder.encode("\n"));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
