/**
 * The request-head parser (RFC 9112 §2–§6): pure, incremental, strict.
 *
 * Bytes go in, a result union comes out. The head is found and checked by scanning bytes with
 * lookup tables; only a finished, validated head becomes a string, in one decode, and every
 * string of the result is a slice of it. Of the fields, only those the server reads are kept
 * (`request_fields.ts`). "partial" is an ordinary result: call again with more bytes and the
 * `scanned` offset it returned, so a client that sends one byte at a time costs linear, not
 * quadratic, work.
 *
 * @module
 */

import { MAX_HEADER_BYTES, MAX_LEADING_EMPTY_LINES, MAX_REQUEST_LINE_BYTES } from "../limits.ts";
import { parseAuthority } from "./authority.ts";
import { listMembers, parseContentLength, TCHAR } from "./fields.ts";
import { type ParseError, parseError } from "./parse_error.ts";
import {
  type FieldReader,
  type FieldScan,
  refuseFieldSection,
  type RequestFields,
  ScannedFields,
  scanRequestFields,
} from "./request_fields.ts";
import {
  bounded,
  byteClass,
  CR,
  decodeAscii,
  findHeadEnd,
  HEX,
  latin1,
  LF,
  QUESTION,
  SLASH,
  SP,
} from "./scan.ts";

/** The HTTP versions sockserve speaks; a request's `HTTP/1.x` with x > 1 is treated as 1.1. */
export type Version = "HTTP/1.0" | "HTTP/1.1";

/** How the body of a message is delimited (RFC 9112 §6.3). */
export type BodyFraming =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" };

/** The form of a request-target (RFC 9112 §3.2). */
export type TargetForm = "origin" | "absolute" | "authority" | "asterisk";

/** A parsed and validated request head. */
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
  /**
   * The fields the server reads, by lower-case name; repeated fields are joined with ", "
   * (RFC 9110 §5.3). Any other field: {@linkcode RequestFields.find} (slow).
   */
  readonly headers: RequestFields;
  /** The authority the request is for: the absolute-form authority, else the Host field. */
  readonly host: string | null;
  /** How the request body, if any, is delimited. */
  readonly body: BodyFraming;
  /** Whether the connection may stay open after the response (RFC 9112 §9.3). */
  readonly keepAlive: boolean;
  /** Whether the client waits for `100 Continue` before sending its body (RFC 9110 §10.1.1). */
  readonly expectContinue: boolean;
}

/** The result of one call to {@linkcode parseRequestHead}. */
export type RequestParseResult =
  | { readonly kind: "done"; readonly head: RequestHead; readonly consumed: number }
  | { readonly kind: "partial"; readonly scanned: number }
  | ParseError;

/**
 * Bytes allowed in a request-target: visible ASCII except `#` (a fragment is never sent,
 * RFC 9112 §3.2). Stricter RFC 3986 classes would refuse the `|` and `{}` that real clients send.
 */
const TARGET = byteClass("", [[0x21, 0x22], [0x24, 0x7e]]);

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

  // A head that arrived whole, the common case, is checked in one pass without searching for
  // line ends first. Anything else (a head still arriving, a body or a further request behind
  // it, any error) takes the path below, which checks limits first and names every error.
  const n = buf.length;
  if (buf[n - 1] === LF && buf[n - 2] === CR && buf[n - 3] === LF && buf[n - 4] === CR) {
    const whole = parseWholeHead(buf, start);
    if (whole !== null) return whole;
  }

  const line = bounded(buf, start, buf.indexOf(LF, start), MAX_REQUEST_LINE_BYTES);
  if (line.kind === "over-limit") {
    return parseError(414, "request-line-too-long", "Request line is too long");
  }
  if (line.kind === "partial") return { kind: "partial", scanned: 0 };
  const lineEnd = line.end;

  const section = bounded(
    buf,
    lineEnd + 1,
    findHeadEnd(buf, Math.max(lineEnd, scanFrom)),
    MAX_HEADER_BYTES,
  );
  if (section.kind === "over-limit") {
    return parseError(431, "headers-too-large", "Header section is too large");
  }
  // Resume two bytes back: the LF CR LF that ends the head may straddle the next read.
  if (section.kind === "partial") {
    return { kind: "partial", scanned: Math.max(lineEnd, buf.length - 2) };
  }
  const headEnd = section.end;

  const requestLine = parseRequestLine(buf, start, lineEnd);
  if (requestLine.kind === "error") return requestLine;
  const fields = scanRequestFields(buf, lineEnd + 1, headEnd);
  if (fields === null) return refuseFieldSection(buf, lineEnd + 1, headEnd);
  return finishRequestHead(buf, start, requestLine, fields);
}

/**
 * Parses a head that ends at or before the end of `buf`, in one pass over its bytes. It gives
 * up (null) on anything {@linkcode parseRequestHead}'s careful path would refuse or wait for,
 * so it only ever returns what that path returns, sooner.
 *
 * @param buf Bytes that end with an empty line.
 * @param start Index of the request line.
 * @returns The result, or null to take the careful path.
 */
function parseWholeHead(buf: Uint8Array, start: number): RequestParseResult | null {
  const line = scanRequestLine(buf, start);
  if (line === null || line.end + 1 - start > MAX_REQUEST_LINE_BYTES) return null;
  const fields = scanRequestFields(buf, line.end + 2, buf.length);
  if (fields === null || fields.end - (line.end + 2) > MAX_HEADER_BYTES) return null;
  return finishRequestHead(buf, start, line, fields);
}

