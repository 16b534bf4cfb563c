/**
 * The responder: turns a representation and a request into a reply — status, fields and body —
 * by RFC 9110's rules: preconditions (§13), then ranges (§14), else the whole file. The
 * representation is the one already chosen for the request (identity or a coded form, §12.5.3),
 * so validators and ranges are always those of the bytes sent. Pure: the body writer puts the
 * reply on the wire, and errors go through the error-page funnel.
 *
 * @module
 */

import { checkIfRange, evaluatePreconditions } from "../http/conditional.ts";
import { formatHttpDate } from "../http/dates.ts";
import {
  type ByteRange,
  formatContentRange,
  parseRange,
  type RangeDecision,
} from "../http/range.ts";
import { escapeHtml, type Header } from "../http/head.ts";
import { REASON_PHRASES, type Status } from "../http/status.ts";
import type { FieldReader } from "../http/request_fields.ts";
import { errorReply } from "./error_pages.ts";
import type { OpenFile } from "./opener.ts";
import type { Representation, WireCache } from "./representation.ts";

/** A piece of a file body: bytes from memory (multipart heads) or a byte range of the file. */
export type FileSegment =
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  | { readonly kind: "range"; readonly start: number; readonly length: number };

/** What follows a response head. */
export type ReplyBody =
  | { readonly kind: "none" }
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  | {
    readonly kind: "file";
    readonly file: OpenFile;
    readonly segments: readonly FileSegment[];
    /** Total of all segments: the Content-Length. */
    readonly length: number;
  };

/**
 * A response before the connection adds `Date`, `Server` and `Connection`. `headers` already
 * carries Content-Length (also for HEAD, where it describes the body a GET would get).
 */
export interface Reply {
  readonly status: Status;
  readonly headers: readonly Header[];
  readonly body: ReplyBody;
  /** Close the connection after this reply whatever the client asked. */
  readonly close?: boolean;
  /**
   * Set when the whole response (head and body) depends only on the Date and Connection
   * fields: the connection may then reuse the bytes it built for the same second.
   */
  readonly wire?: WireCache;
  /** Left out of `--metrics` counts (the metrics response itself, so scrapes never skew them). */
  readonly uncounted?: boolean;
}

const encoder = new TextEncoder();

/**
 * Builds a reply whose body is in memory.
 *
 * @param status The status.
 * @param bytes The body.
 * @param contentType Its media type.
 * @param method HEAD drops the body but keeps its Content-Length.
 * @param extra More fields, and whether to close.
 * @returns The reply.
 */
export function bytesReply(
  status: Status,
  bytes: Uint8Array,
  contentType: string,
  method = "GET",
  extra: { readonly headers?: readonly Header[]; readonly close?: boolean } = {},
): Reply {
  return {
    status,
    headers: [
      ...(extra.headers ?? []),
      ["Content-Type", contentType],
      ["Content-Length", String(bytes.length)],
    ],
    body: method === "HEAD" ? { kind: "none" } : { kind: "bytes", bytes },
    close: extra.close,
  };
}

/**
 * Builds a redirect: 301 to the slash form of a directory (RFC 9110 §15.4.2), 308 to the
 * HTTPS address of the same target (§15.4.9: the method and body are kept), or what a redirect
 * rule says (301, 302, 303, 307 or 308).
 *
 * @param location An absolute path (never `//…`), or an absolute URL; free of CR, LF and
 *   spaces (the resolver and the rules percent-encode).
 * @param method The request method.
 * @param status The redirect status. @default 301
 * @returns The reply.
 */
