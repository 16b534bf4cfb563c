/**
 * Conditional requests (RFC 9110 §13), Go fs.go style: each precondition is checked by a small
 * pure function that answers "none" (field absent or ignored), true or false, and
 * {@linkcode evaluatePreconditions} composes them in the order of RFC 9110 §13.2.2.
 *
 * @module
 */

import { parseHttpDate } from "./dates.ts";
import { parseEntityTags, strongMatch, weakMatch } from "./etag.ts";
import type { FieldReader } from "./request_fields.ts";

/** What a representation offers for comparison. */
export interface Validators {
  /** The strong ETag, quoted. */
  readonly etag: string;
  /** Last modification, in ms since the epoch, or null when unknown. */
  readonly lastModifiedMs: number | null;
}

/** The result of one precondition check. */
export type Check = "none" | true | false;

/** The outcome of all preconditions. */
export type PreconditionOutcome = "proceed" | 304 | 412;

/** Request header lookup: lower-case name → value. */
export type Headers = FieldReader;

/** Truncates to whole seconds: HTTP dates have no finer precision (RFC 9110 §5.6.7). */
function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** If-Match (RFC 9110 §13.1.1): true when `*` or a strong match; malformed → false. */
export function checkIfMatch(headers: Headers, v: Validators): Check {
  const value = headers.get("if-match");
  if (value === undefined) return "none";
  const tags = parseEntityTags(value);
  if (tags === "*") return true;
  return tags !== null && tags.some((t) => strongMatch(t, v.etag));
}

/** If-Unmodified-Since (RFC 9110 §13.1.4): ignored when invalid or no date is known. */
export function checkIfUnmodifiedSince(headers: Headers, v: Validators): Check {
  const value = headers.get("if-unmodified-since");
  if (value === undefined || v.lastModifiedMs === null) return "none";
  const date = parseHttpDate(value);
  if (date === null) return "none";
  return seconds(v.lastModifiedMs) <= seconds(date);
}

/** If-None-Match (RFC 9110 §13.1.2): false when `*` or a weak match (the client has it). */
export function checkIfNoneMatch(headers: Headers, v: Validators): Check {
  const value = headers.get("if-none-match");
  if (value === undefined) return "none";
  const tags = parseEntityTags(value);
  if (tags === null) return "none";
  if (tags === "*") return false;
  return !tags.some((t) => weakMatch(t, v.etag));
}

/** If-Modified-Since (RFC 9110 §13.1.3): false when not modified since the date. */
export function checkIfModifiedSince(headers: Headers, v: Validators): Check {
  const value = headers.get("if-modified-since");
  if (value === undefined || v.lastModifiedMs === null) return "none";
  const date = parseHttpDate(value);
  if (date === null) return "none";
  return seconds(v.lastModifiedMs) > seconds(date);
}

/**
 * If-Range (RFC 9110 §13.1.5): true when the range may be applied. An entity-tag must match
 * strongly; a date must equal Last-Modified exactly. Anything else means "send it all".
 */
export function checkIfRange(headers: Headers, v: Validators): Check {
  const value = headers.get("if-range");
  if (value === undefined) return "none";
  const text = value.trim();
  if (text.startsWith('"') || text.startsWith("W/")) {
    const tags = parseEntityTags(text);
    return Array.isArray(tags) && tags.length === 1 && strongMatch(tags[0], v.etag);
  }
  const date = parseHttpDate(text);
  return date !== null && v.lastModifiedMs !== null && seconds(date) === seconds(v.lastModifiedMs);
}

/**
 * Evaluates the preconditions of a GET or HEAD in the order of RFC 9110 §13.2.2.
 *
 * @param method The request method.
 * @param headers The request headers.
 * @param v The representation's validators.
 * @returns `proceed`, `304` (not modified) or `412` (precondition failed).
 */
export function evaluatePreconditions(
  method: string,
  headers: Headers,
  v: Validators,
): PreconditionOutcome {
  const safe = method === "GET" || method === "HEAD";
  // Steps 1–2: If-Match, else If-Unmodified-Since.
  const ifMatch = checkIfMatch(headers, v);
  if (ifMatch === false) return 412;
  if (!headers.has("if-match") && checkIfUnmodifiedSince(headers, v) === false) return 412;
  // Step 3: If-None-Match; step 4: If-Modified-Since only without If-None-Match.
  const ifNoneMatch = checkIfNoneMatch(headers, v);
  if (ifNoneMatch === false) return safe ? 304 : 412;
  if (!headers.has("if-none-match") && safe && checkIfModifiedSince(headers, v) === false) {
    return 304;
  }
  return "proceed";
}
