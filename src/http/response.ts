/**
 * Response heads (RFC 9112 §4): parsed from bytes for the client, with the framing of the body
 * that follows (RFC 9112 §6.3).
 *
 * @module
 */

import { MAX_HEADER_BYTES, MAX_REQUEST_LINE_BYTES } from "../limits.ts";
import { listMembers, parseContentLength, parseFieldSection } from "./fields.ts";
import { type ParseError, parseError } from "./parse_error.ts";
import type { BodyFraming } from "./request.ts";
import { bounded, CR, findHeadEnd, latin1, LF } from "./scan.ts";

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
  const line = bounded(buf, 0, buf.indexOf(LF), MAX_REQUEST_LINE_BYTES);
  if (line.kind === "over-limit") {
    return parseError(400, "request-line-too-long", "Status line is too long");
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
    return parseError(431, "headers-too-large", "Response header section is too large");
  }
  if (section.kind === "partial") {
    return { kind: "partial", scanned: Math.max(lineEnd, buf.length - 2) };
  }
  const headEnd = section.end;
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
