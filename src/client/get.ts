/**
 * `sockserve get`: a raw-TCP HTTP/1.1 client. It writes its own requests and reads responses
 * with the server's own parser (response mode) and chunked decoder, so it holds servers to the
 * same grammar sockserve keeps.
 *
 * Pure parts (request text, body classification, output path) are exported for tests, beside
 * the pure redirect rules (`redirect.ts`) and progress lines (`progress.ts`); `get` is the I/O
 * edge: connect, write, read, follow, print.
 *
 * @module
 */

import { isAbsolute, join } from "node:path";
import { bracketHost } from "../http/authority.ts";
import { writeAll } from "../io/full_io.ts";
import {
  CLIENT_READ_BUFFER_BYTES,
  MAX_REDIRECTS,
  PROGRESS_INTERVAL_MS,
  SNIFF_BYTES,
} from "../limits.ts";
import { CHUNKED_START, type ChunkedState, decodeChunked } from "../http/chunked.ts";
import type { Header } from "../http/head.ts";
import { formatSize } from "../units.ts";
import {
  parseResponseHead,
  type ResponseFraming,
  responseFraming,
  type ResponseHead,
} from "../http/response.ts";
import { makeRoom } from "../io/read_buffer.ts";
import { SERVER_NAME } from "../version.ts";
import { formatDuration, formatProgress, formatSaved } from "./progress.ts";
import {
  fieldsForOrigin,
  isSameOrigin,
  planRedirect,
  redirectMethod,
  type Target,
} from "./redirect.ts";

/**
 * Where the body goes: `show` prints it after the head on stdout (a binary body is withheld
 * from a terminal), `stdout` writes its bytes and nothing else to stdout (`-o -`), `file`
 * streams it to a file (`-o FILE`).
 */
export type BodyOutput =
  | { readonly kind: "show" }
  | { readonly kind: "stdout" }
  | { readonly kind: "file"; readonly path: string };

/** Which redirects to follow: none, the first origin's (`-L`), or any host's. */
export type FollowPolicy = "none" | "same-origin" | "any-host";

/** What `sockserve get` was asked to do (validated by `args.ts`). */
export interface GetOptions {
  /** The server's name or address (IPv6 without brackets). */
  readonly host: string;
  /** The server's port. */
  readonly port: number;
  /** The request-target, starting with `/`. */
  readonly path: string;
  /** `GET`, or `HEAD` for `-I`. */
  readonly method: "GET" | "HEAD";
  /** Extra request fields from `-H`, in order. */
  readonly headers: readonly Header[];
  /** Where the body goes. */
  readonly output: BodyOutput;
  /** Print only the body: no server address, status line or headers (`-b`). */
  readonly bodyOnly: boolean;
  /** Which redirects to follow (`-L`, `--location-any-host`). */
  readonly follow: FollowPolicy;
  /** Seconds without progress (connect, or any read) before giving up. */
  readonly timeoutS: number;
  /** Print the request sent, on stderr. */
  readonly verbose: boolean;
  /** Print the bytes exactly as received. */
  readonly raw: boolean;
  /** Send this many requests on one connection and report each. */
  readonly keep: number;
}

/** One request as `formatRequest` writes it. */
export type OutgoingRequest = Pick<GetOptions, "host" | "port" | "path" | "method" | "headers">;

/** Where `get` writes: stdout, stderr, and whether each is a terminal. */
export interface ClientIo {
  /** Where the response (or only its body) goes. */
  readonly stdout: { write(bytes: Uint8Array): Promise<number>; isTerminal(): boolean };
  /** Where requests with `-v`, progress and errors go. */
  readonly stderr: { write(bytes: Uint8Array): Promise<number>; isTerminal(): boolean };
}

/** A failure that ends `get` with exit code 2 and one line. */
export class ClientError extends Error {}

const encoder = new TextEncoder();

/**
 * Formats the request sockserve get sends (RFC 9112 §3): request line, Host, User-Agent,
 * Accept, the user's fields (a user Host replaces ours), and Connection.
 *
 * @param request Method, target, host, port and extra fields.
 * @param keepAlive Whether to ask for the connection to stay open.
 * @returns The request text.
 */
