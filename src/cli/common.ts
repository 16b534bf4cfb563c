/**
 * What both command lines share (`sockserve [serve]` and `sockserve get`): defaults, the port
 * range, the one-line usage error, and the parsing of seconds.
 *
 * @module
 */

import { MAX_TIMEOUT_S } from "../limits.ts";

/** Port used when none is given. */
export const DEFAULT_PORT = 8080;
/** Folder served when none is given. */
export const DEFAULT_ROOT = "./www";
/** Folder the logs go to when none is given. */
export const DEFAULT_LOG_DIR = "./logs";
/** Address listened on when none is given: this machine only. */
export const DEFAULT_HOST = "127.0.0.1";

/** Highest TCP port (RFC 6335 §6). */
export const MAX_PORT = 65_535;

/** A command line that cannot be run: one line for stderr, and exit code 2. */
export interface UsageError {
  readonly kind: "error";
  readonly message: string;
  readonly exitCode: 2;
}

/**
 * Builds a usage error.
 *
 * @param message The line to print.
 * @returns The error command.
 */
export function fail(message: string): UsageError {
  return { kind: "error", message, exitCode: 2 };
}

/**
 * Parses a number of seconds above 0 and up to {@linkcode MAX_TIMEOUT_S}.
 *
 * @param text The option's value, if given.
 * @param fallback The default.
 * @returns The seconds, or null when the value is invalid.
 */
export function parseSeconds(text: string | undefined, fallback: number): number | null {
  if (text === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(text)) return null;
  const seconds = Number(text);
  return seconds > 0 && seconds <= MAX_TIMEOUT_S ? seconds : null;
}
