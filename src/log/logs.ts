/**
 * The logs that watch every response: `HTTPResponses.txt` (each head as sent), `SocketOutput.csv`
 * (one row per response with the socket 4-tuple) and the console access lines.
 *
 * Formatting is pure. {@linkcode LogWriter} is the one I/O piece: responses only append records
 * to memory; a timer (or a size threshold) turns a batch into text and appends it to the files,
 * so serving never waits for the disk, and {@linkcode LogWriter.close} flushes everything.
 *
 * @module
 */

import { stringify } from "csv-stringify/sync";
import {
  LOG_FLUSH_INTERVAL_MS,
  LOG_FLUSH_THRESHOLD_BYTES,
  MAX_LOGGED_LINE_CHARS,
  MAX_PENDING_LOG_BYTES,
} from "../limits.ts";
import type { Status } from "../http/status.ts";

/** Name of the response-head log in the log dir. */
export const RESPONSES_FILE = "HTTPResponses.txt";
/** Name of the socket CSV log in the log dir. */
export const SOCKETS_FILE = "SocketOutput.csv";

/** The CSV columns, in order; written as the first row of a new file. */
export const CSV_COLUMNS = [
  "time",
  "server_ip",
  "server_port",
  "client_ip",
  "client_port",
  "connection_id",
  "request_on_connection",
  "method",
  "target",
  "version",
  "status",
  "body_bytes",
  "duration_ms",
] as const;

/** An address of one end of a TCP connection. */
export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

/**
 * The status written for a response of which not one byte was sent (the client left first), as
 * nginx logs it: 499, "client closed request".
 */
export const NOT_SENT = 499;

/** A response's status in the logs: the one sent, or {@linkcode NOT_SENT}. */
export type LoggedStatus = Status | typeof NOT_SENT;

/** Everything the logs record about one response. */
export interface ResponseRecord {
  /** When the request head was complete, in ms since the epoch. */
  readonly time: number;
  readonly server: Endpoint;
  readonly client: Endpoint;
  /** Sequence number of the connection since the server started, from 1. */
  readonly connectionId: number;
  /** Sequence number of this request on its connection, from 1. */
  readonly requestOnConnection: number;
  /** Method, target and version as received; `-` when the request could not be parsed. */
  readonly method: string;
  readonly target: string;
  readonly version: string;
  /** The request line (or a printable excerpt of what arrived instead). */
  readonly requestLine: string;
  readonly status: LoggedStatus;
  /**
   * The status line and header block exactly as sent, ending with CRLF CRLF; null when nothing
   * was sent (then HTTPResponses.txt gets no entry: it holds heads that went out).
   */
  readonly head: string | null;
  /** Body bytes actually written. */
  readonly bodyBytes: number;
  /** From the complete request head to the last byte written. */
  readonly durationMs: number;
}

/**
 * Formats an endpoint as `ip:port`, bracketing IPv6 addresses (RFC 3986 §3.2.2).
 *
 * @param endpoint The address.
 * @returns E.g. `127.0.0.1:8080` or `[::1]:8080`.
 */
export function formatEndpoint(endpoint: Endpoint): string {
  let text = endpointTexts.get(endpoint);
  if (text === undefined) {
    text = endpoint.ip.includes(":")
      ? `[${endpoint.ip}]:${endpoint.port}`
      : `${endpoint.ip}:${endpoint.port}`;
    endpointTexts.set(endpoint, text);
  }
  return text;
}

/** Endpoints are one object per connection end, logged on every response: format each once. */
const endpointTexts = new WeakMap<Endpoint, string>();

let lastIsoMs = NaN;
let lastIso = "";

/**
 * Formats a time as ISO 8601 in UTC, reusing the previous answer for the same millisecond
 * (consecutive log rows usually share it).
 *
 * @param ms Milliseconds since the epoch.
 * @returns E.g. `2026-11-21T12:00:00.123Z`.
 */
