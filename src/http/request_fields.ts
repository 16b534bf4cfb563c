/**
 * The field section of a request head as the server reads it (picohttpparser's contract): one
 * pass over the field lines checks every byte by the same rules as
 * {@linkcode parseFieldSection} and notes where each value is, but only the fields the server
 * reads ({@linkcode KNOWN_FIELDS}) are recognised, by their bytes (length, first byte, then a
 * case-folded compare), and only their values become strings. Cookies, client hints and the
 * rest cost one validation pass and nothing else.
 *
 * In: the bytes of a head and where its field lines start. Out: where the known fields are, which
 * a {@linkcode ScannedFields} turns into strings; or, for lines the scan refuses, the exact error
 * {@linkcode parseFieldSection} gives for the same bytes ({@linkcode refuseFieldSection}).
 *
 * @module
 */

import { MAX_HEADER_FIELDS } from "../limits.ts";
import { parseFieldSection, TCHAR, trimOws } from "./fields.ts";
import { type ParseError, parseError } from "./parse_error.ts";
import { byteClass, COLON, CR, HTAB, LF, SP } from "./scan.ts";

/**
 * The request fields sockserve reads, by lower-case name (RFC 9110 §5.1: field names are
 * case-insensitive). A field not listed here is validated and then ignored; reading a new field
 * means adding its name here, and the type checker points at any read of a name that is not.
 */
export const KNOWN_FIELDS = [
  "accept",
  "accept-encoding",
  "access-control-request-method",
  "authorization",
  "connection",
  "content-length",
  "expect",
  "forwarded",
  "host",
  "if-match",
  "if-modified-since",
  "if-none-match",
  "if-range",
  "if-unmodified-since",
  "origin",
  "range",
  "referer",
  "sec-fetch-site",
  "transfer-encoding",
  "user-agent",
  "via",
  "x-forwarded-for",
] as const;

/** The lower-case name of a field the server reads. */
export type KnownField = typeof KNOWN_FIELDS[number];

/**
 * Read access to a request's fields by lower-case name. A `Map<string, string>` fits too, which
 * is what pure tests of the consumers pass.
 */
export interface FieldReader {
  /** Returns the field's value, repeated lines joined with ", " (RFC 9110 §5.3). */
  get(name: KnownField): string | undefined;
  /** Returns whether the request has the field. */
  has(name: KnownField): boolean;
}

/** A request's fields: the known ones by name, fast; any field, slowly. */
export interface RequestFields extends FieldReader {
  /**
   * Returns any field's value by name, known or not, repeated lines joined with ", "
   * (RFC 9110 §5.3). Slow: it splits the head again; use `get` for known names.
   */
  find(name: string): string | undefined;
  /**
   * Returns every field line in order, names as sent and values without surrounding
   * whitespace. Slow: it splits the head again; for diagnostics and tests, never per request.
   */
  entries(): [string, string][];
}

/** Each known name's index in {@linkcode KNOWN_FIELDS}, the slot its value is kept in. */
const SLOT: Readonly<Record<KnownField, number>> = Object.fromEntries(
  KNOWN_FIELDS.map((name, slot) => [name, slot]),
) as Record<KnownField, number>;

/** The slot of Host, whose repetition the parser refuses (RFC 9112 §3.2). */
const HOST_SLOT = SLOT.host;

/** The longest known name: a longer name is unknown without looking at it. */
const LONGEST_NAME = Math.max(...KNOWN_FIELDS.map((name) => name.length));

/** Known names as bytes, one after another, for the compare; each starts at `NAME_AT[slot]`. */
const NAME_BYTES = Uint8Array.from(KNOWN_FIELDS.join(""), (c) => c.charCodeAt(0));
const NAME_AT = Int32Array.from(
  KNOWN_FIELDS,
  (_, slot) => KNOWN_FIELDS.slice(0, slot).join("").length,
);

/** Candidates per bucket of names with the same length and first letter. */
const BUCKET_SIZE = 2;

/**
 * Slots by name length and first letter: the bucket of a name starts at
 * `(length * 32 + (first byte & 31)) * BUCKET_SIZE`; -1 ends it.
 */
