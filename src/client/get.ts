/**
 * `sockserve get`: a raw-TCP HTTP/1.1 client. It writes its own requests and reads responses
 * with the server's own parser (response mode) and chunked decoder, so it holds servers to the
 * same grammar sockserve keeps.
 *
 * Pure parts (request text, body classification, progress line) are exported for tests; `get`
 * is the I/O edge: connect, write, read, print.
 *
 * @module
 */

import { bracketHost } from "../http/authority.ts";
import { writeAll } from "../io/full_io.ts";
import { CLIENT_READ_BUFFER_BYTES, PROGRESS_INTERVAL_MS, SNIFF_BYTES } from "../limits.ts";
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

/** What `sockserve get` was asked to do (validated by `cli.ts`). */
export interface GetOptions {
  readonly host: string;
  readonly port: number;
  /** The request-target, starting with `/`. */
  readonly path: string;
  readonly method: "GET" | "HEAD";
  /** Extra request fields from `-H`, in order. */
  readonly headers: readonly Header[];
  /** Write the body to this file instead of stdout. */
  readonly output: string | null;
  /** Seconds without progress (connect, or any read) before giving up. */
  readonly timeoutS: number;
  /** Print the request sent, on stderr. */
  readonly verbose: boolean;
  /** Print the bytes exactly as received. */
  readonly raw: boolean;
  /** Send this many requests on one connection and report each. */
  readonly keep: number;
}

/** Where `get` writes: stdout, stderr, and whether each is a terminal. */
export interface ClientIo {
  readonly stdout: { write(bytes: Uint8Array): Promise<number>; isTerminal(): boolean };
  readonly stderr: { write(bytes: Uint8Array): Promise<number>; isTerminal(): boolean };
}

/** A failure that ends `get` with exit code 2 and one line. */
export class ClientError extends Error {}

const encoder = new TextEncoder();

/**
 * Formats the request sockserve get sends (RFC 9112 §3): request line, Host, User-Agent,
 * Accept, the user's fields (a user Host replaces ours), and Connection.
 *
 * @param options Method, target, host, port and extra fields.
 * @param keepAlive Whether to ask for the connection to stay open.
 * @returns The request text.
 */
