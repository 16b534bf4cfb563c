/**
 * The log writer: the one I/O piece of the logs. Responses only append records to memory; a
 * timer (or a size threshold) turns a batch into bytes and appends them to `HTTPResponses.txt`
 * and `SocketOutput.csv`, so serving never waits for the disk, and {@linkcode LogWriter.close}
 * flushes everything. One writer per server: workers hand it their batches.
 *
 * @module
 */

import { LOG_FLUSH_INTERVAL_MS, LOG_RETRY_INTERVALS, MAX_PENDING_LOG_BYTES } from "../limits.ts";
import { type AppendFile, AppendQueue, csvRowStart, responseEntryStart } from "./append_queue.ts";
import { ConsoleQueue } from "./console.ts";
import { formatCsvRows, type ResponseRecord, RESPONSES_FILE, SOCKETS_FILE } from "./format.ts";
import { PendingLogs } from "./pending.ts";
import type { LogBatch, LogSink } from "./sink.ts";

const encoder = new TextEncoder();

/** Options for {@linkcode LogWriter}. */
export interface LogWriterOptions {
  /** Where console lines go; `null` for none. */
  readonly console?: ((text: string) => Promise<void>) | null;
  /** Where warnings go (once per failure streak). */
  readonly warn?: (message: string) => void;
  /** Opens the two files for appending (tests inject failing disks). @default openLogFiles */
  readonly open?: (dir: string) => Promise<LogFiles>;
  /** SocketOutput.csv has the `forwarded_client` column (see `format.ts`). @default false */
  readonly forwardedColumn?: boolean;
}

/**
 * Appends response records to the two log files (and lines to the console) off the hot path:
 * each record is formatted when it is recorded (so no record object outlives its response),
 * and the text is encoded and written every {@linkcode LOG_FLUSH_INTERVAL_MS}, or sooner when
 * it passes {@linkcode LOG_FLUSH_THRESHOLD_BYTES}.
 */
export class LogWriter implements LogSink {
  readonly #dir: string;
  readonly #console: ConsoleQueue | null;
  readonly #warn: (message: string) => void;
  readonly #pending: PendingLogs;
  readonly #open: (dir: string) => Promise<LogFiles>;
  readonly #forwardedColumn: boolean;
  /** Bytes not yet in HTTPResponses.txt, oldest first; the first may be partly written. */
  readonly #responses = new AppendQueue(responseEntryStart);
  /** Bytes not yet in SocketOutput.csv, likewise. */
  readonly #sockets = new AppendQueue(csvRowStart);
  #flushing: Promise<void> = Promise.resolve();
  #responseCount = 0;
  /** A flush is queued and has not started: more records join it instead of queueing another. */
  #queued = false;
  #failing = false;
  #closed = false;
  /** Unwritten chunks dropped (oldest unstarted first) while the log dir stayed unwritable. */
  #lostBatches = 0;

