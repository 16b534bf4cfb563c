/**
 * The HTTP/1.1 message-head parser (RFC 9112 §2–§6): pure, incremental, strict.
 *
 * Bytes go in, a result union comes out. The head is found and checked by scanning bytes with
 * lookup tables; only finished, validated slices are turned into strings. "partial" is an
 * ordinary result: call again with more bytes and the `scanned` offset it returned, so a client
 * that sends one byte at a time costs linear, not quadratic, work.
 *
 * @module
 */

import {
  MAX_CONTENT_LENGTH_DIGITS,
  MAX_HEADER_BYTES,
  MAX_HEADER_FIELDS,
  MAX_LEADING_EMPTY_LINES,
  MAX_REQUEST_LINE_BYTES,
} from "./limits.ts";
import { parseAuthority } from "./http/authority.ts";

/** The HTTP versions sockserve speaks; a request's `HTTP/1.x` with x > 1 is treated as 1.1. */
export type Version = "HTTP/1.0" | "HTTP/1.1";

/** How the body of a message is delimited (RFC 9112 §6.3). */
export type BodyFraming =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" };

/** The form of a request-target (RFC 9112 §3.2). */
export type TargetForm = "origin" | "absolute" | "authority" | "asterisk";

/** A parsed and validated request head. Header names are lower-cased. */
export interface RequestHead {
  /** The method token exactly as sent (methods are case-sensitive, RFC 9110 §9.1). */
  readonly method: string;
  /** The request-target exactly as sent. */
  readonly target: string;
  /** Which of the four forms the target has. */
  readonly form: TargetForm;
  /** The path of the target, still percent-encoded; `""` for asterisk- and authority-form. */
  readonly path: string;
  /** The query without its `?`, still percent-encoded; `null` when the target has none. */
  readonly query: string | null;
  /** The protocol version the request is handled as. */
  readonly version: Version;
  /** The request line without its CRLF, for logs. */
  readonly requestLine: string;
  /** Header fields by lower-case name; repeated fields are joined with ", " (RFC 9110 §5.3). */
  readonly headers: ReadonlyMap<string, string>;
  /** The authority the request is for: the absolute-form authority, else the Host field. */
  readonly host: string | null;
  /** How the request body, if any, is delimited. */
  readonly body: BodyFraming;
  /** Whether the connection may stay open after the response (RFC 9112 §9.3). */
  readonly keepAlive: boolean;
  /** Whether the client waits for `100 Continue` before sending its body (RFC 9110 §10.1.1). */
  readonly expectContinue: boolean;
}

/** The statuses a head can be refused with. */
export type ParseErrorStatus = 400 | 413 | 414 | 431 | 501 | 505;

/** Stable machine-readable codes for every way a head can be refused (llhttp style). */
export type ParseErrorCode =
  | "bare-lf"
  | "too-many-empty-lines"
  | "request-line-too-long"
  | "headers-too-large"
  | "too-many-headers"
  | "bad-method"
  | "bad-target"
  | "bad-version"
  | "unsupported-version"
  | "obs-fold"
  | "space-before-colon"
  | "missing-colon"
  | "bad-field-name"
  | "bad-field-value"
  | "missing-host"
  | "duplicate-host"
  | "bad-host"
  | "bad-content-length"
  | "content-length-with-transfer-encoding"
  | "transfer-encoding-in-http10"
  | "bad-transfer-encoding"
  | "unknown-transfer-coding"
  | "asterisk-not-options"
  | "body-too-large"
  | "bad-chunk";

/** A refused message: the status to answer, a stable code and a human-readable reason. */
export interface ParseError {
  readonly kind: "error";
  readonly status: ParseErrorStatus;
  readonly code: ParseErrorCode;
  readonly reason: string;
}

/** The result of one call to {@linkcode parseRequestHead}. */
export type RequestParseResult =
  | { readonly kind: "done"; readonly head: RequestHead; readonly consumed: number }
  | { readonly kind: "partial"; readonly scanned: number }
  | ParseError;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;
