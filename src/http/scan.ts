/**
 * Byte scanning shared by every parser of HTTP/1.1 text (requests, responses, chunked coding):
 * byte constants, 256-entry byte classes, Latin-1 decoding of finished slices, and the bounded
 * search every parser needs, "find the end, or report partial unless the limit is passed".
 *
 * @module
 */

/** Carriage return. */
export const CR = 0x0d;
/** Line feed. */
export const LF = 0x0a;
/** Space. */
export const SP = 0x20;
/** Horizontal tab. */
export const HTAB = 0x09;
/** `:` */
export const COLON = 0x3a;
/** `?` */
export const QUESTION = 0x3f;
/** `/` */
export const SLASH = 0x2f;

/**
 * Builds a 256-entry byte class table from the characters and ranges given.
 *
 * @param chars Bytes in the class, as characters.
 * @param ranges Inclusive byte ranges in the class.
 * @returns A table whose entry for a byte is 1 when the byte is in the class.
 */
export function byteClass(
  chars: string,
  ranges: readonly (readonly [number, number])[] = [],
): Uint8Array {
  const table = new Uint8Array(256);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  for (const [lo, hi] of ranges) table.fill(1, lo, hi + 1);
  return table;
}

/** Letters and digits, for byte classes. */
export const ALPHA_DIGIT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** Hexadecimal digits. */
export const HEX = byteClass("0123456789abcdefABCDEF");

/**
 * Decodes bytes as Latin-1 (each byte one UTF-16 unit), the lossless reading of header bytes.
 *
 * @param buf The bytes.
 * @param start First index.
 * @param end Index after the last byte.
 * @returns The string.
 */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= LATIN1_CHUNK) {
    return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
  }
  // Spreading a whole 24 KiB head into arguments could overflow the stack: go in chunks.
  let text = "";
  for (let from = start; from < end; from += LATIN1_CHUNK) {
    text += latin1(buf, from, Math.min(end, from + LATIN1_CHUNK));
  }
  return text;
}

/** Bytes per `String.fromCharCode` call in {@linkcode latin1}. */
const LATIN1_CHUNK = 4096;

const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Decodes bytes that are all ASCII (below 0x80), where UTF-8 and Latin-1 agree, in one native
 * call: for a 900-byte head about 20 times faster than {@linkcode latin1}.
 *
 * @param buf The bytes.
 * @param start First index.
 * @param end Index after the last byte; every byte in between must be below 0x80.
 * @returns The string.
 */
export function decodeAscii(buf: Uint8Array, start: number, end: number): string {
  return utf8.decode(buf.subarray(start, end));
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

/** Where a bounded search ended. */
export type Bounded =
  | { readonly kind: "found"; readonly end: number }
  | { readonly kind: "partial" }
  | { readonly kind: "over-limit" };

/**
 * Searches for the end of a syntactic unit (a line, a header section) that starts at `start`
 * and may be at most `limit` bytes long: found, not yet arrived (partial), or too long already.
 * A unit that has not ended is judged by what has arrived so far, so a client cannot make the
 * parser wait for bytes beyond the limit.
 *
 * @param buf Bytes received so far.
 * @param start Where the unit starts (its length is measured from here).
 * @param end Where the search found its end (-1: not found), from a search function.
 * @param limit The unit's largest allowed length.
 * @returns The outcome.
 */
export function bounded(buf: Uint8Array, start: number, end: number, limit: number): Bounded {
  if (end === -1) return buf.length - start > limit ? { kind: "over-limit" } : { kind: "partial" };
  return end - start > limit ? { kind: "over-limit" } : { kind: "found", end };
}
