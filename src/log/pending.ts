/**
 * Log text waiting to be written: each response is formatted into both logs' text as it is
 * recorded (so no record object outlives its response), and the text is due after
 * {@linkcode LOG_FLUSH_INTERVAL_MS}, or at once past {@linkcode LOG_FLUSH_THRESHOLD_BYTES}.
 *
 * @module
 */

import {
  LOG_FLUSH_INTERVAL_MS,
  LOG_FLUSH_THRESHOLD_BYTES,
  MAX_PENDING_LOG_BYTES,
} from "../limits.ts";
import { formatCsvRows, formatResponseEntry, type ResponseRecord } from "./format.ts";

/** Log text taken from {@linkcode PendingLogs}: both files' entries and the console lines. */
export interface PendingText {
  readonly responses: string;
  readonly sockets: string;
  readonly lines: readonly string[];
  /** How many responses the text holds. */
  readonly count: number;
}

/**
 * Log text waiting to be written, and the rule for when it is due: after
 * {@linkcode LOG_FLUSH_INTERVAL_MS}, or at once past {@linkcode LOG_FLUSH_THRESHOLD_BYTES}.
 * Appending to a string builds a rope in O(1); it is flattened once, when taken.
 */
export class PendingLogs {
  readonly #console: boolean;
  readonly #due: () => void;
  readonly #forwardedColumn: boolean;
  #responses = "";
  #sockets = "";
  #lines: string[] = [];
  /** Responses recorded since the last take. */
  #count = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #dropped = 0;

  /**
   * @param console Whether console lines are kept.
   * @param due Called when the text should be written.
   * @param forwardedColumn CSV rows get the `forwarded_client` column.
   */
  constructor(console: boolean, due: () => void, forwardedColumn = false) {
    this.#console = console;
    this.#due = due;
    this.#forwardedColumn = forwardedColumn;
  }

  /** Formats a response into both logs' text. */
  record(record: ResponseRecord): void {
    this.#count++;
    this.append(
      formatResponseEntry(record),
      formatCsvRows([record], false, this.#forwardedColumn),
      [],
    );
  }

  /** Adds a console line, if console lines are kept. */
  line(text: string): void {
    if (!this.#console) return;
    this.#lines.push(text);
    this.#schedule();
  }

  /** Adds text formatted elsewhere, whole. */
  append(responses: string, sockets: string, lines: readonly string[]): void {
    // Past the bound the disk is not keeping up (or hangs): drop, count, and say so later,
    // rather than grow without limit.
    if (this.#responses.length + this.#sockets.length > MAX_PENDING_LOG_BYTES) {
      this.#dropped++;
      return;
    }
    this.#responses += responses;
    this.#sockets += sockets;
    if (this.#console && lines.length > 0) this.#lines.push(...lines);
    this.#schedule();
  }

  /** Characters of log text waiting (about its bytes: log text is mostly ASCII). */
  get pendingChars(): number {
    return this.#responses.length + this.#sockets.length;
  }

  /** Takes the count of records dropped since the last call. */
  takeDropped(): number {
    const dropped = this.#dropped;
    this.#dropped = 0;
    return dropped;
  }

  /** Takes everything pending (null when there is nothing) and cancels the timer. */
  take(): PendingText | null {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#responses.length === 0 && this.#sockets.length === 0 && this.#lines.length === 0) {
      return null;
    }
    const batch = {
      responses: this.#responses,
      sockets: this.#sockets,
      lines: this.#lines,
      count: this.#count,
    };
    this.#responses = this.#sockets = "";
    this.#lines = [];
    this.#count = 0;
    return batch;
  }

  /** Asks for a later call of `due` (a retry after a failed write). */
  retryLater(delayMs: number): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#due();
    }, delayMs);
  }

  #schedule(): void {
    if (this.#responses.length + this.#sockets.length >= LOG_FLUSH_THRESHOLD_BYTES) {
      this.#due();
    } else {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#due();
      }, LOG_FLUSH_INTERVAL_MS);
    }
  }
}