  /**
   * @param dir The log dir; it must exist.
   * @param options Console sink and warning sink.
   */
  constructor(dir: string, options: LogWriterOptions = {}) {
    this.#dir = dir;
    this.#console = options.console ? new ConsoleQueue(options.console) : null;
    this.#warn = options.warn ?? ((message) => console.error(message));
    this.#open = options.open ?? openLogFiles;
    this.#forwardedColumn = options.forwardedColumn ?? false;
    this.#pending = new PendingLogs(
      this.#console !== null,
      () => void this.flush(),
      this.#forwardedColumn,
    );
  }

  /** Formats a response into both logs' pending text. */
  record(record: ResponseRecord): void {
    this.#responseCount++;
    this.#pending.record(record);
  }

  /** Responses recorded so far, by this isolate and by the workers it writes for. */
  get responseCount(): number {
    return this.#responseCount;
  }

  /** Log bytes waiting for the disk (for `--metrics`). */
  get queuedBytes(): number {
    return this.#responses.pending + this.#sockets.pending + this.#pending.pendingChars;
  }

  /** Console lines dropped since the writer was made (for `--metrics`). */
  get droppedConsoleLines(): number {
    return this.#console?.droppedTotal ?? 0;
  }

  /** Queues a console line (no line break). */
  line(text: string): void {
    this.#pending.line(text);
  }

  /** Appends a batch formatted by a worker's {@linkcode LogRelay}, whole. */
  append(batch: LogBatch): void {
    this.#responseCount += batch.count;
    if (batch.lines.length > 0) this.#writeConsole(batch.lines);
    // Past the bound the disk is not keeping up: drop whole batches and say so later.
    if (this.#responses.pending + this.#sockets.pending > MAX_PENDING_LOG_BYTES) {
      this.#lostBatches++;
      return;
    }
    this.#responses.push(batch.responses);
    this.#sockets.push(batch.sockets);
    void this.flush();
  }

  /** Writes everything recorded so far; resolves when it is on disk (or has failed and warned). */
  flush(): Promise<void> {
    if (this.#queued) return this.#flushing;
    this.#queued = true;
    this.#flushing = this.#flushing.then(() => {
      this.#queued = false;
      return this.#writeBatch();
    });
    return this.#flushing;
  }

  /** Flushes everything and stops retrying; later records are still written by `flush()`. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    // A console nobody reads must not hold the exit hostage: wait for it, but not forever.
    await this.#console?.drain();
  }

  #writeConsole(lines: readonly string[]): void {
    this.#console?.add(lines);
  }

  async #writeBatch(): Promise<void> {
    const taken = this.#pending.take();
    if (taken !== null && taken.lines.length > 0) this.#writeConsole(taken.lines);
    const dropped = this.#pending.takeDropped();
    if (dropped > 0) this.#warn(`Dropped ${dropped} log records: the log files could not keep up.`);
    if (taken !== null) {
      this.#responses.push(encoder.encode(taken.responses));
      this.#sockets.push(encoder.encode(taken.sockets));
    }
    if (this.#responses.pending === 0 && this.#sockets.pending === 0) return;
    // The files are opened per batch (a few times a second at most), so a rotated or deleted
    // log is recreated, and a log dir that went away is noticed instead of written to a ghost.
    let files: LogFiles | null = null;
    try {
      files = await this.#open(this.#dir);
      // A file created anew has none of a record written before: start that record over.
      if (files.responsesIsNew) this.#responses.restartRecord();
      if (files.socketsIsNew) {
        this.#sockets.restartRecord();
        this.#sockets.unshift(encoder.encode(formatCsvRows([], true, this.#forwardedColumn)));
      }
      // Each file resumes exactly where its last write stopped, so a full disk that frees up
      // leaves every entry once and whole (a partial write is never repeated from the start).
      await this.#responses.drainTo(files.responses);
      await this.#sockets.drainTo(files.sockets);
      if (this.#failing) {
        const lost = this.#lostBatches > 0
          ? ` ${this.#lostBatches} batches of entries were dropped to bound memory meanwhile.`
          : "";
        this.#warn(`Log dir "${this.#dir}" is writable again; logging resumed.${lost}`);
      }
      this.#failing = false;
      this.#lostBatches = 0;
    } catch (error) {
      if (!this.#failing) {
        this.#warn(
          `Cannot write logs in "${this.#dir}": ${(error as Error).message}. Serving continues; ` +
            `entries are kept in memory (up to ${MAX_PENDING_LOG_BYTES} bytes) until it works.`,
        );
      }
      this.#failing = true;
      // Past the bound, whole batches not yet begun are dropped, never a partly written one.
      this.#lostBatches += this.#responses.bound(MAX_PENDING_LOG_BYTES / 2) +
        this.#sockets.bound(MAX_PENDING_LOG_BYTES / 2);
      if (!this.#closed) this.#pending.retryLater(LOG_FLUSH_INTERVAL_MS * LOG_RETRY_INTERVALS);
    } finally {
      files?.responses.close();
      files?.sockets.close();
    }
  }
}

/** The open log files; `…IsNew` says a file was just created (the CSV needs its column row). */
export interface LogFiles {
  readonly responses: AppendFile;
  readonly responsesIsNew: boolean;
  readonly sockets: AppendFile;
  readonly socketsIsNew: boolean;
}

/**
 * Opens both logs for appending. Only write permission is needed: a new file is detected by
 * creating it exclusively, not by reading its size.
 *
 * @param dir The log dir.
 * @returns Both files open.
 */
export async function openLogFiles(dir: string): Promise<LogFiles> {
  const responses = await openAppend(`${dir}/${RESPONSES_FILE}`);
  try {
    const sockets = await openAppend(`${dir}/${SOCKETS_FILE}`);
    return {
      responses: responses.file,
      responsesIsNew: responses.isNew,
      sockets: sockets.file,
      socketsIsNew: sockets.isNew,
    };
  } catch (error) {
    responses.file.close();
    throw error;
  }
}

/** Opens a file for appending, saying whether this call created it. */
async function openAppend(path: string): Promise<{ file: Deno.FsFile; isNew: boolean }> {
  try {
    return { file: await Deno.open(path, { append: true, createNew: true }), isNew: true };
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  return { file: await Deno.open(path, { append: true }), isNew: false };
}