const BUCKETS: Int8Array = (() => {
  const buckets = new Int8Array((LONGEST_NAME + 1) * 32 * BUCKET_SIZE).fill(-1);
  KNOWN_FIELDS.forEach((name, slot) => {
    let at = (name.length * 32 + (name.charCodeAt(0) & 31)) * BUCKET_SIZE;
    const last = at + BUCKET_SIZE;
    while (buckets[at] !== -1) at++;
    if (at === last) throw new Error(`Raise BUCKET_SIZE: too many names like "${name}"`);
    buckets[at] = slot;
  });
  return buckets;
})();

/**
 * Returns the slot of the known field named by [start, end), or -1. The bytes are tchar, so
 * `| 0x20` folds exactly the letters (ASCII case, RFC 9110 §5.1) and leaves `-` and digits alone:
 * no other tchar folds onto a letter or `-`. Names are compared from their end, where families
 * (`sec-fetch-*`, `accept-*`, `if-*`) differ.
 */
function knownSlot(buf: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length > LONGEST_NAME) return -1;
  const at = (length * 32 + (buf[start] & 31)) * BUCKET_SIZE;
  next: for (let b = at; b < at + BUCKET_SIZE; b++) {
    const slot = BUCKETS[b];
    if (slot === -1) return -1;
    const name = NAME_AT[slot];
    for (let k = length - 1; k >= 0; k--) {
      if ((buf[start + k] | 0x20) !== NAME_BYTES[name + k]) continue next;
    }
    return slot;
  }
  return -1;
}

/**
 * RFC 9110 §5.5 field-vchar, SP and HTAB, ASCII only: the value bytes the scan's inner loop
 * passes. obs-text (0x80–0xFF) is valid too but stops the loop, so the head is known not to be
 * ASCII and is decoded byte by byte.
 */
const VALUE_ASCII = byteClass("\t ", [[0x21, 0x7e]]);

/** Where the known fields of one request are: what {@linkcode scanRequestFields} found. */
export interface FieldScan {
  readonly kind: "scan";
  /** The index after the empty line that ends the field section. */
  readonly end: number;
  /** How many lines had a known name; their slots and value bounds are in `known`. */
  readonly knownLines: number;
  /**
   * Per known line: slot, value start, value end (OWS trimmed), three numbers each. The array
   * is reused by the next scan: read it (into a {@linkcode ScannedFields}) before scanning again.
   */
  readonly known: Int32Array;
  /** Whether every value byte is ASCII, so the head can be decoded as UTF-8. */
  readonly ascii: boolean;
  /** How many Host lines there were. */
  readonly hostLines: number;
}

/**
 * The bounds of the known lines of the scan in progress. Reused: a scan's result is read into
 * strings before the parser returns, and nothing else runs in between.
 */
const KNOWN = new Int32Array(3 * MAX_HEADER_FIELDS);

/**
 * Checks field lines from `start` up to the empty line that ends them (RFC 9112 §5), and finds
 * the known ones. A line passes exactly when {@linkcode parseFieldSection} would pass it: a
 * tchar name, a colon, then field-vchar, SP or HTAB up to CRLF. Any other line (obs-fold,
 * whitespace before the colon, a bare LF, a control byte), more than
 * {@linkcode MAX_HEADER_FIELDS} lines, or no empty line before `end` stops the scan; then
 * {@linkcode refuseFieldSection} names the error.
 *
 * @param buf The bytes.
 * @param start Index of the first field line.
 * @param end Where to stop looking: the index after the head when it is known, else the end of
 *   the bytes.
 * @returns Where the known fields and the end of the section are, or null.
 */
export function scanRequestFields(
  buf: Uint8Array,
  start: number,
  end: number,
): FieldScan | null {
  let lines = 0;
  let knownLines = 0;
  let hostLines = 0;
  let ascii = true;
  let ls = start;
  while (ls < end) {
    if (buf[ls] === CR && buf[ls + 1] === LF) {
      return { kind: "scan", end: ls + 2, knownLines, known: KNOWN, ascii, hostLines };
    }
    let i = ls;
    while (TCHAR[buf[i]]) i++;
    if (i === ls || buf[i] !== COLON) return null;
    const nameEnd = i++;
    while (buf[i] === SP || buf[i] === HTAB) i++;
    const valueStart = i;
    while (true) {
      while (VALUE_ASCII[buf[i]]) i++;
      if (buf[i] < 0x80 || i >= end) break;
      ascii = false; // obs-text (RFC 9110 §5.5): valid, but the head is not ASCII
      i++;
    }
    if (buf[i] !== CR || buf[i + 1] !== LF || ++lines > MAX_HEADER_FIELDS) return null;
    const slot = knownSlot(buf, ls, nameEnd);
    if (slot !== -1) {
      let valueEnd = i;
      while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) {
        valueEnd--;
      }
      KNOWN[3 * knownLines] = slot;
      KNOWN[3 * knownLines + 1] = valueStart;
      KNOWN[3 * knownLines + 2] = valueEnd;
      knownLines++;
      if (slot === HOST_SLOT) hostLines++;
    }
    ls = i + 2;
  }
  return null;
}

