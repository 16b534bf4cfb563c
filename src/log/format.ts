/**
 * Log formats, pure: what one response looks like in `HTTPResponses.txt` (its head as sent), in
 * `SocketOutput.csv` (one row with the socket 4-tuple) and on the console, and what the logs can
 * say about a request that could not be parsed.
 *
 * @module
 */

import type * as CsvModule from "npm:csv-stringify@^6.9.0/sync";
import { bracketHost } from "../http/authority.ts";
import type { Status } from "../http/status.ts";
import { MAX_LOGGED_LINE_CHARS } from "../limits.ts";

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

/**
 * The column added after {@linkcode CSV_COLUMNS} with trusted proxies: the client a trusted
 * proxy named (empty when the peer is the client). Only a file sockserve creates gets it, so an
 * existing file's rows keep the shape of its header row.
 */
export const CSV_FORWARDED_COLUMN = "forwarded_client";

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
  /**
   * The Referer and User-Agent fields as received, for the access log; null when absent, when
   * the request could not be parsed, or when no access log is written (they are not looked up).
   */
  readonly referer: string | null;
  readonly userAgent: string | null;
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
  /**
   * The client a trusted proxy named (`--trusted-proxy`): an address, or `unknown` / `_name`
   * as the proxy wrote it; null when the peer is the client. The console shows it in place of
   * the peer; HTTPResponses.txt and the CSV 4-tuple keep the socket's own ends.
   */
  readonly forwardedClient: string | null;
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
    text = `${bracketHost(endpoint.ip)}:${endpoint.port}`;
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
  return formatResponseMarker(record) + record.head;
}

/**
 * Formats the `#` line that opens a `HTTPResponses.txt` entry, with its line break.
 *
 * @param record The response.
 * @returns E.g. `# 2026-11-21T12:00:00.123Z 127.0.0.1:50000 -> 127.0.0.1:8080 "GET / HTTP/1.1"\n`.
 */
export function formatResponseMarker(record: ResponseRecord): string {
  return `# ${formatIsoTime(record.time)} ${formatEndpoint(record.client)} -> ${
    formatEndpoint(record.server)
  } ${quoteLine(record.requestLine)}\n`;
}

/**
 * csv-stringify, once {@linkcode loadCsvLibrary} has imported it. Most rows need no quoting and
 * so no library, and a server that loads no npm package at all holds ~4 MB less resident memory
 * (Deno's npm support stays untouched); the first row that does need quoting waits for it.
 */
let csv: typeof CsvModule | null = null;
let csvLoading: Promise<void> | null = null;

/**
 * Imports csv-stringify, once (again after a failure).
 *
 * @returns Resolves when {@linkcode formatCsvRows} can quote any field.
 */
export function loadCsvLibrary(): Promise<void> {
  csvLoading ??= import("npm:csv-stringify@^6.9.0/sync").then(
    (module) => void (csv = module),
    (error) => {
      csvLoading = null;
      throw error;
    },
  );
  return csvLoading;
}

/**
 * Says whether {@linkcode formatCsvRows} can format a record's row now: always once the library
 * is loaded, and before that when none of its client fields needs quoting.
 *
 * @param record The response.
 * @param forwardedColumn Whether the row has {@linkcode CSV_FORWARDED_COLUMN}.
 * @returns Whether the row can be formatted without waiting for {@linkcode loadCsvLibrary}.
 */
export function canFormatCsvRow(record: ResponseRecord, forwardedColumn = false): boolean {
  return csv !== null ||
    ![record.method, record.target, record.version, forwardedColumn ? record.forwardedClient : null]
      .some((field) => field !== null && NEEDS_QUOTING.test(field));
}

/**
 * Formats CSV rows (RFC 4180 quoting by `csv-stringify`), one per record. A row with a field to
 * quote needs {@linkcode loadCsvLibrary} first (see {@linkcode canFormatCsvRow}); the column row
 * never does (its names are plain words, which the library leaves as they are).
 *
 * @param records The responses.
 * @param withHeader Start with the column row (for a new file).
 * @param forwardedColumn Add {@linkcode CSV_FORWARDED_COLUMN} as the last column.
 * @returns CSV text ending with a line break.
 */
