/**
 * The access log, pure: one line per response in the formats web log tools read — nginx's and
 * Apache's `combined` and `common` (NCSA), or JSON lines — from the same {@linkcode ResponseRecord}
 * the other logs are written from. Nothing here touches a file or the clock: the caller passes
 * the local UTC offset, so tests fix it.
 *
 * @module
 */

import type { ResponseRecord } from "./format.ts";

/** An access log format: nginx's `combined` and `common` (NCSA), or JSON lines. */
export type AccessLogFormat = "combined" | "common" | "json";

/** The access log formats `--access-log-format` accepts. */
export const ACCESS_LOG_FORMATS: readonly AccessLogFormat[] = ["combined", "common", "json"];

/** What `--access-log -` names: standard output instead of a file. */
export const ACCESS_LOG_STDOUT = "-";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Two digits, zero-padded. */
function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** A UTC offset in minutes east of UTC as `+hhmm` (strftime's %z), or `+hh:mm` with `colon`. */
function formatOffset(offsetMinutes: number, colon: boolean): string {
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad2(Math.floor(abs / 60))}${colon ? ":" : ""}${pad2(abs % 60)}`;
}

/** The wall-clock fields of `ms` shifted by the offset, read in UTC so the host zone is unused. */
function shifted(ms: number, offsetMinutes: number): Date {
  return new Date(ms + offsetMinutes * 60_000);
}

/**
 * Formats a time as the access log's `[%d/%b/%Y:%H:%M:%S %z]` (nginx's `$time_local`).
 *
 * @param ms Milliseconds since the epoch.
 * @param offsetMinutes The local UTC offset then, in minutes east of UTC (CET is 60).
 * @returns E.g. `[21/Nov/2026:13:00:00 +0100]`.
 */
export function formatClfTime(ms: number, offsetMinutes: number): string {
  const d = shifted(ms, offsetMinutes);
  return `[${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ` +
    `${formatOffset(offsetMinutes, false)}]`;
}

/**
 * Formats a time as ISO 8601 in local time with its offset (for the JSON format).
 *
 * @param ms Milliseconds since the epoch.
 * @param offsetMinutes The local UTC offset then, in minutes east of UTC.
 * @returns E.g. `2026-11-21T13:00:00.123+01:00`.
 */
export function formatLocalIsoTime(ms: number, offsetMinutes: number): string {
  return shifted(ms, offsetMinutes).toISOString().slice(0, -1) + formatOffset(offsetMinutes, true);
}

const HEX = "0123456789ABCDEF";

/** `\xHH` of one byte. */
function hexEscape(byte: number): string {
  return `\\x${HEX[byte >> 4]}${HEX[byte & 15]}`;
}

const utf8 = new TextEncoder();

/**
 * Escapes a client-sent field as nginx does with `escape=default`: `"`, `\`, bytes below 0x20
 * and above 0x7E become `\xHH`, so no request can end a quoted field, forge a line (CR, LF) or
 * smuggle terminal escapes; an empty or absent field is `-`.
 *
 * Request fields arrive as Latin-1 text (one character per byte received), so each character is
 * the byte it came from; a character above U+00FF (never from the wire) is escaped as its UTF-8
 * bytes.
 *
 * @param value The field as received, or null when absent.
 * @returns The field as written.
 * @example
 * ```ts
 * escapeLogField('a"b\r\n'); // "a\\x22b\\x0D\\x0A"
 * ```
 */
export function escapeLogField(value: string | null): string {
  if (value === null || value === "") return "-";
  let plain = true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return value;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) out += value[i];
    else if (c <= 0xff) out += hexEscape(c);
    else {
      const code = value.codePointAt(i)!;
      if (code > 0xffff) i++;
      for (const byte of utf8.encode(String.fromCodePoint(code))) out += hexEscape(byte);
    }
  }
  return out;
}

/**
 * Formats one access log line (with its line feed).
 *
 * - `common`: `client - - [time] "request line" status bytes` (the client behind a trusted
 *   proxy is the one it forwarded for)
 * - `combined`: `common` then `"Referer" "User-Agent"`
 * - `json`: one object with the fields of {@linkcode AccessJson}
 *
 * The user is `-`: the access log does not name who logged in.
 *
 * @param record The response.
 * @param format The format.
 * @param offsetMinutes The local UTC offset at `record.time`, in minutes east of UTC.
 * @returns The line.
 */
export function formatAccessEntry(
  record: ResponseRecord,
  format: AccessLogFormat,
  offsetMinutes: number,
): string {
  if (format === "json") return JSON.stringify(accessJson(record, offsetMinutes)) + "\n";
  // Behind a trusted proxy the client is the one it forwarded for (what nginx's realip shows).
  const client = record.forwardedClient ?? record.client.ip;
  const common = `${escapeLogField(client)} - - ${formatClfTime(record.time, offsetMinutes)} "${
    escapeLogField(record.requestLine)
  }" ${record.status} ${record.bodyBytes}`;
  if (format === "common") return common + "\n";
  return `${common} "${escapeLogField(record.referer)}" "${escapeLogField(record.userAgent)}"\n`;
}

/**
 * The JSON access log object, its field names stable. Client-sent text keeps one character per
 * byte received (U+0000–U+00FF), so the exact bytes can be recovered; JSON escapes the controls.
 */
export interface AccessJson {
  /** Local time with offset, ISO 8601 with milliseconds. */
  readonly time: string;
  /** The client: the peer, or behind a trusted proxy the client it forwarded for. */
  readonly client_ip: string;
  /** The socket's other end (the proxy, behind one). */
  readonly peer_ip: string;
  readonly peer_port: number;
  readonly server_ip: string;
  readonly server_port: number;
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly request: string;
  readonly status: number;
  readonly body_bytes: number;
  /** Null when the request had none. */
  readonly referer: string | null;
  readonly user_agent: string | null;
  readonly duration_ms: number;
  readonly connection_id: number;
  readonly request_on_connection: number;
}

function accessJson(record: ResponseRecord, offsetMinutes: number): AccessJson {
  return {
    time: formatLocalIsoTime(record.time, offsetMinutes),
    client_ip: record.forwardedClient ?? record.client.ip,
    peer_ip: record.client.ip,
    peer_port: record.client.port,
    server_ip: record.server.ip,
    server_port: record.server.port,
    method: record.method,
    target: record.target,
    version: record.version,
    request: record.requestLine,
    status: record.status,
    body_bytes: record.bodyBytes,
    referer: record.referer,
    user_agent: record.userAgent,
    duration_ms: Math.round(record.durationMs * 1000) / 1000,
    connection_id: record.connectionId,
    request_on_connection: record.requestOnConnection,
  };
}

/**
 * The host's UTC offset at a time, in minutes east of UTC (the default clock of the access log).
 *
 * @param ms Milliseconds since the epoch.
 * @returns E.g. 60 in CET.
 */
export function localOffsetMinutes(ms: number): number {
  // getTimezoneOffset is minutes *behind* UTC; `|| 0` turns -0 into 0.
  return -new Date(ms).getTimezoneOffset() || 0;
}