const QUESTION = 0x3f;
const SLASH = 0x2f;

/** Builds a 256-entry byte class table from the characters and ranges given. */
function byteClass(chars: string, ranges: readonly (readonly [number, number])[] = []): Uint8Array {
  const table = new Uint8Array(256);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  for (const [lo, hi] of ranges) table.fill(1, lo, hi + 1);
  return table;
}

const ALPHA_DIGIT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** RFC 9110 §5.6.2 tchar: the bytes of a method or a field name. */
const TCHAR = byteClass("!#$%&'*+-.^_`|~" + ALPHA_DIGIT);

/** RFC 9110 §5.5 field-vchar plus SP and HTAB: what a field value may contain. */
const FIELD_VALUE = byteClass("\t ", [[0x21, 0x7e], [0x80, 0xff]]);

/**
 * Bytes allowed in a request-target: visible ASCII except `#` (a fragment is never sent,
 * RFC 9112 §3.2). Stricter RFC 3986 classes would refuse the `|` and `{}` that real clients send.
 */
const TARGET = byteClass("", [[0x21, 0x22], [0x24, 0x7e]]);

const HEX = byteClass("0123456789abcdefABCDEF");

/** Methods registered in the IANA HTTP Method Registry that sockserve does not serve (→ 405). */
export const REGISTERED_METHODS: ReadonlySet<string> = new Set([
  "ACL",
  "BASELINE-CONTROL",
  "BIND",
  "CHECKIN",
  "CHECKOUT",
  "CONNECT",
  "COPY",
  "DELETE",
  "LABEL",
  "LINK",
  "LOCK",
  "MERGE",
  "MKACTIVITY",
  "MKCALENDAR",
  "MKCOL",
  "MKREDIRECTREF",
  "MKWORKSPACE",
  "MOVE",
  "OPTIONS",
  "ORDERPATCH",
  "PATCH",
  "POST",
  "PRI",
  "PROPFIND",
  "PROPPATCH",
  "PUT",
  "QUERY",
  "REBIND",
  "REPORT",
  "SEARCH",
  "TRACE",
  "UNBIND",
  "UNCHECKOUT",
  "UNLINK",
  "UNLOCK",
  "UPDATE",
  "UPDATEREDIRECTREF",
  "VERSION-CONTROL",
]);

/** Creates a {@linkcode ParseError}. */
export function parseError(
  status: ParseErrorStatus,
  code: ParseErrorCode,
  reason: string,
): ParseError {
  return { kind: "error", status, code, reason };
}

/**
 * Decodes bytes as Latin-1 (each byte one UTF-16 unit), the lossless reading of header bytes.
 *
 * @param buf The bytes.
 * @param start First index.
 * @param end Index after the last byte.
 * @returns The string.
 */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
}

/**
 * Finds the end of a message head: the index just past the empty line that ends the field
 * section, searching for LF followed by CRLF (or by a bare LF, which the line checks refuse).
 *
 * @param buf Bytes received so far.
 * @param from Where to start looking: a previous `scanned` value, or the end of the start line.
 * @returns The index after the head, or -1 when it has not arrived yet.
 */
export function findHeadEnd(buf: Uint8Array, from: number): number {
  let i = buf.indexOf(LF, from);
  while (i !== -1) {
    if (buf[i + 1] === LF) return i + 2;
    if (buf[i + 1] === CR && buf[i + 2] === LF) return i + 3;
    i = buf.indexOf(LF, i + 1);
  }
  return -1;
}

/**
 * Parses one request head from the start of `buf` (RFC 9112 §2.2, §3, §5, §6).
 *
 * @param buf Bytes received on the connection that the previous request did not consume.
 * @param scanFrom The `scanned` offset of a previous partial result on the same bytes, if any.
 * @returns `done` with the head and the number of bytes it took, `partial` when more bytes are
 *   needed, or an error carrying the status to answer.
 * @example
 * ```ts
 * const bytes = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
 * const result = parseRequestHead(bytes);
 * if (result.kind === "done") console.log(result.head.path); // "/"
 * ```
 */