export function formatRequest(request: OutgoingRequest, keepAlive: boolean): string {
  const authority = bracketHost(request.host);
  const host = request.port === 80 ? authority : `${authority}:${request.port}`;
  const user = new Set(request.headers.map(([name]) => name.toLowerCase()));
  const fields: Header[] = [];
  if (!user.has("host")) fields.push(["Host", host]);
  if (!user.has("user-agent")) fields.push(["User-Agent", SERVER_NAME]);
  if (!user.has("accept")) fields.push(["Accept", "*/*"]);
  for (const field of request.headers) {
    if (field[0].toLowerCase() !== "connection") fields.push(field);
  }
  fields.push(["Connection", keepAlive ? "keep-alive" : "close"]);
  return `${request.method} ${request.path} HTTP/1.1\r\n` +
    fields.map(([name, value]) => `${name}: ${value}\r\n`).join("") + "\r\n";
}

/**
 * Returns whether a body is text that can go to a terminal: a textual Content-Type (or none)
 * and no NUL byte in its first bytes.
 *
 * @param contentType The Content-Type, if any.
 * @param firstBytes The start of the body.
 * @returns Whether to print it.
 */
export function isTextBody(contentType: string | undefined, firstBytes: Uint8Array): boolean {
  if (firstBytes.subarray(0, SNIFF_BYTES).includes(0)) return false;
  if (contentType === undefined) return true;
  const type = contentType.split(";")[0].trim().toLowerCase();
  return type.startsWith("text/") ||
    /^application\/(?:.+\+)?(?:json|xml|javascript|ecmascript)$/.test(type) ||
    type === "image/svg+xml" || type === "application/x-www-form-urlencoded";
}

/**
 * Resolves an `-o` path against the folder the user ran the command from. `deno task` runs
 * in the project folder but passes the user's folder as INIT_CWD (so does npm); without it the
 * path is left to the process's own working folder.
 *
 * @param path The `-o` value.
 * @param initCwd The INIT_CWD value, or null when unset or not readable.
 * @returns The path to open.
 * @example
 * ```ts
 * resolveOutputPath("out.bin", "/home/me/downloads"); // "/home/me/downloads/out.bin"
 * resolveOutputPath("/tmp/out.bin", "/home/me");       // "/tmp/out.bin"
 * resolveOutputPath("out.bin", null);                  // "out.bin"
 * ```
 */
export function resolveOutputPath(path: string, initCwd: string | null): string {
  if (initCwd === null || !isAbsolute(initCwd) || isAbsolute(path)) return path;
  return join(initCwd, path);
}

/**
 * Maps a status to the exit code: 0 for 1xx–3xx, 1 for 4xx and 5xx.
 */
export function exitCodeFor(status: number): 0 | 1 {
  return status >= 400 ? 1 : 0;
}

/** Reads from a connection with an idle timeout, keeping unconsumed bytes for the next step. */
class ResponseReader {
  readonly #conn: Deno.Conn;
  readonly #timeoutMs: number;
  readonly #onRaw: ((bytes: Uint8Array) => Promise<void>) | null;
  #buf = new Uint8Array(CLIENT_READ_BUFFER_BYTES);
  #start = 0;
  #end = 0;

  constructor(
    conn: Deno.Conn,
    timeoutMs: number,
    onRaw: ((bytes: Uint8Array) => Promise<void>) | null,
  ) {
    this.#conn = conn;
    this.#timeoutMs = timeoutMs;
    this.#onRaw = onRaw;
  }

  get pending(): Uint8Array {
    return this.#buf.subarray(this.#start, this.#end);
  }

  consume(n: number): void {
    this.#start += n;
  }

