/**
 * The typed errors of every HTTP/1.1 parser: a status to answer, a stable code (llhttp style) and
 * a reason for people. Parsers return them as values; nothing throws for bad input.
 *
 * @module
 */

/** The statuses a head can be refused with. */
export type ParseErrorStatus = 400 | 413 | 414 | 431 | 501 | 505;

/** Stable machine-readable codes for every way a head can be refused (llhttp style). */
export type ParseErrorCode =
  | "bare-lf"
  | "too-many-empty-lines"
  | "request-line-too-long"
  | "headers-too-large"
  | "too-many-headers"
  | "bad-method"
  | "bad-target"
  | "bad-version"
  | "unsupported-version"
  | "obs-fold"
  | "space-before-colon"
  | "missing-colon"
  | "bad-field-name"
  | "bad-field-value"
  | "missing-host"
  | "duplicate-host"
  | "bad-host"
  | "bad-content-length"
  | "content-length-with-transfer-encoding"
  | "transfer-encoding-in-http10"
  | "bad-transfer-encoding"
  | "unknown-transfer-coding"
  | "asterisk-not-options"
  | "body-too-large"
  | "bad-chunk";

/** A refused message: the status to answer, a stable code and a human-readable reason. */
export interface ParseError {
  /** Tells an error from the other results of a parser. */
  readonly kind: "error";
  /** The status to answer with. */
  readonly status: ParseErrorStatus;
  /** The stable, machine-readable code. */
  readonly code: ParseErrorCode;
  /** A sentence for people (logs, error pages). */
  readonly reason: string;
}

/**
 * Creates a {@linkcode ParseError}.
 *
 * @param status The status to answer.
 * @param code The stable code.
 * @param reason A sentence for people.
 * @returns The error value.
 */
export function parseError(
  status: ParseErrorStatus,
  code: ParseErrorCode,
  reason: string,
): ParseError {
  return { kind: "error", status, code, reason };
}