export function formatRequest(options: GetOptions, keepAlive: boolean): string {
  const authority = bracketHost(options.host);
  const host = options.port === 80 ? authority : `${authority}:${options.port}`;
  const user = new Set(options.headers.map(([name]) => name.toLowerCase()));
  const fields: Header[] = [];
  if (!user.has("host")) fields.push(["Host", host]);
  if (!user.has("user-agent")) fields.push(["User-Agent", SERVER_NAME]);
  if (!user.has("accept")) fields.push(["Accept", "*/*"]);
  for (const field of options.headers) {
    if (field[0].toLowerCase() !== "connection") fields.push(field);
  }
  fields.push(["Connection", keepAlive ? "keep-alive" : "close"]);
  return `${options.method} ${options.path} HTTP/1.1\r\n` +
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
 * Formats the progress line of a download: bytes, percent when the length is known, and rate.
 *
 * @param received Bytes so far.
 * @param total Expected bytes, or null.
 * @param elapsedMs Time since the body started.
 * @returns One line without a line break.
 */
export function formatProgress(received: number, total: number | null, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? received / (elapsedMs / 1000) : 0;
  const amount = total === null
    ? formatSize(received)
    : `${formatSize(received)} / ${formatSize(total)}`;
  const percent = total === null || total === 0 ? "" : `  ${Math.floor((received / total) * 100)}%`;
  return `${amount}${percent}  ${formatSize(Math.round(rate))}/s`;
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
 * Runs `sockserve get`: connects, sends the request (or `keep` of them), prints the peer, status
 * line, headers and body.
 *
 * @param options The validated options.
 * @param io Where output goes.
 * @returns The exit code: 0 for 2xx/3xx, 1 for 4xx/5xx.
 * @throws ClientError for connection, timeout and protocol failures (exit code 2).
 */
export async function get(options: GetOptions, io: ClientIo): Promise<number> {
  const conn = await connect(options);
  try {
    const peer = conn.remoteAddr as Deno.NetAddr;
    const out = (text: string) => writeAll(io.stdout, encoder.encode(text));
    const peerText = `${bracketHost(peer.hostname)}:${peer.port}`;
    if (options.raw) await writeAll(io.stderr, encoder.encode(`Server address: ${peerText}\n`));
    else await out(`Server address: ${peerText}\n`);
    const reader = new ResponseReader(
      conn,
      options.timeoutS * 1000,
      options.raw ? async (bytes) => void await writeAll(io.stdout, bytes) : null,
    );
    let exitCode = 0;
    const rounds = Math.max(1, options.keep);
    for (let i = 1; i <= rounds; i++) {
      const request = formatRequest(options, i < rounds);
      if (options.verbose) {
        const shown = request.trimEnd().split("\r\n").map((line) => `> ${line}\n`).join("");
        await writeAll(io.stderr, encoder.encode(shown + ">\n"));
      }
      await writeAll(conn, encoder.encode(request));
      const head = await reader.readHead();
      const framing = responseFraming(head, options.method);
      if ("status" in framing) throw new ClientError(`Malformed response: ${framing.reason}`);
      exitCode = Math.max(exitCode, exitCodeFor(head.status));
      if (options.keep > 0) {
        const bytes = await reader.readBody(framing, () => Promise.resolve());
        if (!options.raw) await out(`#${i} ${head.statusLine} (${bytes} body bytes)\n`);
        const closes = (head.headers.get("connection") ?? "").toLowerCase().includes("close");
        if (closes && i < rounds) {
          throw new ClientError(`The server closed the connection after request ${i}`);
        }
        continue;
      }
      if (!options.raw) {
        await out(`${head.statusLine}\n${head.fields.map(([n, v]) => `${n}: ${v}\n`).join("")}\n`);
      }
      if (options.output !== null) {
        await download(reader, framing, options.output, io);
      } else if (options.raw) {
        await reader.readBody(framing, () => Promise.resolve());
      } else {
        await printBody(reader, framing, head, io);
      }
    }
    return exitCode;
  } finally {
    conn.close();
  }
}

/** Connects with the timeout, turning the usual failures into one-line errors. */
async function connect(options: GetOptions): Promise<Deno.Conn> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const attempt = Deno.connect({ hostname: options.host, port: options.port });
  // A connection that completes after the timeout must not leak.
  attempt.then((conn) => timedOut && conn.close(), () => {});
  const timeout = new Promise<never>((_, reject) =>
    timer = setTimeout(() => {
      timedOut = true;
      reject(new ClientError(`Timed out connecting to ${options.host}:${options.port}`));
    }, options.timeoutS * 1000)
  );
  try {
    return await Promise.race([attempt, timeout]);
  } catch (error) {
    if (error instanceof ClientError) throw error;
    const where = `${options.host}:${options.port}`;
    if (error instanceof Deno.errors.ConnectionRefused) {
      throw new ClientError(`Connection refused by ${where}`);
    }
    if (error instanceof Deno.errors.NotCapable) {
      throw new ClientError(`Network access is not granted: add --allow-net=${options.host}`);
    }
    const message = (error as Error).message;
    if (/lookup|resolve|name or service|nodename|dns/i.test(message)) {
      throw new ClientError(`Cannot resolve host "${options.host}"`);
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
      encoder.encode(`[${total} bytes of ${type ?? "unknown type"}; use -o FILE to save]\n`),
    );
  }
}

/**
 * Streams a body to a file, and removes the file if the body does not arrive complete, so a
 * truncated download never looks like a finished one. (Writing to `FILE.part` and renaming
 * would need read permission too; the client asks only for write.)
 */
async function download(
  reader: ResponseReader,
  framing: ResponseFraming,
  path: string,
  io: ClientIo,
) {
  const total = framing.kind === "length" ? framing.length : null;
  const progress = io.stderr.isTerminal();
  const started = performance.now();
  let lastDraw = 0;
  let received = 0;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) {
      throw new ClientError(`Write access to "${path}" is not granted: add --allow-write=${path}`);
    }
    throw new ClientError(`Cannot write "${path}": ${(error as Error).message}`);
  }
  let ok = false;
  try {
    await reader.readBody(framing, async (piece) => {
      await writeAll(file, piece);
      received += piece.length;
      const now = performance.now();
      if (progress && now - lastDraw >= PROGRESS_INTERVAL_MS) {
        lastDraw = now;
        await writeAll(
          io.stderr,
          encoder.encode(`\r\x1b[K${formatProgress(received, total, now - started)}`),
        );
      }
    });
    ok = true;
  } finally {
    file.close();
    if (progress) {
      const line = ok
        ? `\r\x1b[K${formatProgress(received, total, performance.now() - started)}\n`
        : "\n";
      await writeAll(io.stderr, encoder.encode(line));
    }
    if (!ok) await Deno.remove(path).catch(() => {});
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