export function formatIsoTime(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIsoMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** Escapes `\` and `"` so a request line can sit between quotes on one log line. */
function quoteLine(line: string): string {
  if (!line.includes('"') && !line.includes("\\")) return `"${line}"`;
  return `"${line.replace(/[\\"]/g, (c) => "\\" + c)}"`;
}

/**
 * Formats one `HTTPResponses.txt` entry: a `#` line naming time, client, server and request,
 * then the head exactly as sent (its final empty line separates entries).
 *
 * @param record The response.
 * @returns The entry text.
 */
export function formatResponseEntry(record: ResponseRecord): string {
  if (record.head === null) return "";
  return `# ${formatIsoTime(record.time)} ${formatEndpoint(record.client)} -> ${
    formatEndpoint(record.server)
  } ${quoteLine(record.requestLine)}\n${record.head}`;
}

/**
 * Formats CSV rows (RFC 4180 quoting by `csv-stringify`), one per record.
 *
 * @param records The responses.
 * @param withHeader Start with the column row (for a new file).
 * @returns CSV text ending with a line break.
 */
export function formatCsvRows(records: readonly ResponseRecord[], withHeader = false): string {
  let text = withHeader ? stringify([CSV_COLUMNS], CSV_OPTIONS) : "";
  for (const record of records) {
    // Times, addresses and numbers never need quoting; method, target and version come from
    // the client and go through the CSV library whenever they hold a character it would quote.
    text += `${formatIsoTime(record.time)},${record.server.ip},${record.server.port},` +
      `${record.client.ip},${record.client.port},${record.connectionId},` +
      `${record.requestOnConnection},${csvValue(record.method)},${csvValue(record.target)},` +
      `${csvValue(record.version)},${record.status},${record.bodyBytes},` +
      `${record.durationMs.toFixed(3)}\n`;
  }
  return text;
}

/** RFC 4180 with unix line ends; a lone CR is quoted too, as some spreadsheets break rows on it. */
const CSV_OPTIONS = { eof: true, record_delimiter: "unix", quoted_match: /[\r;]/ } as const;

/**
 * Characters that make the CSV library quote a field: delimiter, quote, record delimiters, and
 * the `;` spreadsheets use as delimiter in many locales (a cell `x;=1` must stay one text cell).
 */
const NEEDS_QUOTING = /[",;\r\n]/;

/**
 * A first character that makes a spreadsheet read a cell as a formula (OWASP CSV injection):
 * `=HYPERLINK(...)` sent as a method must stay text when SocketOutput.csv is opened.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One client-controlled CSV field: a would-be formula gets a leading `'` (the spreadsheet
 * convention for "text"; the lone `-` of an unparsed request is not a formula), then it is left
 * as is when the library would not quote it, else the library quotes it.
 *
 * @param value The field as received.
 * @returns The field as written.
 */
export function csvValue(value: string): string {
  const safe = FORMULA_START.test(value) && value !== "-" ? "'" + value : value;
  return NEEDS_QUOTING.test(safe) ? stringify([[safe]], { ...CSV_OPTIONS, eof: false }) : safe;
}

const STATUS_COLOURS: readonly [number, string][] = [[500, "31"], [400, "33"], [300, "36"], [
  200,
  "32",
]];

/**
 * Formats the console access line of a response.
 *
 * @param record The response.
 * @param colour Colour the status with ANSI codes (only on a terminal, never with NO_COLOR).
 * @returns One line without a line break.
 */
export function formatAccessLine(record: ResponseRecord, colour: boolean): string {
  const code = STATUS_COLOURS.find(([min]) => record.status >= min)?.[1] ?? "0";
  const status = colour ? `\x1b[${code}m${record.status}\x1b[0m` : String(record.status);
  return `${formatIsoTime(record.time)} ${formatEndpoint(record.client)} ${
    quoteLine(record.requestLine)
  } ${status} ${record.bodyBytes} ${record.durationMs.toFixed(1)}ms`;
}

/** What the logs can say about a request that could not be parsed. */
export interface UnparsedRequest {
  readonly requestLine: string;
  readonly method: string;
  readonly target: string;
  readonly version: string;
}

/**
 * Salvages a printable request line from bytes that failed to parse: the first line, cut to
 * {@linkcode MAX_LOGGED_LINE_CHARS}, with non-printable bytes as `\xHH` so hostile bytes cannot
 * forge log lines or terminal escapes.
 *
 * @param bytes What the client sent.
 * @returns The excerpt, and method/target/version when it has three parts, else `-`.
 */
export function describeUnparsed(bytes: Uint8Array): UnparsedRequest {
  let start = 0;
  while (bytes[start] === 0x0d || bytes[start] === 0x0a) start++;
  let line = "";
  for (let i = start; i < bytes.length && line.length < MAX_LOGGED_LINE_CHARS; i++) {
    const b = bytes[i];
    if (b === 0x0d || b === 0x0a) break;
    line += b >= 0x20 && b < 0x7f
      ? String.fromCharCode(b)
      : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  const parts = line.split(" ");
  return parts.length === 3 && parts.every((p) => p !== "")
    ? { requestLine: line, method: parts[0], target: parts[1], version: parts[2] }
    : { requestLine: line, method: "-", target: "-", version: "-" };
}

/** Where a server's responses and console lines go: the writer itself, or a worker's relay. */
export interface LogSink {
  /** Records a response in both logs. */
  record(record: ResponseRecord): void;
  /** Queues a console line (no line break). */
  line(text: string): void;
  /** Writes (or hands on) everything recorded so far. */
  flush(): Promise<void>;
  /** Flushes and stops; later records are still accepted and need another flush. */
  close(): Promise<void>;
}

/**
 * Log entries formatted and encoded elsewhere (a worker), appended whole so entries never
 * interleave. The bytes travel by transfer, not by copy.
 */
export interface LogBatch {
  readonly responses: Uint8Array<ArrayBuffer>;
  readonly sockets: Uint8Array<ArrayBuffer>;
  readonly lines: readonly string[];
}

/**
 * Collects a worker's log text and hands it to `send` in batches (every
 * {@linkcode LOG_FLUSH_INTERVAL_MS}, or sooner past {@linkcode LOG_FLUSH_THRESHOLD_BYTES}), for
 * the one {@linkcode LogWriter} in the main isolate to append.
 */
export class LogRelay implements LogSink {
  readonly #send: (batch: LogBatch, transfer: ArrayBuffer[]) => void;
  readonly #pending: PendingLogs;

  /**
   * @param send Posts a batch to the writer, transferring the listed buffers.
   * @param console Whether console lines are wanted.
   */
  constructor(send: (batch: LogBatch, transfer: ArrayBuffer[]) => void, console: boolean) {
    this.#send = send;
    this.#pending = new PendingLogs(console, () => void this.flush());
  }

  record(record: ResponseRecord): void {
    this.#pending.record(record);
  }

  line(text: string): void {
    this.#pending.line(text);
  }

  flush(): Promise<void> {
    const text = this.#pending.take();
    if (text !== null) {
      // Encoded here, so the writer's isolate gets bytes it can append as they are.
      const responses = encoder.encode(text.responses);
      const sockets = encoder.encode(text.sockets);
      this.#send({ responses, sockets, lines: text.lines }, [responses.buffer, sockets.buffer]);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return this.flush();
  }
}

/** Log text taken from {@linkcode PendingLogs}: both files' entries and the console lines. */
interface PendingText {
  readonly responses: string;
  readonly sockets: string;
  readonly lines: readonly string[];
}

/**
 * Log text waiting to be written, and the rule for when it is due: after
 * {@linkcode LOG_FLUSH_INTERVAL_MS}, or at once past {@linkcode LOG_FLUSH_THRESHOLD_BYTES}.
 * Appending to a string builds a rope in O(1); it is flattened once, when taken.
 */
class PendingLogs {
  readonly #console: boolean;
  readonly #due: () => void;
  #responses = "";
  #sockets = "";
  #lines: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #dropped = 0;

  /**
   * @param console Whether console lines are kept.
   * @param due Called when the text should be written.
   */
  constructor(console: boolean, due: () => void) {
    this.#console = console;
    this.#due = due;
  }

  /** Formats a response into both logs' text. */
  record(record: ResponseRecord): void {
    this.append(formatResponseEntry(record), formatCsvRows([record]), []);
  }

  /** Adds a console line, if console lines are kept. */
  line(text: string): void {
    if (!this.#console) return;
    this.#lines.push(text);
    this.#schedule();
  }

  /** Adds text formatted elsewhere, whole. */
  append(responses: string, sockets: string, lines: readonly string[]): void {
    // Past the bound the disk is not keeping up (or hangs): drop, count, and say so later,
    // rather than grow without limit.
    if (this.#responses.length + this.#sockets.length > MAX_PENDING_LOG_BYTES) {
      this.#dropped++;
      return;
    }
    this.#responses += responses;
    this.#sockets += sockets;
    if (this.#console && lines.length > 0) this.#lines.push(...lines);
    this.#schedule();
  }

  /** Takes the count of records dropped since the last call. */
  takeDropped(): number {
    const dropped = this.#dropped;
    this.#dropped = 0;
    return dropped;
  }

  /** Takes everything pending (null when there is nothing) and cancels the timer. */
  take(): PendingText | null {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#responses.length === 0 && this.#sockets.length === 0 && this.#lines.length === 0) {
      return null;
    }
    const batch = { responses: this.#responses, sockets: this.#sockets, lines: this.#lines };
    this.#responses = this.#sockets = "";
    this.#lines = [];
    return batch;
  }

  /** Asks for a later call of `due` (a retry after a failed write). */
  retryLater(delayMs: number): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#due();
    }, delayMs);
  }

  #schedule(): void {
    if (this.#responses.length + this.#sockets.length >= LOG_FLUSH_THRESHOLD_BYTES) {
      this.#due();
    } else {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#due();
      }, LOG_FLUSH_INTERVAL_MS);
    }
  }
}

