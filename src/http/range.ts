/**
 * Range requests (RFC 9110 §14): parsing `Range: bytes=…` against a size, with the policy
 * written down once:
 *
 * - not `bytes`, or syntactically invalid → ignored (200 with the whole file);
 * - an empty file → ignored (there is nothing to slice);
 * - well-formed, but no range satisfiable → 416 `Content-Range: bytes *\/size`;
 * - overlapping or adjacent ranges are coalesced (RFC 9110 §14.6 allows it);
 * - more than {@linkcode MAX_RANGES} ranges, or ranges that together ask for more bytes than the
 *   file has (overlap used as an amplifier) → ignored, so a response is never larger than
 *   about the file itself.
 *
 * @module
 */

import { MAX_RANGES } from "../limits.ts";

/** An inclusive byte range, as in Content-Range. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** What a Range header asks for. */
export type RangeDecision =
  | { readonly kind: "ignore" } // → 200, whole representation
  | { readonly kind: "unsatisfiable" } // → 416
  | { readonly kind: "ranges"; readonly ranges: readonly ByteRange[] }; // → 206

const IGNORE: RangeDecision = { kind: "ignore" };

/**
 * Decides what to send for a Range header.
 *
 * @param value The Range field value.
 * @param size The representation's length.
 * @returns Ranges sorted and coalesced, or why none apply.
 * @example
 * ```ts
 * parseRange("bytes=0-99", 1000); // { kind: "ranges", ranges: [{ start: 0, end: 99 }] }
 * parseRange("bytes=-100", 1000); // { kind: "ranges", ranges: [{ start: 900, end: 999 }] }
 * ```
 */
export function parseRange(value: string, size: number): RangeDecision {
  const eq = value.indexOf("=");
  if (eq === -1 || value.slice(0, eq).trim().toLowerCase() !== "bytes") return IGNORE;
  const specs = value.slice(eq + 1).split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (specs.length === 0) return IGNORE;
  if (specs.length > MAX_RANGES) return IGNORE;
  const ranges: ByteRange[] = [];
  for (const spec of specs) {
    const m = /^(\d*)-(\d*)$/.exec(spec);
    if (!m || (m[1] === "" && m[2] === "")) return IGNORE;
    if (m[1] === "") {
      // suffix-range: the last n bytes (RFC 9110 §14.1.1); -0 is never satisfiable.
      const n = Number(m[2]);
      if (n > 0 && size > 0) ranges.push({ start: Math.max(0, size - n), end: size - 1 });
      continue;
    }
    const first = Number(m[1]);
    const last = m[2] === "" ? Infinity : Number(m[2]);
    if (last < first) return IGNORE; // invalid range-spec: the whole header is ignored
    if (first < size) ranges.push({ start: first, end: Math.min(last, size - 1) });
  }
  if (size === 0) return IGNORE;
  if (ranges.length === 0) return { kind: "unsatisfiable" };
  const requested = ranges.reduce((sum, r) => sum + r.end - r.start + 1, 0);
  if (requested > size) return IGNORE; // overlap as an amplifier ("probably an attack", Go)
  return { kind: "ranges", ranges: coalesce(ranges) };
}

/** Sorts ranges and merges those that overlap or touch. */
export function coalesce(ranges: readonly ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const merged: ByteRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end + 1) {
      merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, r.end) };
    } else {
      merged.push(r);
    }
  }
  return merged;
}

/**
 * Formats a Content-Range value (RFC 9110 §14.4).
 *
 * @param range The range sent, or null for the `*` form of a 416.
 * @param size The complete length.
 * @returns E.g. `bytes 0-99/1000` or `bytes *\/1000`.
 */
export function formatContentRange(range: ByteRange | null, size: number): string {
  return range === null ? `bytes */${size}` : `bytes ${range.start}-${range.end}/${size}`;
}