export function formatCsvRows(
  records: readonly ResponseRecord[],
  withHeader = false,
  forwardedColumn = false,
): string {
  let text = withHeader
    ? `${(forwardedColumn ? [...CSV_COLUMNS, CSV_FORWARDED_COLUMN] : CSV_COLUMNS).join(",")}\n`
    : "";
  for (const record of records) {
    // Times, addresses and numbers never need quoting; method, target and version come from
    // the client and go through the CSV library whenever they hold a character it would quote.
    text += `${formatIsoTime(record.time)},${record.server.ip},${record.server.port},` +
      `${record.client.ip},${record.client.port},${record.connectionId},` +
      `${record.requestOnConnection},${csvValue(record.method)},${csvValue(record.target)},` +
      `${csvValue(record.version)},${record.status},${record.bodyBytes},` +
      `${record.durationMs.toFixed(3)}` +
      (forwardedColumn ? `,${csvValue(record.forwardedClient ?? "")}\n` : "\n");
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
  if (!NEEDS_QUOTING.test(safe)) return safe;
  if (csv === null) throw new Error("Quoting a CSV field needs loadCsvLibrary() first");
  return csv.stringify([[safe]], { ...CSV_OPTIONS, eof: false });
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
  // Behind a trusted proxy the line names the client it forwarded for, not the proxy.
  return `${formatIsoTime(record.time)} ${
    record.forwardedClient ?? formatEndpoint(record.client)
  } ${quoteLine(record.requestLine)} ${status} ${record.bodyBytes} ${
    record.durationMs.toFixed(1)
  }ms`;
}

/** Bytes turned into characters per call when a broken request line is salvaged. */
const LATIN1_CHUNK = 8192;

/**
 * The userinfo of a URI in a request line: after an optional `scheme://`, everything up to the
 * last `@` before the path. Credentials travel there in `http://user:password@host/` (RFC 9110
 * §4.2.4 deprecates it; the parser refuses it with 400, so such lines reach the logs only here).
 */
const USERINFO = /^((?:[A-Za-z][A-Za-z0-9+.\-]*:\/\/)?)[^/?#]*@/;

/**
 * Replaces the userinfo of every URI-like word of a line with `***`, so a password sent in a
 * request target reaches neither log nor console.
 *
 * @param line A request line as received.
 * @returns The line with `user:password@` as `***@`.
 * @example
 * ```ts
 * redactUserinfo("GET http://alice:secret@host/ HTTP/1.1"); // "GET http://***@host/ HTTP/1.1"
 * ```
 */
export function redactUserinfo(line: string): string {
  return line.includes("@")
    ? line.replace(/\S+/g, (word) => word.replace(USERINFO, "$1***@"))
    : line;
}

/** What the logs can say about a request that could not be parsed. */
export interface UnparsedRequest {
  readonly requestLine: string;
  readonly method: string;
  readonly target: string;
  readonly version: string;
}

/**
 * Salvages a printable request line from bytes that failed to parse: the first line, with any
 * userinfo taken out (see {@linkcode redactUserinfo}), cut to {@linkcode MAX_LOGGED_LINE_CHARS},
 * with non-printable bytes as `\xHH` so hostile bytes cannot forge log lines or terminal escapes.
 *
 * @param bytes What the client sent.
 * @returns The excerpt, and method/target/version when it has three parts, else `-`.
 */
export function describeUnparsed(bytes: Uint8Array): UnparsedRequest {
  let start = 0;
  while (bytes[start] === 0x0d || bytes[start] === 0x0a) start++;
  let end = start;
  while (end < bytes.length && bytes[end] !== 0x0d && bytes[end] !== 0x0a) end++;
  // The whole line is redacted before it is cut, so a cut cannot leave half a password behind.
  let raw = "";
  for (let i = start; i < end; i += LATIN1_CHUNK) {
    raw += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + LATIN1_CHUNK)));
  }
  raw = redactUserinfo(raw);
  let line = "";
  for (let i = 0; i < raw.length && line.length < MAX_LOGGED_LINE_CHARS; i++) {
    const b = raw.charCodeAt(i);
    line += b >= 0x20 && b < 0x7f ? raw[i] : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  const parts = line.split(" ");
  return parts.length === 3 && parts.every((p) => p !== "")
    ? { requestLine: line, method: parts[0], target: parts[1], version: parts[2] }
    : { requestLine: line, method: "-", target: "-", version: "-" };
}