/** Options for {@linkcode LogWriter}. */
export interface LogWriterOptions {
  /** Where console lines go; `null` for none. */
  readonly console?: ((text: string) => Promise<void>) | null;
  /** Where warnings go (once per failure streak). */
  readonly warn?: (message: string) => void;
  /** Opens the two files for appending (tests inject failing disks). @default openLogFiles */
  readonly open?: (dir: string) => Promise<LogFiles>;
}

/**
 * Appends response records to the two log files (and lines to the console) off the hot path:
 * each record is formatted when it is recorded (so no record object outlives its response),
 * and the text is encoded and written every {@linkcode LOG_FLUSH_INTERVAL_MS}, or sooner when
 * it passes {@linkcode LOG_FLUSH_THRESHOLD_BYTES}.
 */
export class LogWriter implements LogSink {
  readonly #dir: string;
  readonly #console: ((text: string) => Promise<void>) | null;
  readonly #warn: (message: string) => void;
  readonly #pending: PendingLogs;
  readonly #open: (dir: string) => Promise<LogFiles>;
  /** Bytes not yet in HTTPResponses.txt, oldest first; the first may be partly written. */
  readonly #responses = new AppendQueue(responseEntryStart);
  /** Bytes not yet in SocketOutput.csv, likewise. */
  readonly #sockets = new AppendQueue(csvRowStart);
  #flushing: Promise<void> = Promise.resolve();
  /** A flush is queued and has not started: more records join it instead of queueing another. */
  #queued = false;
  #failing = false;
  #closed = false;
  /** Unwritten chunks dropped (oldest unstarted first) while the log dir stayed unwritable. */
  #lostBatches = 0;
  #consoleQueue: string[] = [];
  #consoleBusy = false;
  #consoleDropped = 0;
  #consoleWriting: Promise<void> = Promise.resolve();