  /** Reads more bytes; false at end of stream. */
  async fill(): Promise<boolean> {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    const room = makeRoom(
      { buf: this.#buf, start: this.#start, end: this.#end },
      Number.MAX_SAFE_INTEGER, // the parser bounds heads; bodies are consumed as they arrive
    );
    if (room !== null) {
      this.#buf = room.buf;
      this.#start = room.start;
      this.#end = room.end;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) =>
      timer = setTimeout(() => resolve("timeout"), this.#timeoutMs)
    );
    const read = this.#conn.read(this.#buf.subarray(this.#end));
    read.catch(() => {});
    let n: number | null | "timeout";
    try {
      n = await Promise.race([read, timeout]);
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset) return false;
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (n === "timeout") {
      throw new ClientError(`Timed out: no data for ${this.#timeoutMs / 1000} s`);
    }
    if (n === null) return false;
    if (this.#onRaw) await this.#onRaw(this.#buf.subarray(this.#end, this.#end + n));
    this.#end += n;
    return true;
  }

  /** Reads the next final response head, skipping 1xx interim responses (RFC 9110 §15.2). */
  async readHead(): Promise<ResponseHead> {
    while (true) {
      let scanned = 0;
      let result = parseResponseHead(this.pending, scanned);
      while (result.kind === "partial") {
        scanned = result.scanned;
        if (!(await this.fill())) {
          throw new ClientError(
            this.pending.length === 0
              ? "The server closed the connection without a response"
              : "The server closed the connection in the middle of a response head",
          );
        }
        result = parseResponseHead(this.pending, scanned);
      }
      if (result.kind === "error") throw new ClientError(`Malformed response: ${result.reason}`);
      this.consume(result.consumed);
      if (result.head.status === 101) throw new ClientError("The server switched protocols (101)");
      if (result.head.status >= 200) return result.head;
    }
  }

  /**
   * Reads a body, handing each piece to `sink`.
   *
   * @throws ClientError when the body ends before its framing says it should.
   */
  async readBody(
    framing: ResponseFraming,
    sink: (bytes: Uint8Array) => Promise<void>,
  ): Promise<number> {
    let received = 0;
    if (framing.kind === "none") return 0;
    if (framing.kind === "length") {
      while (received < framing.length) {
        if (this.pending.length === 0 && !(await this.fill())) {
          throw new ClientError(
            `Response body truncated: got ${received} of ${framing.length} bytes`,
          );
        }
        const piece = this.pending.subarray(0, framing.length - received);
        this.consume(piece.length);
        received += piece.length;
        await sink(piece);
      }
      return received;
    }
    if (framing.kind === "close") {
      while (true) {
        if (this.pending.length > 0) {
          const piece = this.pending;
          this.consume(piece.length);
          received += piece.length;
          await sink(piece);
        }
        if (!(await this.fill())) return received;
      }
    }
    let state: ChunkedState = CHUNKED_START;
    while (true) {
      const step = decodeChunked(state, this.pending, Number.MAX_SAFE_INTEGER);
      if (step.kind === "error") throw new ClientError(`Malformed chunked body: ${step.reason}`);
      for (const piece of step.data) await sink(piece);
      this.consume(step.consumed);
      state = step.state;
      if (state.phase === "done") return state.received;
      if (!(await this.fill())) {
        throw new ClientError(`Chunked response body truncated after ${state.received} bytes`);
      }
    }
  }
}

/**
 * Runs `sockserve get`: connects, sends the request, follows redirects when asked, and prints
 * the final response (or, with `keep`, sends that many requests on one connection).
 *
 * @param options The validated options.
 * @param io Where output goes.
 * @returns The exit code: 0 for 2xx/3xx, 1 for 4xx/5xx.
 * @throws ClientError for connection, timeout, redirect and protocol failures (exit code 2).
 */
export async function get(options: GetOptions, io: ClientIo): Promise<number> {
  if (options.keep > 0) return await getRepeatedly(options, io);
  // Checked before connecting, so a file that cannot be written costs no request.
  const saveTo = options.output.kind === "file" ? prepareOutput(options.output.path) : null;
  const origin: Target = { host: options.host, port: options.port, path: options.path };
  let target = origin;
  let method = options.method;
  for (let redirects = 0;; redirects++) {
    const request = formatRequest({
      ...target,
      method,
      headers: fieldsForOrigin(options.headers, isSameOrigin(target, origin)),
    }, false);
    const conn = await connect(target, options.timeoutS);
    try {
      const reader = new ResponseReader(
        conn,
        options.timeoutS * 1000,
        options.raw ? async (bytes) => void await writeAll(io.stdout, bytes) : null,
      );
      if (options.verbose) await showRequest(request, io);
      await writeAll(conn, encoder.encode(request));
      const head = await reader.readHead();
      const framing = responseFraming(head, method);
      if ("status" in framing) throw new ClientError(`Malformed response: ${framing.reason}`);
      const plan = options.follow === "none" ? { kind: "final" as const } : planRedirect(
        head,
        target,
        { origin, anyHost: options.follow === "any-host" },
      );
      if (plan.kind === "final") {
        await showResponse({ conn, reader, head, framing }, { ...options, saveTo }, io);
        return exitCodeFor(head.status);
      }
      if (plan.kind === "refuse") throw new ClientError(plan.reason);
      if (redirects === MAX_REDIRECTS) {
        throw new ClientError(
          `Stopped after ${MAX_REDIRECTS} redirects (the limit); the next was to "${plan.url}"`,
        );
      }
      if (options.verbose) {
        await writeAll(
          io.stderr,
          encoder.encode(`< ${head.statusLine}\n< Location: ${plan.location}\n`),
        );
      }
      // The redirect's own body is not read: the request said Connection: close.
      target = plan.target;
      method = redirectMethod(head.status, method);
    } finally {
      conn.close();
    }
  }
}

/** Writes a request to stderr as `> ` lines (`-v`). */
async function showRequest(request: string, io: ClientIo): Promise<void> {
  const shown = request.trimEnd().split("\r\n").map((line) => `> ${line}\n`).join("");
  await writeAll(io.stderr, encoder.encode(shown + ">\n"));
}

/** A response whose head has been read, with the connection its body arrives on. */
interface Exchange {
  readonly conn: Deno.Conn;
  readonly reader: ResponseReader;
  readonly head: ResponseHead;
  readonly framing: ResponseFraming;
}

/** Prints the final response: address, status line and headers unless asked not to, then the body. */
async function showResponse(
  exchange: Exchange,
  options: GetOptions & { readonly saveTo: string | null },
  io: ClientIo,
) {
  const { conn, reader, head, framing } = exchange;
  const peer = conn.remoteAddr as Deno.NetAddr;
  const address = `Server address: ${bracketHost(peer.hostname)}:${peer.port}\n`;
  if (options.raw) {
    // The head and body bytes already go to stdout as they arrive.
    await writeAll(io.stderr, encoder.encode(address));
  } else if (!options.bodyOnly && options.output.kind !== "stdout") {
    const fields = head.fields.map(([n, v]) => `${n}: ${v}\n`).join("");
    await writeAll(io.stdout, encoder.encode(`${address}${head.statusLine}\n${fields}\n`));
  }
  switch (options.output.kind) {
    case "file":
      return await download(reader, framing, options.saveTo!, io);
    case "stdout":
      return await writeBodyToStdout(reader, framing, io);
    case "show":
      if (options.raw) return void await reader.readBody(framing, () => Promise.resolve());
      return await printBody(reader, framing, head, io);
  }
}

/** Sends `keep` requests on one connection and prints one line per response (`-k`). */
async function getRepeatedly(options: GetOptions, io: ClientIo): Promise<number> {
  const conn = await connect(options, options.timeoutS);
  try {
    const peer = conn.remoteAddr as Deno.NetAddr;
    const address = `Server address: ${bracketHost(peer.hostname)}:${peer.port}\n`;
    await writeAll(options.raw ? io.stderr : io.stdout, encoder.encode(address));
    const reader = new ResponseReader(
      conn,
      options.timeoutS * 1000,
      options.raw ? async (bytes) => void await writeAll(io.stdout, bytes) : null,
    );
    let exitCode = 0;
    for (let i = 1; i <= options.keep; i++) {
      const request = formatRequest(options, i < options.keep);
      if (options.verbose) await showRequest(request, io);
      await writeAll(conn, encoder.encode(request));
      const head = await reader.readHead();
      const framing = responseFraming(head, options.method);
      if ("status" in framing) throw new ClientError(`Malformed response: ${framing.reason}`);
      exitCode = Math.max(exitCode, exitCodeFor(head.status));
      const bytes = await reader.readBody(framing, () => Promise.resolve());
      if (!options.raw) {
        await writeAll(
          io.stdout,
          encoder.encode(`#${i} ${head.statusLine} (${bytes} body bytes)\n`),
        );
      }
      const closes = (head.headers.get("connection") ?? "").toLowerCase().includes("close");
      if (closes && i < options.keep) {
        throw new ClientError(`The server closed the connection after request ${i}`);
      }
    }
    return exitCode;
  } finally {
    conn.close();
  }
}

/** Connects with the timeout, turning the usual failures into one-line errors. */
async function connect(target: Target, timeoutS: number): Promise<Deno.Conn> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const where = `${bracketHost(target.host)}:${target.port}`;
  const attempt = Deno.connect({ hostname: target.host, port: target.port });
  // A connection that completes after the timeout must not leak.
  attempt.then((conn) => timedOut && conn.close(), () => {});
  const timeout = new Promise<never>((_, reject) =>
    timer = setTimeout(() => {
      timedOut = true;
      reject(new ClientError(`Timed out connecting to ${where}`));
    }, timeoutS * 1000)
  );
  try {
    return await Promise.race([attempt, timeout]);
  } catch (error) {
    if (error instanceof ClientError) throw error;
    if (error instanceof Deno.errors.ConnectionRefused) {
      throw new ClientError(`Connection refused by ${where}`);
    }
    if (error instanceof Deno.errors.NotCapable) {
      throw new ClientError(`Network access is not granted: add --allow-net=${target.host}`);
    }
    const message = (error as Error).message;
    if (/lookup|resolve|name or service|nodename|dns/i.test(message)) {
      throw new ClientError(`Cannot resolve host "${target.host}"`);
    }
    throw new ClientError(`Cannot connect to ${where}: ${message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Prints a body to stdout, unless it is binary and stdout is a terminal. */
async function printBody(
  reader: ResponseReader,
  framing: ResponseFraming,
  head: ResponseHead,
  io: ClientIo,
) {
  const type = head.headers.get("content-type");
  const terminal = io.stdout.isTerminal();
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  let decided: "print" | "count" | null = terminal ? null : "print";
  const total = await reader.readBody(framing, async (piece) => {
    if (decided === "print") return void await writeAll(io.stdout, piece);
    if (decided === "count") return;
    held.push(piece.slice());
    heldBytes += piece.length;
    if (heldBytes >= SNIFF_BYTES) {
      decided = isTextBody(type, concat(held)) ? "print" : "count";
      if (decided === "print") await writeAll(io.stdout, concat(held));
      held = [];
    }
  });
  if (decided === null) {
    const body = concat(held);
    decided = isTextBody(type, body) ? "print" : "count";
    if (decided === "print") await writeAll(io.stdout, body);
  }
  if (decided === "count") {
    await writeAll(
      io.stdout,
      encoder.encode(
        `[${total} bytes of ${type ?? "unknown type"}; use -o FILE to save, -o - to print]\n`,
      ),
    );
  }
}

/**
 * A progress bar on stderr, redrawn at most every PROGRESS_INTERVAL_MS. It moves the cursor
 * only with `\r` and overwrites with spaces, so it needs no escape sequence (and has no colour
 * for NO_COLOR to remove), and works on any terminal.
 */
class ProgressBar {
  readonly #stderr: ClientIo["stderr"];
  readonly #total: number | null;
  readonly #columns: number;
  readonly started = performance.now();
  #lastDraw = -Infinity;
  #drawn = 0;

  constructor(stderr: ClientIo["stderr"], total: number | null) {
    this.#stderr = stderr;
    this.#total = total;
    let columns = 0;
    try {
      columns = Deno.consoleSize().columns;
    } catch {
      // Not a terminal after all: formatProgress assumes a width.
    }
    this.#columns = columns;
  }

  /** Redraws the bar if the interval has passed since the last drawing. */
  async update(received: number): Promise<void> {
    const now = performance.now();
    if (now - this.#lastDraw < PROGRESS_INTERVAL_MS) return;
    this.#lastDraw = now;
    const line = formatProgress(received, this.#total, {
      elapsedMs: now - this.started,
      columns: this.#columns,
    });
    const erase = " ".repeat(Math.max(0, this.#drawn - line.length));
    this.#drawn = line.length;
    await writeAll(this.#stderr, encoder.encode(`\r${line}${erase}`));
  }

  /** Erases the bar, leaving the cursor at the start of its empty line. */
  async clear(): Promise<void> {
    if (this.#drawn === 0) return;
    await writeAll(this.#stderr, encoder.encode(`\r${" ".repeat(this.#drawn)}\r`));
    this.#drawn = 0;
  }
}

/**
 * Reads INIT_CWD, the folder `deno task` (or npm) was started from, if the permission to read
 * it was granted. The permission is queried rather than requested, so a plain `deno run`
 * never stops to prompt for it.
 */
function readInitCwd(): string | null {
  const state = Deno.permissions.querySync({ name: "env", variable: "INIT_CWD" }).state;
  if (state !== "granted") return null;
  return Deno.env.get("INIT_CWD") || null;
}

/**
 * Resolves the `-o` path against the user's folder and checks that it may be written, without
 * prompting: a refusal names what to do instead.
 *
 * @throws ClientError when write access to the path is not granted.
 */
function prepareOutput(output: string): string {
  const initCwd = readInitCwd();
  const path = resolveOutputPath(output, initCwd);
  if (Deno.permissions.querySync({ name: "write", path }).state === "granted") return path;
  throw new ClientError(
    initCwd === null
      ? `Write access to "${path}" is not granted: add --allow-write=${path}`
      : `Write access to "${path}" is not granted: deno task get writes only inside "${initCwd}", where it was started (or run main.ts with --allow-write=${path})`,
  );
}

/**
 * Streams a body to a file, and removes the file if the body does not arrive complete, so a
 * truncated download never looks like a finished one; ends with a `saved …` line on stderr.
 * (Writing to `FILE.part` and renaming would need read permission too; the client asks only
 * for write.)
 */
async function download(
  reader: ResponseReader,
  framing: ResponseFraming,
  path: string,
  io: ClientIo,
) {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (error) {
    throw new ClientError(`Cannot write "${path}": ${(error as Error).message}`);
  }
  const total = framing.kind === "length" ? framing.length : null;
  const bar = io.stderr.isTerminal() ? new ProgressBar(io.stderr, total) : null;
  const started = performance.now();
  let received = 0;
  let ok = false;
  try {
    await reader.readBody(framing, async (piece) => {
      await writeAll(file, piece);
      received += piece.length;
      await bar?.update(received);
    });
    ok = true;
  } finally {
    file.close();
    await bar?.clear();
    if (!ok) await Deno.remove(path).catch(() => {});
  }
  const elapsedMs = performance.now() - started;
  await writeAll(
    io.stderr,
    encoder.encode(`${formatSaved(path, { bytes: received, elapsedMs })}\n`),
  );
}

/**
 * Writes a body's bytes to stdout and nothing else (`-o -`), even to a terminal: asking for
 * `-o -` is asking for the bytes, as with curl. The bar is drawn only when stderr is a
 * terminal and stdout is not, so it never mixes with the body on one screen.
 */
async function writeBodyToStdout(reader: ResponseReader, framing: ResponseFraming, io: ClientIo) {
  const total = framing.kind === "length" ? framing.length : null;
  const bar = io.stderr.isTerminal() && !io.stdout.isTerminal()
    ? new ProgressBar(io.stderr, total)
    : null;
  let received = 0;
  try {
    await reader.readBody(framing, async (piece) => {
      await writeAll(io.stdout, piece);
      received += piece.length;
      await bar?.update(received);
    });
  } finally {
    await bar?.clear();
  }
  if (bar !== null) {
    const elapsed = formatDuration(performance.now() - bar.started);
    await writeAll(
      io.stderr,
      encoder.encode(`wrote ${formatSize(received)} to stdout in ${elapsed}\n`),
    );
  }
}

function concat(pieces: readonly Uint8Array[]): Uint8Array {
  const all = new Uint8Array(pieces.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const piece of pieces) {
    all.set(piece, at);
    at += piece.length;
  }
  return all;
}
