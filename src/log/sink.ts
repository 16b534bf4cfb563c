/**
 * What a server records its responses into — the writer in the isolate that owns the log files,
 * or a serving worker's relay to it — and the batch a relay sends.
 *
 * @module
 */

import type { ResponseRecord } from "./format.ts";

/** Where a server's responses and console lines go: the writer itself, or a worker's relay. */
export interface LogSink {
  /** Records a response in both logs. */
  record(record: ResponseRecord): void;
  /** Queues a console line (no line break). */
  line(text: string): void;
  /** Writes (or hands on) everything recorded so far. */
  flush(): Promise<void>;
  /** Flushes and stops; later records are still accepted and need another flush. */
  close(): Promise<void>;
  /**
   * Null when entries can be recorded now (the usual answer, checked before every request); a
   * promise while the log files are behind a working disk, settled when they have caught up.
   */
  ready(): Promise<void> | null;
}

/**
 * Log entries formatted and encoded elsewhere (a worker), appended whole so entries never
 * interleave. The bytes travel by transfer, not by copy.
 */
export interface LogBatch {
  readonly responses: Uint8Array<ArrayBuffer>;
  readonly sockets: Uint8Array<ArrayBuffer>;
  /** Access log lines (empty without an access log file). */
  readonly access: Uint8Array<ArrayBuffer>;
  readonly lines: readonly string[];
  /** How many responses the batch holds. */
  readonly count: number;
}