  /**
   * @param dir The log dir; it must exist.
   * @param options Console sink and warning sink.
   */
  constructor(dir: string, options: LogWriterOptions = {}) {
    this.#dir = dir;
    this.#console = options.console ?? null;
    this.#warn = options.warn ?? ((message) => console.error(message));
    this.#open = options.open ?? openLogFiles;
    this.#pending = new PendingLogs(this.#console !== null, () => void this.flush());
  }

  /** Formats a response into both logs' pending text. */
  record(record: ResponseRecord): void {
    this.#pending.record(record);
  }

  /** Queues a console line (no line break). */
  line(text: string): void {
    this.#pending.line(text);
  }

  /** Appends a batch formatted by a worker's {@linkcode LogRelay}, whole. */
  append(batch: LogBatch): void {
    if (batch.lines.length > 0) this.#writeConsole(batch.lines);
    // Past the bound the disk is not keeping up: drop whole batches and say so later.
    if (this.#responses.pending + this.#sockets.pending > MAX_PENDING_LOG_BYTES) {
      this.#lostBatches++;
      return;
    }
    this.#responses.push(batch.responses);
    this.#sockets.push(batch.sockets);
    void this.flush();
  }

  /** Writes everything recorded so far; resolves when it is on disk (or has failed and warned). */
  flush(): Promise<void> {
    if (this.#queued) return this.#flushing;
    this.#queued = true;
    this.#flushing = this.#flushing.then(() => {
      this.#queued = false;
      return this.#writeBatch();
    });
    return this.#flushing;
  }

  /** Flushes everything and stops retrying; later records are still written by `flush()`. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    // A console nobody reads must not hold the exit hostage: wait for it, but not forever.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#consoleWriting,
      new Promise((resolve) => timer = setTimeout(resolve, CONSOLE_CLOSE_WAIT_MS)),
    ]);
    clearTimeout(timer);
  }

  /**
   * Writes console lines without ever holding up the log files: while a console write is
   * pending (stdout piped to a reader that stopped reading), new lines wait in a bounded queue
   * and the excess is dropped and counted.
   */
  #writeConsole(lines: readonly string[]): void {
    if (this.#console === null) return;
    const room = MAX_PENDING_CONSOLE_LINES - this.#consoleQueue.length;
    if (lines.length > room) this.#consoleDropped += lines.length - Math.max(room, 0);
    if (room > 0) this.#consoleQueue.push(...lines.slice(0, room));
    if (this.#consoleBusy) return;
    this.#consoleBusy = true;
    const write = this.#console;
    this.#consoleWriting = (async () => {
      while (this.#consoleQueue.length > 0) {
        const batch = this.#consoleQueue;
        this.#consoleQueue = [];
        if (this.#consoleDropped > 0) {
          batch.push(
            `(${this.#consoleDropped} console lines dropped: the console was not being read)`,
          );
          this.#consoleDropped = 0;
        }
        await write(batch.join("\n") + "\n").catch(() => {});
      }
      this.#consoleBusy = false;
    })();
  }

  async #writeBatch(): Promise<void> {
    const taken = this.#pending.take();
    if (taken !== null && taken.lines.length > 0) this.#writeConsole(taken.lines);
    const dropped = this.#pending.takeDropped();
    if (dropped > 0) this.#warn(`Dropped ${dropped} log records: the log files could not keep up.`);
    if (taken !== null) {
      this.#responses.push(encoder.encode(taken.responses));
      this.#sockets.push(encoder.encode(taken.sockets));
    }
    if (this.#responses.pending === 0 && this.#sockets.pending === 0) return;
    // The files are opened per batch (a few times a second at most), so a rotated or deleted
    // log is recreated, and a log dir that went away is noticed instead of written to a ghost.
    let files: LogFiles | null = null;
    try {
      files = await this.#open(this.#dir);
      // A file created anew has none of a record written before: start that record over.
      if (files.responsesIsNew) this.#responses.restartRecord();
      if (files.socketsIsNew) {
        this.#sockets.restartRecord();
        this.#sockets.unshift(encoder.encode(formatCsvRows([], true)));
      }
      // Each file resumes exactly where its last write stopped, so a full disk that frees up
      // leaves every entry once and whole (a partial write is never repeated from the start).
      await this.#responses.drainTo(files.responses);
      await this.#sockets.drainTo(files.sockets);
      if (this.#failing) {
        const lost = this.#lostBatches > 0
          ? ` ${this.#lostBatches} batches of entries were dropped to bound memory meanwhile.`
          : "";
        this.#warn(`Log dir "${this.#dir}" is writable again; logging resumed.${lost}`);
      }
      this.#failing = false;
      this.#lostBatches = 0;
    } catch (error) {
      if (!this.#failing) {
        this.#warn(
          `Cannot write logs in "${this.#dir}": ${(error as Error).message}. Serving continues; ` +
            `entries are kept in memory (up to ${MAX_PENDING_LOG_BYTES} bytes) until it works.`,
        );
      }
      this.#failing = true;
      // Past the bound, whole batches not yet begun are dropped, never a partly written one.
      this.#lostBatches += this.#responses.bound(MAX_PENDING_LOG_BYTES / 2) +
        this.#sockets.bound(MAX_PENDING_LOG_BYTES / 2);
      if (!this.#closed) this.#pending.retryLater(LOG_FLUSH_INTERVAL_MS * LOG_RETRY_INTERVALS);
    } finally {
      files?.responses.close();
      files?.sockets.close();
    }
  }
}