/**
 * Checks a request line without knowing where it ends: `method SP request-target SP
 * HTTP-version CRLF` (RFC 9112 §3). Null when the line is not valid in full; then
 * {@linkcode parseRequestLine} names the error.
 */
function scanRequestLine(buf: Uint8Array, start: number): RequestLine | null {
  let i = start;
  while (TCHAR[buf[i]]) i++;
  if (i === start || buf[i] !== SP) return null;
  const methodEnd = i++;
  const targetStart = i;
  while (TARGET[buf[i]]) i++;
  if (i === targetStart || buf[i] !== SP) return null;
  const targetEnd = i++;
  const end = i + HTTP_VERSION_BYTES;
  if (buf[end] !== CR || buf[end + 1] !== LF) return null;
  const version = parseVersion(buf, i, end);
  if (typeof version !== "string") return null;
  return { kind: "line", methodEnd, targetStart, targetEnd, end, version };
}

/** Where the parts of a valid request line are. */
interface RequestLine {
  readonly kind: "line";
  readonly methodEnd: number;
  readonly targetStart: number;
  readonly targetEnd: number;
  /** The index of the CR that ends the line. */
  readonly end: number;
  readonly version: Version;
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
  return { kind: "line", methodEnd, targetStart, targetEnd, end, version };
}

const HTTP_SLASH = [0x48, 0x54, 0x54, 0x50, 0x2f]; // "HTTP/"

/** The length of `HTTP/` DIGIT `.` DIGIT (RFC 9112 §2.3). */
const HTTP_VERSION_BYTES = 8;

/** Parses `HTTP/` DIGIT `.` DIGIT (RFC 9112 §2.3); another major version → 505. */
function parseVersion(buf: Uint8Array, start: number, end: number): Version | ParseError {
  const malformed = parseError(400, "bad-version", "HTTP version is malformed");
  if (end - start !== HTTP_VERSION_BYTES) return malformed;
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

/** Checks that every `%` in a string starts a valid escape (RFC 3986 §2.1). */
function hasValidEscapes(text: string): boolean {
  for (let i = text.indexOf("%"); i !== -1; i = text.indexOf("%", i + 1)) {
    if (!HEX[text.charCodeAt(i + 1)] || !HEX[text.charCodeAt(i + 2)]) return false;
  }
  return true;
}

/** RFC 9112 §3.2: a Host or authority is `host [":" port]`; two ports or stray brackets → 400. */
function isHost(text: string): boolean {
  // Every request on a connection names the same Host: a repeat is valid without parsing.
  if (text === lastValidHost) return true;
  if (parseAuthority(text) === null) return false;
  lastValidHost = text;
  return true;
}

let lastValidHost: string | null = null;

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

/**
 * Turns a checked head into strings and applies the rules that span fields: Host, framing,
 * persistence, expectations.
 *
 * @param buf The bytes.
 * @param base The index of the request line.
 * @param line Where its parts are.
 * @param scan Where the known fields are and where the head ends.
 */
function finishRequestHead(
  buf: Uint8Array,
  base: number,
  line: RequestLine,
  scan: FieldScan,
): RequestParseResult {
  const consumed = scan.end;
  // One decode for the whole head; every string of the result is a slice of it. Field values
  // may hold obs-text (RFC 9110 §5.5), which only the slower Latin-1 decode keeps as sent.
  const text = scan.ascii ? decodeAscii(buf, base, consumed) : latin1(buf, base, consumed);
  const method = text.slice(0, line.methodEnd - base);
  const lineTarget = text.slice(line.targetStart - base, line.targetEnd - base);
  const target = parseTarget(lineTarget, method);
  if (target.kind === "error") return target;

  // RFC 9112 §3.2: exactly one Host in HTTP/1.1; more than one is always refused.
  const hostCount = scan.hostLines;
  if (hostCount > 1) return parseError(400, "duplicate-host", "More than one Host field");
  if (hostCount === 0 && line.version === "HTTP/1.1") {
    return parseError(400, "missing-host", "HTTP/1.1 request without Host");
  }
  const headers = new ScannedFields(scan, text, base, line.end + 2 - base);
  const hostField = headers.get("host") ?? null;
  if (hostField !== null && !isHost(hostField)) {
    return parseError(400, "bad-host", "Host field is not a valid authority");
  }

  const body = parseFraming(headers, line.version);
  if ("status" in body) return body;

  const connectionField = headers.get("connection");
  const connection = connectionField === undefined ? NO_MEMBERS : listMembers(connectionField);
  const close = connection.includes("close");
  const keepAlive = line.version === "HTTP/1.1"
    ? !close
    : connection.includes("keep-alive") && !close;
  // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored.
  const expect = line.version === "HTTP/1.1" ? headers.get("expect") : undefined;
  const expectContinue = expect !== undefined && listMembers(expect).includes("100-continue");

  const head: RequestHead = {
    method,
    target: lineTarget,
    form: target.form,
    path: target.path,
    query: target.query,
    version: line.version,
    requestLine: text.slice(0, line.end - base),
    headers,
    // RFC 9112 §3.2.2: the authority of an absolute-form target replaces the Host field.
    host: target.authority ?? hostField,
    body,
    keepAlive,
    expectContinue,
  };
  return { kind: "done", head, consumed };
}

const NO_MEMBERS: readonly string[] = [];

/** Decides how the request body is delimited (RFC 9112 §6.1, §6.3). */
function parseFraming(
  headers: FieldReader,
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
