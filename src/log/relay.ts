/**
 * A serving worker's side of the logs: it formats and encodes its own entries and posts them in
 * batches, by transfer, to the one writer in the isolate that owns the files.
 *
 * @module
 */

import type { ResponseRecord } from "./format.ts";
import { type LogTextOptions, PendingLogs } from "./pending.ts";
import type { LogBatch, LogSink } from "./sink.ts";

/**
 * Collects a worker's log text and hands it to `send` in batches (every
 * {@linkcode LOG_FLUSH_INTERVAL_MS}, or sooner past {@linkcode LOG_FLUSH_THRESHOLD_BYTES}), for
 * the one {@linkcode LogWriter} in the main isolate to append.
 */
export class LogRelay implements LogSink {
  readonly #send: (batch: LogBatch, transfer: ArrayBuffer[]) => void;
  readonly #pending: PendingLogs;
  /** Settles when the writer has caught up; null while it keeps up. */
  #behind: Promise<void> | null = null;
  #caughtUp: (() => void) | null = null;

  /**
   * @param send Posts a batch to the writer, transferring the listed buffers.
   * @param text Console lines and access log, as the writer's (a boolean: console lines or
   * not, no access log).
   */
  constructor(
    send: (batch: LogBatch, transfer: ArrayBuffer[]) => void,
    text: LogTextOptions | boolean,
  ) {
    this.#send = send;
    const options = typeof text === "boolean"
      ? { console: text, access: null, accessToConsole: false }
      : text;
    this.#pending = new PendingLogs(options, () => void this.flush());
  }

  record(record: ResponseRecord): void {
    this.#pending.record(record);
  }

  line(text: string): void {
    this.#pending.line(text);
  }

  flush(): Promise<void> {
    const text = this.#pending.take();
    if (text !== null) {
      // Already bytes, each owning its buffer: the writer's isolate appends them as they are.
      const { responses, sockets, access } = text;
      this.#send(
        { responses, sockets, access, lines: text.lines, count: text.count },
        [responses.buffer, sockets.buffer, access.buffer],
      );
    }
    return Promise.resolve();
  }

  ready(): Promise<void> | null {
    return this.#behind;
  }

  /**
   * Takes the writer's word on its backlog: behind, this worker's connections leave their next
   * request unread until it says it has caught up.
   *
   * @param behind Whether the writer is behind.
   */
  writerBehind(behind: boolean): void {
    if (behind) {
      this.#behind ??= new Promise((resolve) => this.#caughtUp = resolve);
    } else {
      this.#caughtUp?.();
      this.#behind = this.#caughtUp = null;
    }
  }

  async close(): Promise<void> {
    // Nothing waits for a stopping worker's logs to drain.
    this.writerBehind(false);
    await this.#pending.settled();
    return await this.flush();
  }
}