export function parseRequestHead(buf: Uint8Array, scanFrom = 0): RequestParseResult {
  // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
  let start = 0;
  let emptyLines = 0;
  while (buf[start] === CR && buf[start + 1] === LF) {
    start += 2;
    if (++emptyLines > MAX_LEADING_EMPTY_LINES) {
      return parseError(400, "too-many-empty-lines", "Too many empty lines before the request");
    }
  }
  if (buf[start] === LF) return parseError(400, "bare-lf", "Line ends in LF without CR");

  const lineEnd = buf.indexOf(LF, start);
  if (lineEnd === -1) {
    if (buf.length - start > MAX_REQUEST_LINE_BYTES) {
      return parseError(414, "request-line-too-long", "Request line is too long");
    }
    return { kind: "partial", scanned: 0 };
  }
  if (lineEnd - start > MAX_REQUEST_LINE_BYTES) {
    return parseError(414, "request-line-too-long", "Request line is too long");
  }

  const headEnd = findHeadEnd(buf, Math.max(lineEnd, scanFrom));
  if (headEnd === -1) {
    if (buf.length - lineEnd - 1 > MAX_HEADER_BYTES) {
      return parseError(431, "headers-too-large", "Header section is too large");
    }
    // Resume two bytes back: the LF CR LF that ends the head may straddle the next read.
    return { kind: "partial", scanned: Math.max(lineEnd, buf.length - 2) };
  }
  if (headEnd - lineEnd - 1 > MAX_HEADER_BYTES) {
    return parseError(431, "headers-too-large", "Header section is too large");
  }

  const line = parseRequestLine(buf, start, lineEnd);
  if (line.kind === "error") return line;
  const fields = parseFieldSection(buf, lineEnd + 1, headEnd);
  if (fields.kind === "error") return fields;
  return finishRequestHead(line, fields, headEnd);
}

interface RequestLine {
  readonly kind: "line";
  readonly method: string;
  readonly target: string;
  readonly version: Version;
  readonly requestLine: string;
}

/** Parses `method SP request-target SP HTTP-version` from [start, lf) (RFC 9112 §3). */
function parseRequestLine(
  buf: Uint8Array,
  start: number,
  lf: number,
): RequestLine | ParseError {
  if (buf[lf - 1] !== CR) return parseError(400, "bare-lf", "Line ends in LF without CR");
  const end = lf - 1;

  let i = start;
  while (i < end && TCHAR[buf[i]]) i++;
  if (i === start || buf[i] !== SP) return parseError(400, "bad-method", "Method is not a token");
  const methodEnd = i++;

  const targetStart = i;
  while (i < end && TARGET[buf[i]]) i++;
  if (i === targetStart || buf[i] !== SP) {
    return parseError(400, "bad-target", "Request target is missing or has invalid bytes");
  }
  const targetEnd = i++;

  const version = parseVersion(buf, i, end);
  if (typeof version !== "string") return version;
  return {
    kind: "line",
    method: latin1(buf, start, methodEnd),
    target: latin1(buf, targetStart, targetEnd),
    version,
    requestLine: latin1(buf, start, end),
  };
}

const HTTP_SLASH = [0x48, 0x54, 0x54, 0x50, 0x2f]; // "HTTP/"

/** Parses `HTTP/` DIGIT `.` DIGIT (RFC 9112 §2.3); another major version → 505. */
function parseVersion(buf: Uint8Array, start: number, end: number): Version | ParseError {
  const malformed = parseError(400, "bad-version", "HTTP version is malformed");
  if (end - start !== 8) return malformed;
  for (let k = 0; k < HTTP_SLASH.length; k++) {
    if (buf[start + k] !== HTTP_SLASH[k]) return malformed;
  }
  const major = buf[start + 5] - 0x30;
  const minor = buf[start + 7] - 0x30;
  if (major < 0 || major > 9 || buf[start + 6] !== 0x2e || minor < 0 || minor > 9) return malformed;
  if (major !== 1) return parseError(505, "unsupported-version", "Only HTTP/1.x is supported");
  // RFC 9110 §2.5: a higher minor version is answered as the highest one we implement.
  return minor === 0 ? "HTTP/1.0" : "HTTP/1.1";
}

