/**
 * A serving worker's side of the logs: it formats and encodes its own entries and posts them in
 * batches, by transfer, to the one writer in the isolate that owns the files.
 *
 * @module
 */

import type { ResponseRecord } from "./format.ts";
import { PendingLogs } from "./pending.ts";
import type { LogBatch, LogSink } from "./sink.ts";

const encoder = new TextEncoder();

/**
 * Collects a worker's log text and hands it to `send` in batches (every
 * {@linkcode LOG_FLUSH_INTERVAL_MS}, or sooner past {@linkcode LOG_FLUSH_THRESHOLD_BYTES}), for
 * the one {@linkcode LogWriter} in the main isolate to append.
 */
export class LogRelay implements LogSink {
  readonly #send: (batch: LogBatch, transfer: ArrayBuffer[]) => void;
  readonly #pending: PendingLogs;

  /**
   * @param send Posts a batch to the writer, transferring the listed buffers.
   * @param console Whether console lines are wanted.
   * @param forwardedColumn CSV rows get the `forwarded_client` column.
   */
  constructor(
    send: (batch: LogBatch, transfer: ArrayBuffer[]) => void,
    console: boolean,
    forwardedColumn = false,
  ) {
    this.#send = send;
    this.#pending = new PendingLogs(console, () => void this.flush(), forwardedColumn);
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
      // Encoded here, so the writer's isolate gets bytes it can append as they are.
      const responses = encoder.encode(text.responses);
      const sockets = encoder.encode(text.sockets);
      this.#send(
        { responses, sockets, lines: text.lines, count: text.count },
        [responses.buffer, sockets.buffer],
      );
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return this.flush();
  }
}
