/**
 * The responder: turns a resolution into a reply (status, fields, body) and streams bodies.
 *
 * Building a reply is pure except for opening the file. Writing goes through a {@linkcode Sink},
 * so the connection keeps control of the socket, its deadlines and its byte counts.
 *
 * @module
 */

import {
  FILE_CHUNK_BYTES,
  MAX_STREAM_BUFFER_BYTES,
  MIN_STREAM_CHUNK_BYTES,
  SINGLE_WRITE_MAX_BYTES,
} from "../limits.ts";
import { checkIfRange, evaluatePreconditions, type Validators } from "../http/conditional.ts";
import { formatHttpDate } from "../http/dates.ts";
import { makeETag } from "../http/etag.ts";
import {
  type ByteRange,
  formatContentRange,
  parseRange,
  type RangeDecision,
} from "../http/range.ts";
import { escapeHtml, type Header } from "../http/head.ts";
import { contentTypeFor } from "../http/media_types.ts";
import { type ErrorStatus, REASON_PHRASES, type Status } from "../http/status.ts";
import type { FileStat, OpenFile } from "./opener.ts";
import { SERVER_NAME } from "../version.ts";

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
}

/** A response as bytes on the wire, with its head as text for the logs. */
export interface Wire {
  readonly head: string;
  readonly bytes: Uint8Array;
}

/**
 * The last built wire image of a fixed response, per Connection value: rebuilt when the Date
 * second changes, so a hot file costs no formatting, encoding or copying on most requests.
 */
export class WireCache {
  #date = "";
  #keepAlive: Wire | null = null;
  #close: Wire | null = null;
  #reply: Reply | null = null;
  #replyOptions: FileOptions | null = null;

  /**
   * Returns the plain 200 reply of this file for these options, building it once.
   *
   * @param options The server's file options (one object per server).
   * @param build Builds the reply when missing.
   * @returns The reply.
   */
  reply(options: FileOptions, build: () => Reply): Reply {
    if (this.#replyOptions !== options || this.#reply === null) {
      this.#reply = build();
      this.#replyOptions = options;
    }
    return this.#reply;
  }

  /**
   * Returns the wire image for this second and Connection value, building it once.
   *
   * @param date The current Date field value.
   * @param keepAlive Which Connection value.
   * @param build Builds the image when missing.
   * @returns The image.
   */
  get(date: string, keepAlive: boolean, build: () => Wire): Wire {
    if (date !== this.#date) {
      this.#date = date;
      this.#keepAlive = this.#close = null;
    }
    if (keepAlive) return this.#keepAlive ??= build();
    return this.#close ??= build();
  }
}

/** Where reply bytes go: the connection's socket, with its deadline and byte counting. */
export interface Sink {
  /** Writes all of `bytes`, waiting for the socket to drain (backpressure). */
  write(bytes: Uint8Array): Promise<void>;
}

const encoder = new TextEncoder();

/** Options for {@linkcode errorReply}. */
export interface ErrorOptions {
  /** The request method: HEAD gets the same fields and no body. */
  readonly method?: string;
  /** A sentence for the page; it is HTML-escaped. */
  readonly detail?: string;
  /** Extra fields, e.g. `Allow` for 405. */
  readonly headers?: readonly Header[];
  /** Close the connection after the reply. */
  readonly close?: boolean;
}

/** What each error page says when the caller gives no detail. */
const DEFAULT_DETAIL: Record<ErrorStatus, string> = {
  400: "The request could not be understood.",
  403: "You do not have permission to read this resource.",
  404: "Nothing is served at this address.",
  405: "This method is not allowed here; use GET or HEAD.",
  408: "The request took too long to arrive.",
  412: "A precondition of the request failed.",
  413: "The request body is too large.",
  414: "The request target is too long.",
  416: "The requested range cannot be satisfied.",
  417: "The expectation of the request cannot be met.",
  421: "This server only answers requests addressed to this machine.",
  431: "The request header fields are too large.",
  500: "The server failed to answer this request.",
  501: "This method is not implemented.",
  503: "The server is shutting down.",
  505: "Only HTTP/1.0 and HTTP/1.1 are supported.",
};

/**
 * Builds the HTML page of an error status: the one funnel all error responses go through.
 *
 * @param status The error status.
 * @param detail A sentence to show; escaped here.
 * @returns The page.
 */
