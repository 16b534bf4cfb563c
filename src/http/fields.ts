/**
 * Field lines (RFC 9110 §5, RFC 9112 §5): the field section of a request or response head, or of
 * a chunked trailer, parsed from bytes; and the helpers that read field values (OWS trimming,
 * lists, Content-Length).
 *
 * @module
 */

import { MAX_CONTENT_LENGTH_DIGITS, MAX_HEADER_FIELDS } from "../limits.ts";
import { type ParseError, parseError } from "./parse_error.ts";
import { ALPHA_DIGIT, byteClass, COLON, CR, HTAB, latin1, LF, SP } from "./scan.ts";

/** RFC 9110 §5.6.2 tchar: the bytes of a method or a field name. */
export const TCHAR = byteClass("!#$%&'*+-.^_`|~" + ALPHA_DIGIT);

/** RFC 9110 §5.5 field-vchar plus SP and HTAB: what a field value may contain. */
const FIELD_VALUE = byteClass("\t ", [[0x21, 0x7e], [0x80, 0xff]]);

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
