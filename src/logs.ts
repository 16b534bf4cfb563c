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
} from "./limits.ts";
import type { Status } from "./http/status.ts";

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
  readonly status: Status;
  /** The status line and header block exactly as sent, ending with CRLF CRLF. */
  readonly head: string;
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
  return endpoint.ip.includes(":")
    ? `[${endpoint.ip}]:${endpoint.port}`
    : `${endpoint.ip}:${endpoint.port}`;
}

/** Escapes `\` and `"` so a request line can sit between quotes on one log line. */
function quoteLine(line: string): string {
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
  return `# ${new Date(record.time).toISOString()} ${formatEndpoint(record.client)} -> ${
    formatEndpoint(record.server)
  } ${quoteLine(record.requestLine)}\n${record.head}`;
}

/**
 * Builds the CSV fields of one record, in {@linkcode CSV_COLUMNS} order.
 *
 * @param record The response.
 * @returns The row values.
 */
export function csvFields(record: ResponseRecord): (string | number)[] {
  return [
    new Date(record.time).toISOString(),
    record.server.ip,
    record.server.port,
    record.client.ip,
    record.client.port,
    record.connectionId,
    record.requestOnConnection,
    record.method,
    record.target,
    record.version,
    record.status,
    record.bodyBytes,
    record.durationMs.toFixed(3),
  ];
}

/**
 * Formats CSV rows (RFC 4180 quoting by `csv-stringify`), one per record.
 *
 * @param records The responses.
 * @param withHeader Start with the column row (for a new file).
 * @returns CSV text ending with a line break.
 */
export function formatCsvRows(records: readonly ResponseRecord[], withHeader = false): string {
  const rows: (readonly (string | number)[])[] = withHeader ? [CSV_COLUMNS] : [];
  for (const record of records) rows.push(csvFields(record));
  return rows.length === 0 ? "" : stringify(rows, { eof: true, record_delimiter: "unix" });
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
  return `${new Date(record.time).toISOString()} ${formatEndpoint(record.client)} ${
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

/** Options for {@linkcode LogWriter}. */
export interface LogWriterOptions {
  /** Where console lines go; `null` for none. */
  readonly console?: ((text: string) => Promise<void>) | null;
  /** Where warnings go (once per failure streak). */
  readonly warn?: (message: string) => void;
}

/**
 * Batches log records and appends them to the two log files (and the console) off the hot path.
 */
export class LogWriter {
  readonly #dir: string;
  readonly #console: ((text: string) => Promise<void>) | null;
  readonly #warn: (message: string) => void;
  #records: ResponseRecord[] = [];
  #consoleLines: string[] = [];
  #pendingBytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #failing = false;
  #closed = false;
  #dropped = 0;

  /**
   * @param dir The log dir; it must exist.
   * @param options Console sink and warning sink.
   */
  constructor(dir: string, options: LogWriterOptions = {}) {
    this.#dir = dir;
    this.#console = options.console ?? null;
    this.#warn = options.warn ?? ((message) => console.error(message));
  }

  /** Queues a response for both log files. */
  record(record: ResponseRecord): void {
    this.#records.push(record);
    this.#pendingBytes += record.head.length + 200;
    this.#schedule();
  }

  /** Queues a console line (no line break). */
  line(text: string): void {
    if (this.#console === null) return;
    this.#consoleLines.push(text);
    this.#pendingBytes += text.length;
    this.#schedule();
  }

  /** Whether console lines are wanted at all (so callers can skip formatting them). */
  get console(): boolean {
    return this.#console !== null;
  }

  #schedule(): void {
    if (this.#pendingBytes >= LOG_FLUSH_THRESHOLD_BYTES) {
      void this.flush();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => void this.flush(), LOG_FLUSH_INTERVAL_MS);
    }
  }

  /** Writes everything queued so far; resolves when it is on disk (or has failed and warned). */
  flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#flushing = this.#flushing.then(() => this.#writeBatch());
    return this.#flushing;
  }

  /** Flushes everything and stops retrying; later records are still written by `flush()`. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  async #writeBatch(): Promise<void> {
    const records = this.#records;
    const lines = this.#consoleLines;
    this.#records = [];
    this.#consoleLines = [];
    this.#pendingBytes = 0;
    if (lines.length > 0 && this.#console !== null) {
      await this.#console(lines.join("\n") + "\n").catch(() => {});
    }
    if (records.length === 0) return;
    // The files are opened per batch (a few times a second at most), so a rotated or deleted
    // log is recreated, and a log dir that went away is noticed instead of written to a ghost.
    let files: LogFiles | null = null;
    try {
      files = await openLogFiles(this.#dir);
      await writeText(files.responses, records.map(formatResponseEntry).join(""));
      await writeText(files.sockets, formatCsvRows(records, files.socketsIsNew));
      if (this.#failing) this.#warn(`Log dir "${this.#dir}" is writable again; logging resumed.`);
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) {
        this.#warn(
          `Cannot write logs in "${this.#dir}": ${(error as Error).message}. Serving continues; ` +
            `entries are kept in memory (up to ${MAX_PENDING_LOG_BYTES} bytes) until it works.`,
        );
      }
      this.#failing = true;
      this.#keep(records);
    } finally {
      files?.responses.close();
      files?.sockets.close();
    }
  }

  /** Puts unwritten records back in front, dropping the oldest beyond the memory bound. */
  #keep(records: ResponseRecord[]): void {
    const all = records.concat(this.#records);
    let bytes = 0;
    let first = all.length;
    while (first > 0 && bytes + all[first - 1].head.length + 200 <= MAX_PENDING_LOG_BYTES) {
      bytes += all[--first].head.length + 200;
    }
    this.#dropped += first;
    this.#records = all.slice(first);
    this.#pendingBytes = bytes;
    if (this.#timer === undefined && !this.#closed) {
      this.#timer = setTimeout(() => void this.flush(), LOG_FLUSH_INTERVAL_MS * 10);
    }
  }

  /** Records dropped because the log dir stayed unwritable too long. */
  get dropped(): number {
    return this.#dropped;
  }
}

const encoder = new TextEncoder();

/** The open log files; `socketsIsNew` says the CSV still needs its column row. */
interface LogFiles {
  readonly responses: Deno.FsFile;
  readonly sockets: Deno.FsFile;
  readonly socketsIsNew: boolean;
}

/** Opens both logs for appending. Only write permission is needed: a new CSV is detected by
 * creating it exclusively, not by reading its size. */
async function openLogFiles(dir: string): Promise<LogFiles> {
  const responses = await Deno.open(`${dir}/${RESPONSES_FILE}`, { append: true, create: true });
  const path = `${dir}/${SOCKETS_FILE}`;
  try {
    const sockets = await Deno.open(path, { append: true, createNew: true });
    return { responses, sockets, socketsIsNew: true };
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) {
      responses.close();
      throw error;
    }
  }
  try {
    return { responses, sockets: await Deno.open(path, { append: true }), socketsIsNew: false };
  } catch (error) {
    responses.close();
    throw error;
  }
}

/** Appends all of a text to an open file. */
async function writeText(file: Deno.FsFile, text: string): Promise<void> {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}