/**
 * Names the error of a complete field section that {@linkcode scanRequestFields} refused, as
 * {@linkcode parseFieldSection} does (bare LF, obs-fold, bad name or value bytes → 400, too many
 * fields → 431). The scan refuses only what {@linkcode parseFieldSection} refuses
 * (tests/http/request_fields_test.ts replays both on the same mutated heads), so the second
 * branch is never taken; it keeps the result an error.
 *
 * @param buf The bytes.
 * @param start Index of the first field line.
 * @param end Index after the terminating empty line.
 * @returns The error to answer.
 */
export function refuseFieldSection(buf: Uint8Array, start: number, end: number): ParseError {
  const reference = parseFieldSection(buf, start, end);
  return reference.kind === "error"
    ? reference
    : parseError(400, "bad-field-value", "Header line is malformed");
}

/**
 * The fields of one request: the known ones as strings, the rest still in the head's text for
 * the slower {@linkcode ScannedFields.find} and {@linkcode ScannedFields.entries}.
 */
export class ScannedFields implements RequestFields {
  readonly #values: (string | undefined)[];
  readonly #text: string;
  readonly #from: number;

  /**
   * @param scan Where the known fields are, from {@linkcode scanRequestFields}.
   * @param text The head decoded as Latin-1, from its first byte.
   * @param base The index in the bytes that `text` starts at.
   * @param from Where the field lines start in `text`.
   */
  constructor(scan: FieldScan, text: string, base: number, from: number) {
    const values: (string | undefined)[] = new Array(KNOWN_FIELDS.length);
    const known = scan.known;
    for (let k = 0; k < scan.knownLines; k++) {
      const slot = known[3 * k];
      const value = text.slice(known[3 * k + 1] - base, known[3 * k + 2] - base);
      const before = values[slot];
      // RFC 9110 §5.3: repeated lines are one field whose values are joined by commas.
      values[slot] = before === undefined ? value : `${before}, ${value}`;
    }
    this.#values = values;
    this.#text = text;
    this.#from = from;
  }

  /**
   * Returns a field's value; repeated lines are joined with ", " (RFC 9110 §5.3).
   *
   * @param name A known field's lower-case name.
   * @returns The value, or undefined when the request has no such field.
   */
  get(name: KnownField): string | undefined {
    return this.#values[SLOT[name]];
  }

  /**
   * Returns whether the request has a field.
   *
   * @param name A known field's lower-case name.
   * @returns Whether a line with that name was sent.
   */
  has(name: KnownField): boolean {
    return this.#values[SLOT[name]] !== undefined;
  }

  /**
   * Returns every field line in order, names as sent and values without surrounding
   * whitespace. Slow: it splits the head again; for diagnostics and tests, never per request.
   *
   * @returns The name and value of each line.
   */
  entries(): [string, string][] {
    const lines: [string, string][] = [];
    let ls = this.#from;
    while (true) {
      const le = this.#text.indexOf("\r\n", ls);
      if (le === ls || le === -1) return lines;
      const colon = this.#text.indexOf(":", ls);
      lines.push([this.#text.slice(ls, colon), trimOws(this.#text.slice(colon + 1, le))]);
      ls = le + 2;
    }
  }

  /**
   * Returns any field's value by name, known or not, repeated lines joined with ", "
   * (RFC 9110 §5.3). Slow: it splits the head again; use {@linkcode ScannedFields.get} for
   * known names.
   *
   * @param name A field name, in any case.
   * @returns The value, or undefined when the request has no such field.
   */
  find(name: string): string | undefined {
    const lower = name.toLowerCase();
    let found: string | undefined;
    for (const [sent, value] of this.entries()) {
      if (sent.toLowerCase() !== lower) continue;
      found = found === undefined ? value : `${found}, ${value}`;
    }
    return found;
  }
}