export function redirectReply(
  location: string,
  method: string,
  status: 301 | 302 | 303 | 307 | 308 = 301,
): Reply {
  const title = `${status} ${REASON_PHRASES[status]}`;
  const page =
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>\n` +
    `<body><h1>${title}</h1>\n<p><a href="${escapeHtml(location)}">${
      escapeHtml(location)
    }</a></p></body></html>\n`;
  return bytesReply(status, encoder.encode(page), "text/html; charset=utf-8", method, {
    headers: [["Location", location]],
  });
}

/** What the responder needs from the request for a file. */
export interface FileRequest {
  readonly method: string;
  readonly headers: FieldReader;
}

/** Options for {@linkcode representationReply}. */
export interface FileOptions {
  /** Cache-Control value for 200, 206 and 304 file responses. @default none */
  readonly cacheControl?: string | null;
  /**
   * Send `Vary: Accept-Encoding` (RFC 9110 §12.5.5): the path has or could have a coded
   * representation, so which one a response carries depends on that field. @default false
   */
  readonly vary?: boolean;
}

/** The field a response that could have been coded otherwise names (RFC 9110 §12.5.5). */
export const VARY_ACCEPT_ENCODING: readonly [string, string] = ["Vary", "Accept-Encoding"];

/**
 * Builds the reply for a representation: preconditions first (304/412, RFC 9110 §13.2.2), then
 * Range (206/416, RFC 9110 §14), else 200. An open file is closed unless the reply streams it.
 *
 * @param rep The file.
 * @param request Method and headers.
 * @param options Cache-Control.
 * @returns The reply.
 */
export function representationReply(
  rep: Representation,
  request: FileRequest,
  options: FileOptions = {},
): Reply {
  let streaming = false;
  try {
    const reply = decideFileReply(rep, request, options);
    streaming = reply.body.kind === "file";
    return reply;
  } finally {
    if (!streaming && rep.source.kind === "file") rep.source.file.close();
  }
}

function decideFileReply(rep: Representation, request: FileRequest, options: FileOptions): Reply {
  const { method, headers } = request;
  // The common case for a hot file, a plain GET, gets the same reply every time: build it once.
  if (
    rep.wire !== undefined && method === "GET" && !headers.has("range") && !isConditional(headers)
  ) {
    return rep.wire.reply(options, () => buildFileReply(rep, request, options));
  }
  return buildFileReply(rep, request, options);
}

/** Returns whether a request carries any precondition field (RFC 9110 §13.1). */
function isConditional(headers: FieldReader): boolean {
  return headers.has("if-match") || headers.has("if-none-match") ||
    headers.has("if-modified-since") || headers.has("if-unmodified-since");
}

function buildFileReply(rep: Representation, request: FileRequest, options: FileOptions): Reply {
  const { method, headers } = request;
  const { size, validators } = rep;
  const common: Header[] = [["ETag", validators.etag]];
  if (validators.lastModifiedMs !== null) {
    common.push(["Last-Modified", formatHttpDate(validators.lastModifiedMs)]);
  }
  if (options.cacheControl) common.push(["Cache-Control", options.cacheControl]);
  // RFC 9110 §15.4.5: a 304 carries the Vary a 200 would have.
  if (options.vary) common.push(VARY_ACCEPT_ENCODING);

  if (isConditional(headers)) {
    const outcome = evaluatePreconditions(method, headers, validators);
    // RFC 9110 §15.4.5: a 304 carries the validators but no content fields.
    if (outcome === 304) return { status: 304, headers: common, body: { kind: "none" } };
    if (outcome === 412) return errorReply(412, { method, headers: varyOf(options) });
  }

  const range = headers.get("range");
  // RFC 9110 §14.2: Range is defined for GET only; a failed If-Range means "send it all".
  const decision: RangeDecision = method === "GET" && range !== undefined &&
      rep.ranges !== false && checkIfRange(headers, validators) !== false
    ? parseRange(range, size)
    : { kind: "ignore" };

  if (decision.kind === "unsatisfiable") {
    return errorReply(416, {
      method,
      headers: [["Content-Range", formatContentRange(null, size)], ...varyOf(options)],
    });
  }
  // RFC 9110 §8.4: the coding of the representation; ranges are of its coded bytes (§14.1.2).
  const coding: Header[] = rep.coding === undefined ? [] : [["Content-Encoding", rep.coding]];
  let status: Status = 200;
  let fields: Header[];
  let segments: FileSegment[];
  if (decision.kind === "ignore") {
    fields = [["Content-Type", rep.contentType], ...coding, ["Content-Length", String(size)]];
    segments = [{ kind: "range", start: 0, length: size }];
  } else if (decision.ranges.length === 1) {
    const [r] = decision.ranges;
    status = 206;
    fields = [
      ["Content-Type", rep.contentType],
      ...coding,
      ["Content-Length", String(r.end - r.start + 1)],
      ["Content-Range", formatContentRange(r, size)],
    ];
    segments = [{ kind: "range", start: r.start, length: r.end - r.start + 1 }];
  } else {
    status = 206;
    const boundary = makeBoundary();
    // The representation's type and coding go in each part, beside the Content-Range they
    // describe (RFC 9110 §14.6); on the message they would describe the multipart body.
    segments = multipartSegments(decision.ranges, size, rep.contentType, boundary, rep.coding);
    fields = [
      ["Content-Type", `multipart/byteranges; boundary=${boundary}`],
      ["Content-Length", String(segmentsLength(segments))],
    ];
  }
  const replyHeaders = [...fields, ["Accept-Ranges", "bytes"] as const, ...common];
  const length = segmentsLength(segments);
  if (method === "HEAD" || length === 0) {
    return { status, headers: replyHeaders, body: { kind: "none" } };
  }
  if (rep.source.kind === "memory") {
    const bytes = gather(rep.source.bytes, segments, length);
    // Only the plain 200 is the same for every request; 206 heads depend on the range.
    const wire = status === 200 ? rep.wire : undefined;
    return { status, headers: replyHeaders, body: { kind: "bytes", bytes }, wire };
  }
  return {
    status,
    headers: replyHeaders,
    body: { kind: "file", file: rep.source.file, segments, length },
  };
}

/** The Vary field for error replies about a file whose coding depends on Accept-Encoding. */
function varyOf(options: FileOptions): Header[] {
  return options.vary ? [VARY_ACCEPT_ENCODING] : [];
}

/** Lays segments out from bytes in memory; a single whole range is the bytes themselves. */
function gather(bytes: Uint8Array, segments: readonly FileSegment[], length: number): Uint8Array {
  if (segments.length === 1 && segments[0].kind === "range") {
    const { start, length: n } = segments[0];
    return start === 0 && n === bytes.length ? bytes : bytes.subarray(start, start + n);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const segment of segments) {
    const piece = segment.kind === "bytes"
      ? segment.bytes
      : bytes.subarray(segment.start, segment.start + segment.length);
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

/** Makes a multipart boundary no file can predict or contain by accident. */
function makeBoundary(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return "sockserve-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Lays out a multipart/byteranges body (RFC 9110 §14.6): a part head before each range, the
 * closing delimiter after the last.
 *
 * @param ranges Coalesced, sorted ranges.
 * @param size The file's length.
 * @param type The file's media type.
 * @param boundary The boundary.
 * @param coding The representation's content coding, if any.
 * @returns Segments to write in order.
 */
export function multipartSegments(
  ranges: readonly ByteRange[],
  size: number,
  type: string,
  boundary: string,
  coding?: string,
): FileSegment[] {
  const segments: FileSegment[] = [];
  const encoding = coding === undefined ? "" : `Content-Encoding: ${coding}\r\n`;
  ranges.forEach((r, i) => {
    const head = `${i === 0 ? "" : "\r\n"}--${boundary}\r\nContent-Type: ${type}\r\n` +
      encoding + `Content-Range: ${formatContentRange(r, size)}\r\n\r\n`;
    segments.push({ kind: "bytes", bytes: encoder.encode(head) });
    segments.push({ kind: "range", start: r.start, length: r.end - r.start + 1 });
  });
  segments.push({ kind: "bytes", bytes: encoder.encode(`\r\n--${boundary}--\r\n`) });
  return segments;
}

function segmentsLength(segments: readonly FileSegment[]): number {
  return segments.reduce((sum, s) => sum + (s.kind === "bytes" ? s.bytes.length : s.length), 0);
}
