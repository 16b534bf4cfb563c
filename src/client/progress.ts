/**
 * What `sockserve get` tells a person about a download (pure): the progress line redrawn on a
 * terminal, and the line that ends a download. Numbers enter, one line of text leaves; drawing
 * it is `get.ts`'s business.
 *
 * @module
 */

import { formatSize } from "../units.ts";

/** The widest bar: wider adds no precision a person can read. */
const BAR_MAX_WIDTH = 40;
/** The narrowest bar worth drawing; on a narrower terminal the line goes without one. */
const BAR_MIN_WIDTH = 10;
/** Columns assumed when the terminal does not say (a pseudo-terminal of size 0). */
const FALLBACK_COLUMNS = 80;

/**
 * Formats seconds as a clock: `m:ss`, or `h:mm:ss` from an hour on.
 *
 * @param seconds Whole seconds.
 * @returns The clock text.
 */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const ss = String(s % 60).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}:${ss}`;
  return `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, "0")}:${ss}`;
}

/**
 * Formats a duration for people: `0.4 s`, `12.0 s`, `2 min 05 s`, `1 h 02 min`.
 *
 * @param ms Milliseconds.
 * @returns The text.
 */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.floor(seconds);
  if (whole < 3600) {
    return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
  }
  return `${Math.floor(whole / 3600)} h ${
    String(Math.floor(whole / 60) % 60).padStart(2, "0")
  } min`;
}

/**
 * Formats the progress line of a download. With a known length: percentage, a bar sized to the
 * terminal, bytes of total, speed and ETA; without one: bytes and speed. The speed is the
 * average since the body began, so the ETA does not jump with every burst.
 *
 * @param received Bytes so far.
 * @param total Expected bytes (Content-Length), or null.
 * @param options Milliseconds since the body began, and the terminal's width in columns.
 * @returns One line, shorter than the terminal is wide, without a line break.
 * @example
 * ```ts
 * formatProgress(512 * 1024, 1024 * 1024, { elapsedMs: 1000, columns: 80 });
 * // " 50% [====================>                   ] 512.0 KiB / 1.0 MiB  512.0 KiB/s  ETA 0:01"
 * ```
 */
export function formatProgress(
  received: number,
  total: number | null,
  options: { readonly elapsedMs: number; readonly columns: number },
): string {
  const columns = options.columns > 0 ? options.columns : FALLBACK_COLUMNS;
  const rate = options.elapsedMs > 0 ? received / (options.elapsedMs / 1000) : 0;
  const speed = `${formatSize(Math.round(rate))}/s`;
  // The last column stays empty: writing into it makes some terminals wrap, and `\r` then
  // returns to the wrong line.
  const fit = (line: string) => line.slice(0, columns - 1);
  if (total === null) return fit(`${formatSize(received)}  ${speed}`);
  const fraction = total === 0 ? 1 : Math.min(1, received / total);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const eta = received >= total
    ? "0:00"
    : rate > 0
    ? formatClock((total - received) / rate)
    : "--:--";
  const text = `${formatSize(received)} / ${formatSize(total)}  ${speed}  ETA ${eta}`;
  const width = Math.min(BAR_MAX_WIDTH, columns - 1 - `${percent} [] ${text}`.length);
  if (width < BAR_MIN_WIDTH) return fit(`${percent}  ${text}`);
  const filled = Math.floor(fraction * width);
  const bar = filled === width ? "=".repeat(width) : `${"=".repeat(filled)}>`.padEnd(width);
  return `${percent} [${bar}] ${text}`;
}

/**
 * Formats the line that ends a download to a file.
 *
 * @param path Where the body was saved.
 * @param stats Its size, and how long the body took.
 * @returns `saved PATH (SIZE) in TIME`.
 */
export function formatSaved(
  path: string,
  stats: { readonly bytes: number; readonly elapsedMs: number },
): string {
  return `saved ${path} (${formatSize(stats.bytes)}) in ${formatDuration(stats.elapsedMs)}`;
}