/**
 * One log file's bytes waiting to be appended, as chunks, and how much of the first chunk the
 * file already holds. A failed or partial write keeps exactly the bytes not yet written.
 */
export class AppendQueue {
  readonly #recordStart: (chunk: Uint8Array, offset: number) => number;
  #chunks: Uint8Array[] = [];
  /** Bytes of `#chunks[0]` already in the file. */
  #offset = 0;
  #pending = 0;

  /** @param recordStart Where the record containing an offset begins (for a new file). */
  constructor(recordStart: (chunk: Uint8Array, offset: number) => number) {
    this.#recordStart = recordStart;
  }

  /** Bytes not yet written. */
  get pending(): number {
    return this.#pending;
  }

  /** Queues bytes at the end. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#pending += chunk.length;
  }

  /** Queues bytes before everything else (a new file's header); only between records. */
  unshift(chunk: Uint8Array): void {
    if (this.#offset !== 0) throw new Error("Cannot insert inside a partly written record");
    this.#chunks.unshift(chunk);
    this.#pending += chunk.length;
  }

  /** The file was created anew: the part of a record written to the old one is written again. */
  restartRecord(): void {
    if (this.#offset === 0) return;
    const start = this.#recordStart(this.#chunks[0], this.#offset);
    this.#pending += this.#offset - start;
    this.#offset = start;
    if (start > 0) {
      // Records before `start` went to the old file: keep only the rest.
      this.#chunks[0] = this.#chunks[0].subarray(start);
      this.#offset = 0;
    }
  }

  /**
   * Appends everything to `file`, counting each partial write, so that after an error the next
   * attempt starts at the first byte not written.
   *
   * @param file An open file (append mode).
   * @throws What the write threw; progress up to it is kept.
   */
  async drainTo(file: AppendFile): Promise<void> {
    while (this.#chunks.length > 0) {
      const chunk = this.#chunks[0];
      while (this.#offset < chunk.length) {
        const n = await file.write(chunk.subarray(this.#offset));
        this.#offset += n;
        this.#pending -= n;
      }
      this.#chunks.shift();
      this.#offset = 0;
    }
  }

  /**
   * Drops whole chunks not yet begun (oldest first) while more than `max` bytes wait; the
   * chunk being written is kept, so no record is ever cut.
   *
   * @param max The most bytes to keep waiting.
   * @returns How many chunks were dropped.
   */
  bound(max: number): number {
    let dropped = 0;
    const first = this.#offset > 0 ? 1 : 0;
    while (this.#pending > max && this.#chunks.length > first) {
      const [victim] = this.#chunks.splice(first, 1);
      this.#pending -= victim.length;
      dropped++;
    }
    return dropped;
  }
}

/**
 * Finds where the CSV row containing `offset` starts: after the last line feed before it.
 *
 * @param chunk Log bytes made of whole rows.
 * @param offset A position inside it.
 * @returns The row's first byte.
 */
export function csvRowStart(chunk: Uint8Array, offset: number): number {
  // lastIndexOf counts a negative start from the end: offset 0 is simply the first row.
  return offset <= 0 ? 0 : chunk.lastIndexOf(0x0a, offset - 1) + 1;
}

/**
 * Finds where the HTTPResponses.txt entry containing `offset` starts: after the last empty line
 * (`\r\n\r\n`, the end of a head) before it.
 *
 * @param chunk Log bytes made of whole entries.
 * @param offset A position inside it.
 * @returns The entry's first byte.
 */
export function responseEntryStart(chunk: Uint8Array, offset: number): number {
  for (let i = offset - 4; i >= 0; i--) {
    if (
      chunk[i] === 0x0d && chunk[i + 1] === 0x0a && chunk[i + 2] === 0x0d && chunk[i + 3] === 0x0a
    ) {
      return i + 4;
    }
  }
  return 0;
}

const encoder = new TextEncoder();

/** Console lines held while the console is not being read; more are dropped and counted. */
const MAX_PENDING_CONSOLE_LINES = 10_000;

/** How long closing waits for a console that is not being read. */
const CONSOLE_CLOSE_WAIT_MS = 1000;

/** Flush intervals to wait before retrying a log dir that failed. */
const LOG_RETRY_INTERVALS = 10;

/** A file opened for appending: what the log writer needs of `Deno.FsFile`. */
export interface AppendFile {
  /** Writes some of the bytes; returns how many. */
  write(bytes: Uint8Array): Promise<number>;
  /** Closes it. */
  close(): void;
}

/** The open log files; `…IsNew` says a file was just created (the CSV needs its column row). */
export interface LogFiles {
  readonly responses: AppendFile;
  readonly responsesIsNew: boolean;
  readonly sockets: AppendFile;
  readonly socketsIsNew: boolean;
}

/**
 * Opens both logs for appending. Only write permission is needed: a new file is detected by
 * creating it exclusively, not by reading its size.
 *
 * @param dir The log dir.
 * @returns Both files open.
 */
export async function openLogFiles(dir: string): Promise<LogFiles> {
  const responses = await openAppend(`${dir}/${RESPONSES_FILE}`);
  try {
    const sockets = await openAppend(`${dir}/${SOCKETS_FILE}`);
    return {
      responses: responses.file,
      responsesIsNew: responses.isNew,
      sockets: sockets.file,
      socketsIsNew: sockets.isNew,
    };
  } catch (error) {
    responses.file.close();
    throw error;
  }
}

/** Opens a file for appending, saying whether this call created it. */
async function openAppend(path: string): Promise<{ file: Deno.FsFile; isNew: boolean }> {
  try {
    return { file: await Deno.open(path, { append: true, createNew: true }), isNew: true };
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  return { file: await Deno.open(path, { append: true }), isNew: false };
}