/** A validated field section: lower-case names to joined values, plus per-name counts. */
export interface FieldSection {
  readonly kind: "fields";
  readonly headers: Map<string, string>;
  readonly counts: Map<string, number>;
  /** The fields in order, names as sent. */
  readonly lines: (readonly [string, string])[];
}

/**
 * Parses field lines from [start, end), where `end` is just past the empty line that ends the
 * section (RFC 9112 §5). Used for request and response heads and for chunked trailers.
 *
 * @param buf The bytes.
 * @param start Index of the first field line.
 * @param end Index after the terminating empty line.
 * @returns The fields, or a 400/431 error.
 */
export function parseFieldSection(
  buf: Uint8Array,
  start: number,
  end: number,
): FieldSection | ParseError {
  const headers = new Map<string, string>();
  const counts = new Map<string, number>();
  const lines: (readonly [string, string])[] = [];
  let fieldCount = 0;
  let ls = start;
  while (ls < end) {
    const lf = buf.indexOf(LF, ls);
    if (buf[lf - 1] !== CR || lf - 1 < ls) {
      return parseError(400, "bare-lf", "Line ends in LF without CR");
    }
    const le = lf - 1;
    if (le === ls) break; // the empty line
    if (++fieldCount > MAX_HEADER_FIELDS) {
      return parseError(431, "too-many-headers", "Too many header fields");
    }
    const field = parseFieldLine(buf, ls, le);
    if (field.kind === "error") return field;
    const name = field.name.toLowerCase();
    const count = (counts.get(name) ?? 0) + 1;
    counts.set(name, count);
    headers.set(name, count === 1 ? field.value : `${headers.get(name)}, ${field.value}`);
    lines.push([field.name, field.value]);
    ls = lf + 1;
  }
  return { kind: "fields", headers, counts, lines };
}

/** One field line: name as sent and value without surrounding whitespace. */
interface FieldLine {
  readonly kind: "field";
  readonly name: string;
  readonly value: string;
}

/** Parses `field-name ":" OWS field-value OWS` from [start, end) (RFC 9112 §5.1). */
function parseFieldLine(buf: Uint8Array, start: number, end: number): FieldLine | ParseError {
  const first = buf[start];
  // RFC 9112 §5.2: obs-fold is refused with 400 outside message/http.
  if (first === SP || first === HTAB) return parseError(400, "obs-fold", "Folded header line");
  let i = start;
  while (i < end && TCHAR[buf[i]]) i++;
  if (i === end) return parseError(400, "missing-colon", "Header line has no colon");
  if (buf[i] !== COLON) {
    // RFC 9112 §5.1: whitespace between name and colon MUST be refused (smuggling vector).
    if (buf[i] === SP || buf[i] === HTAB) {
      return parseError(400, "space-before-colon", "Whitespace before a header colon");
    }
    return parseError(400, "bad-field-name", "Header name has invalid bytes");
  }
  if (i === start) return parseError(400, "bad-field-name", "Header name is empty");
  const nameEnd = i++;
  while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
  let valueEnd = end;
  while (valueEnd > i && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--;
  for (let k = i; k < valueEnd; k++) {
    // RFC 9110 §5.5: CR, LF, NUL and other controls in a value are refused.
    if (!FIELD_VALUE[buf[k]]) {
      return parseError(400, "bad-field-value", "Header value has a control character");
    }
  }
  return {
    kind: "field",
    name: latin1(buf, start, nameEnd),
    value: latin1(buf, i, valueEnd),
  };
}

/**
 * Trims optional whitespace (RFC 9110 §5.6.3: SP and HTAB only). `String#trim` would also strip
 * Latin-1 0xA0 and other Unicode spaces, and a framing field that one parser trims and another
 * does not is how requests get smuggled.
 *
 * @param text A list member or field value.
 * @returns The text without leading and trailing SP/HTAB.
 */
export function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text.charCodeAt(start) === SP || text.charCodeAt(start) === HTAB)) start++;
  while (end > start && (text.charCodeAt(end - 1) === SP || text.charCodeAt(end - 1) === HTAB)) {
    end--;
  }
  return text.slice(start, end);
}

