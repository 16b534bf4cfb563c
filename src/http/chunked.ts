/**
 * The chunked transfer coding decoder (RFC 9112 §7.1): pure and incremental.
 *
 * The server uses it to skip a request body so the next pipelined request starts at the right
 * byte; the client uses the same decoder to read response bodies. Each call consumes whole
 * syntactic units (a size line, data, the CRLF after data, the trailer section) and reports how
 * many bytes it used; the caller keeps the rest and calls again with more.
 *
 * @module
 */

import { MAX_CHUNK_LINE_BYTES, MAX_CHUNK_SIZE_DIGITS, MAX_TRAILER_BYTES } from "../limits.ts";
import { parseFieldSection } from "./fields.ts";
import { type ParseError, parseError } from "./parse_error.ts";
import { bounded, CR, findHeadEnd, HTAB, LF, SP } from "./scan.ts";

/** Where the decoder is within a chunked body. `received` counts decoded body bytes so far. */
export type ChunkedState =
  | { readonly phase: "size"; readonly received: number }
  | { readonly phase: "data"; readonly received: number; readonly remaining: number }
  | { readonly phase: "data-end"; readonly received: number }
  | { readonly phase: "trailers"; readonly received: number }
  | { readonly phase: "done"; readonly received: number };

/** The result of one {@linkcode decodeChunked} step that did not fail. */
export interface ChunkedProgress {
  /** Tells progress from a {@linkcode ParseError}. */
  readonly kind: "progress";
  /** The state to pass to the next call; `phase: "done"` once the last chunk and trailers are in. */
  readonly state: ChunkedState;
  /** Bytes of the input used; the rest belongs to the next call (or the next message). */
  readonly consumed: number;
  /** Decoded body data, as views into the input. */
  readonly data: readonly Uint8Array[];
  /** Trailer fields, once the body is done; `null` before. */
  readonly trailers: ReadonlyMap<string, string> | null;
}

/** The state at the start of a chunked body. */
export const CHUNKED_START: ChunkedState = { phase: "size", received: 0 };

/** `;` */
const SEMICOLON = 0x3b;

/** Hex value of each byte, or 255 for a non-hex byte. */
const HEX_VALUE = (() => {
  const table = new Uint8Array(256).fill(255);
  for (let d = 0; d < 10; d++) table[0x30 + d] = d;
  for (let d = 0; d < 6; d++) table[0x61 + d] = table[0x41 + d] = 10 + d;
  return table;
})();

/**
 * Decodes as much of a chunked body as `buf` holds.
 *
 * @param state Where the previous call stopped ({@linkcode CHUNKED_START} at first).
 * @param buf Bytes not yet consumed.
 * @param maxBody Largest body accepted; more → 413.
 * @returns Progress (possibly zero bytes when a line is incomplete), or a 400/413/431 error.
 */
export function decodeChunked(
  state: ChunkedState,
  buf: Uint8Array,
  maxBody: number,
): ChunkedProgress | ParseError {
  const data: Uint8Array[] = [];
  let pos = 0;
  let s = state;
  while (s.phase !== "done") {
    if (s.phase === "data") {
      const take = Math.min(s.remaining, buf.length - pos);
      if (take === 0) break;
      data.push(buf.subarray(pos, pos + take));
      pos += take;
      const remaining = s.remaining - take;
      s = remaining === 0
        ? { phase: "data-end", received: s.received }
        : { phase: "data", received: s.received, remaining };
    } else if (s.phase === "data-end") {
      if (buf.length - pos < 2) break;
      if (buf[pos] !== CR || buf[pos + 1] !== LF) {
        return parseError(400, "bad-chunk", "Chunk data is not followed by CRLF");
      }
      pos += 2;
      s = { phase: "size", received: s.received };
    } else if (s.phase === "size") {
      const line = bounded(buf, pos, buf.indexOf(LF, pos), MAX_CHUNK_LINE_BYTES);
      if (line.kind === "over-limit") {
        return parseError(400, "bad-chunk", "Chunk size line is too long");
      }
      if (line.kind === "partial") break;
      const lf = line.end;
      const size = parseChunkSize(buf, pos, lf);
      if (typeof size !== "number") return size;
      if (s.received + size > maxBody) {
        return parseError(413, "body-too-large", "Chunked body is too large");
      }
      pos = lf + 1;
      s = size === 0
        ? { phase: "trailers", received: s.received }
        : { phase: "data", received: s.received + size, remaining: size };
    } else {
      // RFC 9112 §7.1.2: the trailer section ends with an empty line, like a header section.
      if (buf.length - pos < 2) break;
      const section = bounded(
        buf,
        pos,
        buf[pos] === CR && buf[pos + 1] === LF ? pos + 2 : findHeadEnd(buf, pos),
        MAX_TRAILER_BYTES,
      );
      if (section.kind === "over-limit") {
        return parseError(431, "headers-too-large", "Trailer section is too large");
      }
      if (section.kind === "partial") break;
      const end = section.end;
      const fields = parseFieldSection(buf, pos, end);
      if (fields.kind === "error") return fields;
      pos = end;
      return {
        kind: "progress",
        state: { phase: "done", received: s.received },
        consumed: pos,
        data,
        trailers: fields.headers,
      };
    }
  }
  return { kind: "progress", state: s, consumed: pos, data, trailers: null };
}

/** Parses `chunk-size [ chunk-ext ] CRLF` in [start, lf] (RFC 9112 §7.1, §7.1.1). */
function parseChunkSize(buf: Uint8Array, start: number, lf: number): number | ParseError {
  if (buf[lf - 1] !== CR || lf - 1 < start) {
    return parseError(400, "bare-lf", "Chunk size line ends in LF without CR");
  }
  const end = lf - 1;
  let i = start;
  let size = 0;
  while (i < end && HEX_VALUE[buf[i]] !== 255) {
    if (i - start >= MAX_CHUNK_SIZE_DIGITS) {
      return parseError(413, "body-too-large", "Chunk size is too large");
    }
    size = size * 16 + HEX_VALUE[buf[i]];
    i++;
  }
  if (i === start) return parseError(400, "bad-chunk", "Chunk size is not hexadecimal");
  // Extensions are ignored, but must be introduced by ";" and free of control bytes.
  let k = i;
  while (k < end && (buf[k] === SP || buf[k] === HTAB)) k++;
  if (k < end && buf[k] !== SEMICOLON) {
    return parseError(400, "bad-chunk", "Chunk size is followed by garbage");
  }
  for (; k < end; k++) {
    const b = buf[k];
    if ((b < 0x20 && b !== HTAB) || b === 0x7f) {
      return parseError(400, "bad-chunk", "Chunk extension has a control character");
    }
  }
  return size;
}