export function formatErrorPage(
  status: ErrorStatus,
  detail: string = DEFAULT_DETAIL[status],
): string {
  const title = `${status} ${REASON_PHRASES[status]}`;
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>\n` +
    `<body><h1>${title}</h1>\n<p>${
      escapeHtml(detail)
    }</p>\n<hr><address>${SERVER_NAME}</address></body></html>\n`;
}

/**
 * Builds an error reply with a small HTML body.
 *
 * @param status The error status.
 * @param options Method, detail text, extra fields, close.
 * @returns The reply.
 */
export function errorReply(status: ErrorStatus, options: ErrorOptions = {}): Reply {
  const page = encoder.encode(formatErrorPage(status, options.detail));
  return bytesReply(status, page, "text/html; charset=utf-8", options.method, {
    headers: options.headers,
    close: options.close,
  });
}

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
 * Builds a 301 to the slash form of a directory (RFC 9110 §15.4.2).
 *
 * @param location An absolute path from the resolver (never `//…`).
 * @param method The request method.
 * @returns The reply.
 */
export function redirectReply(location: string, method: string): Reply {
  const page =
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>301 Moved Permanently</title></head>\n` +
    `<body><h1>301 Moved Permanently</h1>\n<p><a href="${escapeHtml(location)}">${
      escapeHtml(location)
    }</a></p></body></html>\n`;
  return bytesReply(301, encoder.encode(page), "text/html; charset=utf-8", method, {
    headers: [["Location", location]],
  });
}

/** What the responder needs from the request for a file. */
export interface FileRequest {
  readonly method: string;
  readonly headers: ReadonlyMap<string, string>;
}

/** Options for {@linkcode representationReply}. */
export interface FileOptions {
  /** Cache-Control value for 200, 206 and 304 file responses. @default none */
  readonly cacheControl?: string | null;
}

/** Where a representation's bytes are: an open file, or memory (the hot-file cache). */
export type Source =
  | { readonly kind: "file"; readonly file: OpenFile }
  | { readonly kind: "memory"; readonly bytes: Uint8Array };

/** A file as the responder serves it: type, length, validators and where its bytes are. */
export interface Representation {
  readonly contentType: string;
  readonly size: number;
  readonly validators: Validators;
  readonly source: Source;
  /** The reusable full 200 response, for representations held in memory. */
  readonly wire?: WireCache;
}

/**
 * Describes a file from its fstat: strong ETag from inode, size and mtime; Last-Modified.
 *
 * @param path The file's path (its extension gives the type).
 * @param stat Its fstat, taken through the open file.
 * @param source Where its bytes are.
 * @param nowMs The current time: a modification time in the future is not announced (RFC 9110
 *   §8.8.2.1: Last-Modified is never later than the response's Date).
 * @returns The representation.
 */
export function describeFile(
  path: string,
  stat: FileStat,
  source: Source,
  nowMs: number = Date.now(),
): Representation {
  const { mtimeMs } = stat;
  return {
    contentType: contentTypeFor(path),
    size: stat.size,
    validators: {
      etag: makeETag({ size: stat.size, mtimeMs, ino: stat.ino }),
      lastModifiedMs: mtimeMs === null ? null : Math.min(mtimeMs, nowMs),
    },
    source,
  };
}

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
function isConditional(headers: ReadonlyMap<string, string>): boolean {
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

  if (isConditional(headers)) {
    const outcome = evaluatePreconditions(method, headers, validators);
    // RFC 9110 §15.4.5: a 304 carries the validators but no content fields.
    if (outcome === 304) return { status: 304, headers: common, body: { kind: "none" } };
    if (outcome === 412) return errorReply(412, { method });
  }

  const range = headers.get("range");
  // RFC 9110 §14.2: Range is defined for GET only; a failed If-Range means "send it all".
  const decision: RangeDecision = method === "GET" && range !== undefined &&
      checkIfRange(headers, validators) !== false
    ? parseRange(range, size)
    : { kind: "ignore" };

  if (decision.kind === "unsatisfiable") {
    return errorReply(416, {
      method,
      headers: [["Content-Range", formatContentRange(null, size)]],
    });
  }
  let status: Status = 200;
  let fields: Header[];
  let segments: FileSegment[];
  if (decision.kind === "ignore") {
    fields = [["Content-Type", rep.contentType], ["Content-Length", String(size)]];
    segments = [{ kind: "range", start: 0, length: size }];
  } else if (decision.ranges.length === 1) {
    const [r] = decision.ranges;
    status = 206;
    fields = [
      ["Content-Type", rep.contentType],
      ["Content-Length", String(r.end - r.start + 1)],
      ["Content-Range", formatContentRange(r, size)],
    ];
    segments = [{ kind: "range", start: r.start, length: r.end - r.start + 1 }];
  } else {
    status = 206;
    const boundary = makeBoundary();
    segments = multipartSegments(decision.ranges, size, rep.contentType, boundary);
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
 * @returns Segments to write in order.
 */
export function multipartSegments(
  ranges: readonly ByteRange[],
  size: number,
  type: string,
  boundary: string,
): FileSegment[] {
  const segments: FileSegment[] = [];
  ranges.forEach((r, i) => {
    const head = `${i === 0 ? "" : "\r\n"}--${boundary}\r\nContent-Type: ${type}\r\n` +
      `Content-Range: ${formatContentRange(r, size)}\r\n\r\n`;
    segments.push({ kind: "bytes", bytes: encoder.encode(head) });
    segments.push({ kind: "range", start: r.start, length: r.end - r.start + 1 });
  });
  segments.push({ kind: "bytes", bytes: encoder.encode(`\r\n--${boundary}--\r\n`) });
  return segments;
}

function segmentsLength(segments: readonly FileSegment[]): number {
  return segments.reduce((sum, s) => sum + (s.kind === "bytes" ? s.bytes.length : s.length), 0);
}

/**
 * Writes a head and body to the sink, closing a file body in every case. Small bodies go out in
 * the same write as the head; large ones stream through one reused buffer, each write waiting
 * for the socket (so a slow client costs one buffer, not the file).
 *
 * @param sink The connection's writer.
 * @param head The encoded response head.
 * @param body The body.
 * @throws When the file ends early: the promised Content-Length cannot be kept, so the caller
 *   must close the connection.
 */
export function writeReply(sink: Sink, head: Uint8Array, body: ReplyBody): Promise<void> {
  if (body.kind === "none") return sink.write(head);
  if (body.kind === "bytes") {
    if (body.bytes.length > SINGLE_WRITE_MAX_BYTES) {
      const bytes = body.bytes;
      return sink.write(head).then(() => sink.write(bytes));
    }
    const all = new Uint8Array(head.length + body.bytes.length);
    all.set(head);
    all.set(body.bytes, head.length);
    return sink.write(all);
  }
  return writeFileBody(sink, head, body);
}

/**
 * The file-streaming buffers all responses hold at once, bounded: a response asks for a full
 * {@linkcode FILE_CHUNK_BYTES} buffer and gets it while the budget lasts, else a small
 * {@linkcode MIN_STREAM_CHUNK_BYTES} one, so thousands of slow readers cost megabytes, not
 * gigabytes.
 */
export class StreamBudget {
  readonly #max: number;
  #used = 0;

  /** @param max Bytes all full-size buffers may take together. */
  constructor(max: number = MAX_STREAM_BUFFER_BYTES) {
    this.#max = max;
  }

  /** Bytes currently handed out. */
  get used(): number {
    return this.#used;
  }

  /**
   * Takes a buffer size for a body of `length` bytes; give it back with {@linkcode release}.
   *
   * @param length The body's length.
   * @returns The buffer size granted.
   */
  acquire(length: number): number {
    const wanted = Math.min(FILE_CHUNK_BYTES, length);
    const size = this.#used + wanted <= this.#max
      ? wanted
      : Math.min(MIN_STREAM_CHUNK_BYTES, wanted);
    this.#used += size;
    return size;
  }

  /**
   * Returns a size taken with {@linkcode acquire}.
   *
   * @param size The size granted.
   */
  release(size: number): void {
    this.#used -= size;
  }
}

/** The budget of this isolate's streaming buffers. */
export const streamBudget: StreamBudget = new StreamBudget();

/** Streams a file body (see {@linkcode writeReply}). */
async function writeFileBody(
  sink: Sink,
  head: Uint8Array,
  body: Extract<ReplyBody, { kind: "file" }>,
): Promise<void> {
  const { file, segments, length } = body;
  try {
    if (length <= SINGLE_WRITE_MAX_BYTES) {
      const all = new Uint8Array(head.length + length);
      all.set(head);
      let at = head.length;
      for (const segment of segments) {
        if (segment.kind === "bytes") {
          all.set(segment.bytes, at);
          at += segment.bytes.length;
        } else {
          await file.readExactly(all.subarray(at, at + segment.length), segment.start);
          at += segment.length;
        }
      }
      return await sink.write(all);
    }
    await sink.write(head);
    const size = streamBudget.acquire(length);
    try {
      const chunk = new Uint8Array(size);
      for (const segment of segments) {
        if (segment.kind === "bytes") {
          await sink.write(segment.bytes);
          continue;
        }
        let position = segment.start;
        const end = segment.start + segment.length;
        while (position < end) {
          const part = chunk.subarray(0, Math.min(chunk.length, end - position));
          await file.readExactly(part, position);
          position += part.length;
          await sink.write(part);
        }
      }
    } finally {
      streamBudget.release(size);
    }
  } finally {
    file.close();
  }
}