/** Splits a comma-separated field value into OWS-trimmed, non-empty, lower-case members. */
export function listMembers(value: string): string[] {
  const members: string[] = [];
  for (const part of value.split(",")) {
    const member = trimOws(part).toLowerCase();
    if (member !== "") members.push(member);
  }
  return members;
}

/**
 * Reads Content-Length (RFC 9110 §8.6): a list of identical decimal values is one value; anything
 * else is invalid.
 *
 * @returns The length, or `null` when the value is invalid or conflicting.
 */
export function parseContentLength(value: string): number | null {
  let length: number | null = null;
  for (const part of value.split(",")) {
    const digits = trimOws(part);
    if (!/^[0-9]+$/.test(digits) || digits.length > MAX_CONTENT_LENGTH_DIGITS) return null;
    const n = Number(digits);
    if (length !== null && n !== length) return null;
    length = n;
  }
  return length;
}

/** Checks that every `%` in a string starts a valid escape (RFC 3986 §2.1). */
function hasValidEscapes(text: string): boolean {
  for (let i = text.indexOf("%"); i !== -1; i = text.indexOf("%", i + 1)) {
    if (!HEX[text.charCodeAt(i + 1)] || !HEX[text.charCodeAt(i + 2)]) return false;
  }
  return true;
}

/** RFC 9112 §3.2: a Host or authority is `host [":" port]`; two ports or stray brackets → 400. */
function isHost(text: string): boolean {
  return parseAuthority(text) !== null;
}

interface ParsedTarget {
  readonly kind: "target";
  readonly form: TargetForm;
  readonly authority: string | null;
  readonly path: string;
  readonly query: string | null;
}

/** Classifies and splits a request-target (RFC 9112 §3.2). */
function parseTarget(target: string, method: string): ParsedTarget | ParseError {
  const bad = parseError(400, "bad-target", "Request target is not in origin or absolute form");
  let authority: string | null = null;
  let rest = target;
  if (target.charCodeAt(0) !== SLASH) {
    if (target === "*") {
      // RFC 9112 §3.2.4: asterisk-form is only for a server-wide OPTIONS.
      if (method !== "OPTIONS") {
        return parseError(400, "asterisk-not-options", "Target * is only valid with OPTIONS");
      }
      return { kind: "target", form: "asterisk", authority: null, path: "", query: null };
    }
    if (method === "CONNECT") {
      return isHost(target)
        ? { kind: "target", form: "authority", authority: target, path: "", query: null }
        : bad;
    }
    const scheme = /^https?:\/\//i.exec(target);
    if (!scheme) return bad;
    const afterScheme = target.slice(scheme[0].length);
    const pathStart = afterScheme.search(/[/?]/);
    authority = pathStart === -1 ? afterScheme : afterScheme.slice(0, pathStart);
    // RFC 9110 §4.2.4: userinfo in an http(s) URI is deprecated and a classic spoofing trick.
    if (authority === "" || authority.includes("@") || !isHost(authority)) return bad;
    rest = pathStart === -1 ? "/" : afterScheme.slice(pathStart);
    if (rest.charCodeAt(0) === QUESTION) rest = "/" + rest;
  }
  const q = rest.indexOf("?");
  const path = q === -1 ? rest : rest.slice(0, q);
  const query = q === -1 ? null : rest.slice(q + 1);
  if (!hasValidEscapes(path) || (query !== null && !hasValidEscapes(query))) {
    return parseError(400, "bad-target", "Request target has an invalid percent-encoding");
  }
  return {
    kind: "target",
    form: authority === null ? "origin" : "absolute",
    authority,
    path,
    query,
  };
}

