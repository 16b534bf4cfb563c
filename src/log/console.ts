/**
 * The console queue: access lines go to stdout without ever holding up the log files. While a
 * console write is pending (stdout piped to a reader that stopped reading), new lines wait in a
 * bounded queue; the excess is dropped, counted, and reported once the console moves again.
 *
 * @module
 */

import { CONSOLE_CLOSE_WAIT_MS, MAX_PENDING_CONSOLE_CHARS } from "../limits.ts";

/** Lines for a console that may stop reading. */
export class ConsoleQueue {
  readonly #write: (text: string) => Promise<void>;
  readonly #written: () => void;
  #queue: string[] = [];
  /** Characters of the queued lines, line breaks included. */
  #chars = 0;
  #busy = false;
  #dropped = 0;
  #droppedTotal = 0;
  #writing: Promise<void> = Promise.resolve();

  /**
   * @param write Writes text to the console (stdout).
   * @param written Called after each write has finished (the console moves).
   */
  constructor(write: (text: string) => Promise<void>, written: () => void = () => {}) {
    this.#write = write;
    this.#written = written;
  }

  /**
   * Queues lines (without line breaks) and starts writing if idle.
   *
   * @param lines The lines.
   */
  add(lines: readonly string[]): void {
    for (const line of lines) {
      if (this.#chars + line.length + 1 > MAX_PENDING_CONSOLE_CHARS) {
        this.#dropped++;
        this.#droppedTotal++;
      } else {
        this.#queue.push(line);
        this.#chars += line.length + 1;
      }
    }
    if (this.#busy) return;
    this.#busy = true;
    this.#writing = (async () => {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        this.#chars = 0;
        if (this.#dropped > 0) {
          batch.push(`(${this.#dropped} console lines dropped: the console was not being read)`);
          this.#dropped = 0;
        }
        await this.#write(batch.join("\n") + "\n").catch(() => {});
        this.#written();
      }
      this.#busy = false;
    })();
  }

  /** Characters of the lines waiting behind the write in progress (about their bytes). */
  get pendingChars(): number {
    return this.#chars;
  }

  /** Lines dropped since the queue was made (for `--metrics`). */
  get droppedTotal(): number {
    return this.#droppedTotal;
  }

  /** Waits for the queue to drain, but at most {@linkcode CONSOLE_CLOSE_WAIT_MS}. */
  async drain(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#writing,
      new Promise((resolve) => timer = setTimeout(resolve, CONSOLE_CLOSE_WAIT_MS)),
    ]);
    clearTimeout(timer);
  }
}