/** Applies the semantic rules that span fields: Host, framing, persistence, expectations. */
function finishRequestHead(
  line: RequestLine,
  fields: FieldSection,
  consumed: number,
): RequestParseResult {
  const { headers, counts } = fields;
  const target = parseTarget(line.target, line.method);
  if (target.kind === "error") return target;

  // RFC 9112 §3.2: exactly one Host in HTTP/1.1; more than one is always refused.
  const hostCount = counts.get("host") ?? 0;
  if (hostCount > 1) return parseError(400, "duplicate-host", "More than one Host field");
  if (hostCount === 0 && line.version === "HTTP/1.1") {
    return parseError(400, "missing-host", "HTTP/1.1 request without Host");
  }
  const hostField = headers.get("host") ?? null;
  if (hostField !== null && !isHost(hostField)) {
    return parseError(400, "bad-host", "Host field is not a valid authority");
  }

  const body = parseFraming(headers, line.version);
  if ("status" in body) return body;

  const connection = listMembers(headers.get("connection") ?? "");
  const close = connection.includes("close");
  const keepAlive = line.version === "HTTP/1.1"
    ? !close
    : connection.includes("keep-alive") && !close;
  // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored.
  const expectContinue = line.version === "HTTP/1.1" &&
    listMembers(headers.get("expect") ?? "").includes("100-continue");

  const head: RequestHead = {
    method: line.method,
    target: line.target,
    form: target.form,
    path: target.path,
    query: target.query,
    version: line.version,
    requestLine: line.requestLine,
    headers,
    // RFC 9112 §3.2.2: the authority of an absolute-form target replaces the Host field.
    host: target.authority ?? hostField,
    body,
    keepAlive,
    expectContinue,
  };
  return { kind: "done", head, consumed };
}

/** Decides how the request body is delimited (RFC 9112 §6.1, §6.3). */
function parseFraming(
  headers: ReadonlyMap<string, string>,
  version: Version,
): BodyFraming | ParseError {
  const te = headers.get("transfer-encoding");
  const cl = headers.get("content-length");
  if (te !== undefined) {
    // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
    if (version === "HTTP/1.0") {
      return parseError(400, "transfer-encoding-in-http10", "Transfer-Encoding in HTTP/1.0");
    }
    // RFC 9112 §6.3: Content-Length with Transfer-Encoding is a request smuggling vector.
    if (cl !== undefined) {
      return parseError(
        400,
        "content-length-with-transfer-encoding",
        "Content-Length together with Transfer-Encoding",
      );
    }
    const codings = listMembers(te);
    // RFC 9112 §6.1: a coding we do not understand is answered 501.
    if (codings.some((c) => c !== "chunked")) {
      return parseError(501, "unknown-transfer-coding", "Unsupported transfer coding");
    }
    // RFC 9112 §6.3: chunked must be applied exactly once, last.
    if (codings.length !== 1) {
      return parseError(400, "bad-transfer-encoding", "Transfer-Encoding must be chunked once");
    }
    return { kind: "chunked" };
  }
  if (cl !== undefined) {
    const length = parseContentLength(cl);
    if (length === null) {
      return parseError(400, "bad-content-length", "Content-Length is invalid or conflicting");
    }
    return length === 0 ? { kind: "none" } : { kind: "length", length };
  }
  return { kind: "none" };
}

/** A parsed response head (the client's view). Header names are lower-cased. */
export interface ResponseHead {
  /** The version in the status line, e.g. `HTTP/1.1`. */
  readonly version: string;
  /** The three-digit status code. */
  readonly status: number;
  /** The reason phrase (may be empty). */
  readonly reason: string;
  /** The status line without its CRLF. */
  readonly statusLine: string;
  /** Header fields by lower-case name; repeated fields joined with ", ". */
  readonly headers: ReadonlyMap<string, string>;
  /** Header fields in order as received, names as sent. */
  readonly fields: readonly (readonly [string, string])[];
}

/** The result of one call to {@linkcode parseResponseHead}. */
export type ResponseParseResult =
  | { readonly kind: "done"; readonly head: ResponseHead; readonly consumed: number }
  | { readonly kind: "partial"; readonly scanned: number }
  | ParseError;

/**
 * Parses one response head from the start of `buf` (RFC 9112 §4): the same byte scanning, line
 * rules and limits as requests, so the client holds servers to the standard the server keeps.
 *
 * @param buf Bytes received that no previous response consumed.
 * @param scanFrom The `scanned` offset of a previous partial result on the same bytes.
 * @returns `done` with the head, `partial`, or an error (the response is malformed).
 */
export function parseResponseHead(buf: Uint8Array, scanFrom = 0): ResponseParseResult {
  const lineEnd = buf.indexOf(LF);
  if (lineEnd === -1) {
    if (buf.length > MAX_REQUEST_LINE_BYTES) {
      return parseError(400, "request-line-too-long", "Status line is too long");
    }
    return { kind: "partial", scanned: 0 };
  }
  const headEnd = findHeadEnd(buf, Math.max(lineEnd, scanFrom));
  if (headEnd === -1) {
    if (buf.length - lineEnd - 1 > MAX_HEADER_BYTES) {
      return parseError(431, "headers-too-large", "Response header section is too large");
    }
    return { kind: "partial", scanned: Math.max(lineEnd, buf.length - 2) };
  }
  if (headEnd - lineEnd - 1 > MAX_HEADER_BYTES) {
    return parseError(431, "headers-too-large", "Response header section is too large");
  }
  if (buf[lineEnd - 1] !== CR) return parseError(400, "bare-lf", "Line ends in LF without CR");
  const statusLine = latin1(buf, 0, lineEnd - 1);
  // status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ]; a missing SP after the code is
  // tolerated, as many servers omit an empty reason.
  const m = /^(HTTP\/\d\.\d) ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/.exec(statusLine);
  if (!m) return parseError(400, "bad-version", "Status line is malformed");
  const fields = parseFieldSection(buf, lineEnd + 1, headEnd);
  if (fields.kind === "error") return fields;
  return {
    kind: "done",
    head: {
      version: m[1],
      status: Number(m[2]),
      reason: m[3] ?? "",
      statusLine,
      headers: fields.headers,
      fields: fields.lines,
    },
    consumed: headEnd,
  };
}

/** How a response body is delimited: like requests, plus "until the connection closes". */
export type ResponseFraming = BodyFraming | { readonly kind: "close" };

/**
 * Decides how a response body is delimited (RFC 9112 §6.3).
 *
 * @param head The response head.
 * @param method The request method it answers.
 * @returns The framing, or an error when Content-Length is invalid.
 */
export function responseFraming(head: ResponseHead, method: string): ResponseFraming | ParseError {
  // RFC 9112 §6.3 rules 1–2: HEAD, 1xx, 204 and 304 have no body whatever the fields say.
  if (method === "HEAD" || head.status < 200 || head.status === 204 || head.status === 304) {
    return { kind: "none" };
  }
  const te = head.headers.get("transfer-encoding");
  if (te !== undefined) {
    // Rule 4: chunked last means chunked (and Content-Length is ignored); else read to close.
    const codings = listMembers(te);
    return codings[codings.length - 1] === "chunked" ? { kind: "chunked" } : { kind: "close" };
  }
  const cl = head.headers.get("content-length");
  if (cl !== undefined) {
    const length = parseContentLength(cl);
    if (length === null) {
      return parseError(400, "bad-content-length", "Content-Length is invalid or conflicting");
    }
    return { kind: "length", length };
  }
  return { kind: "close" };
}
