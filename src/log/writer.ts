/**
 * The log writer: the one I/O piece of the logs. Responses only append records to memory; a
 * timer (or a size threshold) turns a batch into bytes and appends them to `HTTPResponses.txt`
 * and `SocketOutput.csv`, so serving never waits for the disk, and {@linkcode LogWriter.close}
 * flushes everything. One writer per server: workers hand it their batches.
 *
 * @module
 */

import {
  DEFAULT_LOG_KEEP,
  LOG_BACKLOG_PAUSE_BYTES,
  LOG_BACKLOG_RESUME_BYTES,
  LOG_FLUSH_INTERVAL_MS,
  LOG_RETRY_INTERVALS,
  LOG_STALL_MS,
  LOG_WRITE_THRESHOLD_BYTES,
  MAX_PENDING_LOG_BYTES,
} from "../limits.ts";
import { type AppendFile, AppendQueue, csvRowStart, responseEntryStart } from "./append_queue.ts";
import { ConsoleQueue } from "./console.ts";
import { formatCsvRows, type ResponseRecord, RESPONSES_FILE, SOCKETS_FILE } from "./format.ts";
import { type LogTextOptions, PendingLogs } from "./pending.ts";
import type { LogBatch, LogSink } from "./sink.ts";

const encoder = new TextEncoder();

/** Options for {@linkcode LogWriter}. */
export interface LogWriterOptions {
  /** Where console lines go; `null` for none. */
  readonly console?: ((text: string) => Promise<void>) | null;
  /** Where warnings go (once per failure streak). */
  readonly warn?: (message: string) => void;
  /** What text responses make. @default console lines when there is a console; no access log */
  readonly text?: LogTextOptions;
  /** The access log file, or null (none, or it goes to the console). @default null */
  readonly accessFile?: string | null;
  /** Rotate a file before it would pass this many bytes; null never. @default null */
  readonly maxSize?: number | null;
  /** Rotated files kept per log. @default DEFAULT_LOG_KEEP */
  readonly keep?: number;
  /** Opens one file for appending (tests inject failing disks). @default openAppend */
  readonly open?: (path: string) => Promise<OpenedLog>;
  /** Renames FILE → FILE.1 … FILE.keep. @default rotateFiles */
  readonly rotate?: typeof rotateFiles;
  /**
   * How long waiting connections, and a stop, give a disk that makes no progress.
   * @default LOG_STALL_MS
   */
  readonly stallMs?: number;
}

/** One log file the writer appends to. */
interface LogTarget {
  readonly path: string;
  /** Bytes not yet in the file, oldest first; the first may be partly written. */
  readonly queue: AppendQueue;
  /** What a new file starts with (the CSV column row), or null. */
  readonly header: Uint8Array | null;
  /** The highest FILE.N known to exist after the last rotation; `keep` until one (unknown). */
  rotated: number;
  /** This writer has begun the file as a stream (a pipe: no size, so a column row per run). */
  streaming: boolean;
}

/**
 * Appends response records to the log files (and lines to the console) off the hot path:
 * each record is formatted when it is recorded (so no record object outlives its response),
 * and the text is encoded and written every {@linkcode LOG_FLUSH_INTERVAL_MS}, or sooner when
 * it passes {@linkcode LOG_FLUSH_THRESHOLD_BYTES}. Files are opened by name for every batch, so
 * a file renamed away (logrotate, or {@linkcode LogWriter.flush} after SIGUSR1) gets no more
 * than the batch being written when it was renamed, and the next batch starts a new file; with
 * a size cap the writer rotates files itself, between records.
 *
 * A disk slower than the traffic holds the traffic back, as nginx's blocking writes do: past
 * {@linkcode LOG_BACKLOG_PAUSE_BYTES} waiting, {@linkcode LogWriter.ready} tells connections to
 * leave their next request unread until the backlog is down to
 * {@linkcode LOG_BACKLOG_RESUME_BYTES}. Only a disk that fails, or makes no progress for
 * {@linkcode LOG_STALL_MS}, costs entries: serving goes on and, past
 * {@linkcode MAX_PENDING_LOG_BYTES}, whole batches are dropped and counted.
 */
export class LogWriter implements LogSink {
  readonly #dir: string;
  readonly #console: ConsoleQueue | null;
  /** The console carries the access log (`--access-log -`): a slow stdout holds requests back. */
  readonly #consoleIsLog: boolean;
  readonly #warn: (message: string) => void;
  readonly #pending: PendingLogs;
  readonly #open: (path: string) => Promise<OpenedLog>;
  readonly #rotate: typeof rotateFiles;
  readonly #maxSize: number | null;
  readonly #keep: number;
  readonly #stallMs: number;
  readonly #responses: LogTarget;
  readonly #sockets: LogTarget;
  /** The access log file, when there is one. */
  readonly #access: LogTarget | null;
  readonly #targets: readonly LogTarget[];
  #flushing: Promise<void> = Promise.resolve();
  #responseCount = 0;
  /** A flush is queued and has not started: more records join it instead of queueing another. */
  #queued = false;
  #failing = false;
  /** No write made progress for LOG_STALL_MS while connections waited: serve on, drop past the bound. */
  #stalled = false;
  #closed = false;
  /** Settles when the backlog is down again; null while the writer keeps up. */
  #behind: Promise<void> | null = null;
  #caughtUp: (() => void) | null = null;
  /** Calls off the wait when no write progresses for LOG_STALL_MS. */
  #stallTimer: ReturnType<typeof setTimeout> | undefined;
  /** Times connections were told to wait, and the milliseconds of the waits that ended. */
  #waits = 0;
  #waitedMs = 0;
  /** When the current wait began (performance.now()). */
  #behindSince = 0;
  /** When a file write or rotation last finished (performance.now()). */
  #filesMovedAt = 0;
  /** Told when the writer falls behind and catches up (the workers whose batches it writes). */
  #backlogListener: ((behind: boolean) => void) | null = null;
  /** Unwritten chunks dropped (oldest unstarted first) while the log dir stayed unwritable. */
  #lostBatches = 0;
  /** A write of the bytes gathered so far, due after {@linkcode LOG_FLUSH_INTERVAL_MS}. */
  #writeTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param dir The log dir; it must exist.
   * @param options Console, warnings, access log and rotation.
   */
  constructor(dir: string, options: LogWriterOptions = {}) {
    this.#dir = dir;
    this.#console = options.console
      ? new ConsoleQueue(options.console, () => this.#progress("console"))
      : null;
    this.#warn = options.warn ?? ((message) => console.error(message));
    this.#open = options.open ?? openAppend;
    this.#rotate = options.rotate ?? rotateFiles;
    this.#maxSize = options.maxSize ?? null;
    this.#keep = options.keep ?? DEFAULT_LOG_KEEP;
    this.#stallMs = options.stallMs ?? LOG_STALL_MS;
    const text = options.text ??
      { console: this.#console !== null, access: null, accessToConsole: false };
    this.#consoleIsLog = this.#console !== null && text.accessToConsole;
    this.#pending = new PendingLogs(text, (full) => full ? this.#gather() : void this.flush());
    this.#responses = {
      path: `${dir}/${RESPONSES_FILE}`,
      queue: new AppendQueue(responseEntryStart),
      header: null,
      rotated: this.#keep,
      streaming: false,
    };
    this.#sockets = {
      path: `${dir}/${SOCKETS_FILE}`,
      queue: new AppendQueue(csvRowStart),
      header: encoder.encode(formatCsvRows([], true, text.forwardedColumn ?? false)),
      rotated: this.#keep,
      streaming: false,
    };
    const accessFile = options.accessFile ?? null;
    this.#access = accessFile === null || text.access === null ? null : {
      path: accessFile,
      queue: new AppendQueue(csvRowStart),
      header: null,
      rotated: this.#keep,
      streaming: false,
    };
    this.#targets = [this.#responses, this.#sockets, ...(this.#access ? [this.#access] : [])];
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
    let bytes = this.#pending.pendingBytes;
    for (const target of this.#targets) bytes += target.queue.pending;
    return bytes;
  }

  /** Times connections waited for the disk, and the seconds they waited (for `--metrics`). */
  get waits(): { readonly count: number; readonly seconds: number } {
    const ongoing = this.#behind === null ? 0 : performance.now() - this.#behindSince;
    return { count: this.#waits, seconds: (this.#waitedMs + ongoing) / 1000 };
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
    // A failed or hung disk must not take memory without limit: drop whole batches, say so later.
    if ((this.#failing || this.#stalled) && this.#pendingBytes() > MAX_PENDING_LOG_BYTES) {
      this.#lostBatches++;
      return;
    }
    this.#responses.queue.push(batch.responses);
    this.#sockets.queue.push(batch.sockets);
    this.#access?.queue.push(batch.access);
    this.#writeSoon();
  }

  ready(): Promise<void> | null {
    return this.#behind;
  }

  /**
   * Tells `listener` each time the writer falls behind (true) and catches up (false), for
   * connections in other isolates, which cannot ask {@linkcode LogWriter.ready}.
   *
   * @param listener Called with the new state.
   */
  onBacklog(listener: (behind: boolean) => void): void {
    this.#backlogListener = listener;
  }

  /** Encodes this isolate's pending text into the queues, to be written with the rest. */
  #gather(): void {
    this.#takePending();
    this.#writeSoon();
  }

  /**
   * Writes now once {@linkcode LOG_WRITE_THRESHOLD_BYTES} wait, else within
   * {@linkcode LOG_FLUSH_INTERVAL_MS}: a busy server appends a few times a second.
   */
  #writeSoon(): void {
    this.#checkBacklog();
    if (this.#pendingBytes() >= LOG_WRITE_THRESHOLD_BYTES) {
      void this.flush();
    } else {
      this.#writeTimer ??= setTimeout(() => {
        this.#writeTimer = undefined;
        void this.flush();
      }, LOG_FLUSH_INTERVAL_MS);
    }
  }

  /** Writes everything recorded so far; resolves when it is on disk (or has failed and warned). */
  flush(): Promise<void> {
    clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
    if (this.#queued) return this.#flushing;
    this.#queued = true;
    this.#flushing = this.#flushing.then(() => {
      this.#queued = false;
      return this.#writeBatch();
    });
    return this.#flushing;
  }

  /**
   * Flushes everything and stops retrying; later records are still written by `flush()`. A disk
   * that makes no progress for {@linkcode LOG_STALL_MS} is given up on, with a warning.
   */
  async close(): Promise<void> {
    this.#closed = true;
    // Nothing is served any more: nobody should wait for the disk.
    this.#catchUp();
    const written = this.#pending.settled().then(() => this.flush());
    // A disk that takes nothing (a hung mount, a pipe nobody opens) must not keep the server from
    // stopping: a disk that keeps moving is waited for to the last byte, a stuck one for
    // LOG_STALL_MS.
    if (!(await this.#unlessStuck(written))) {
      this.#warn(
        `Stopping with ${this.queuedBytes} bytes of log entries unwritten: writes to ` +
          `"${this.#dir}" made no progress for ${this.#stallMs / 1000} s.`,
      );
    }
    // A console nobody reads must not hold the exit hostage: wait for it, but not forever.
    await this.#console?.drain();
  }

  /**
   * Waits for `work`, unless the files make no progress for the stall time meanwhile.
   *
   * @returns Whether `work` finished.
   */
  #unlessStuck(work: Promise<void>): Promise<boolean> {
    const since = performance.now();
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout>;
      const check = () => {
        const idle = performance.now() - Math.max(since, this.#filesMovedAt);
        if (idle >= this.#stallMs) resolve(false);
        else timer = setTimeout(check, this.#stallMs - idle);
      };
      timer = setTimeout(check, this.#stallMs);
      void work.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /**
   * Connections wait once {@linkcode LOG_BACKLOG_PAUSE_BYTES} wait for the disk, or for stdout
   * when it carries the access log; not while the disk fails or hangs (serving goes on without
   * it), nor once the server stops.
   */
  #checkBacklog(): void {
    if (this.#behind !== null || this.#failing || this.#stalled || this.#closed) return;
    if (
      this.#pendingBytes() >= LOG_BACKLOG_PAUSE_BYTES ||
      (this.#consoleIsLog && this.#console!.pendingChars >= LOG_BACKLOG_PAUSE_BYTES)
    ) {
      this.#fallBehind();
    }
  }

  /** Whether the backlog is down far enough for waiting connections to go on. */
  #caughtUpEnough(): boolean {
    return this.#pendingBytes() <= LOG_BACKLOG_RESUME_BYTES &&
      (!this.#consoleIsLog || this.#console!.pendingChars <= LOG_BACKLOG_RESUME_BYTES);
  }

  /** Connections start waiting for the disk; a disk that makes no progress calls it off. */
  #fallBehind(): void {
    this.#behind = new Promise((resolve) => this.#caughtUp = resolve);
    this.#waits++;
    this.#behindSince = performance.now();
    this.#stallTimer = setTimeout(() => this.#stall(), this.#stallMs);
    this.#backlogListener?.(true);
  }

  /**
   * A file write or rotation, or a console write, finished. A stall ends at the first progress
   * (a disk that came back slower than the traffic holds requests back again); a wait ends once
   * the backlog is down, or goes on with a new stall clock if what moved is what is behind (a
   * console line must not keep a hung disk's wait alive).
   */
  #progress(source: "files" | "console"): void {
    if (source === "files") this.#filesMovedAt = performance.now();
    if (source === "console" && !this.#consoleIsLog) return;
    // Stdout moving says nothing of a disk still behind: that stall goes on.
    if (this.#stalled && (source === "files" || this.#pendingBytes() <= LOG_BACKLOG_RESUME_BYTES)) {
      this.#stalled = false;
      const lost = this.#lostBatches > 0
        ? ` ${this.#lostBatches} batches of entries were dropped to bound memory meanwhile.`
        : "";
      this.#lostBatches = 0;
      this.#warn(`Log writes to "${this.#dir}" are moving again; logging resumed.${lost}`);
      this.#checkBacklog();
      return;
    }
    if (this.#behind === null) return;
    if (this.#caughtUpEnough()) {
      this.#catchUp();
    } else if (
      source === "files"
        ? this.#pendingBytes() > LOG_BACKLOG_RESUME_BYTES
        : this.#console!.pendingChars > LOG_BACKLOG_RESUME_BYTES
    ) {
      clearTimeout(this.#stallTimer);
      this.#stallTimer = setTimeout(() => this.#stall(), this.#stallMs);
    }
  }

  /** Connections go on (the backlog is down, the disk failed or hangs, or the server stops). */
  #catchUp(): void {
    if (this.#behind === null) return;
    clearTimeout(this.#stallTimer);
    this.#waitedMs += performance.now() - this.#behindSince;
    this.#caughtUp?.();
    this.#behind = this.#caughtUp = null;
    this.#backlogListener?.(false);
  }

  /** No write progressed for LOG_STALL_MS: a hung disk must not stop the serving. */
  #stall(): void {
    this.#stalled = true;
    const where = `"${this.#dir}"${this.#consoleIsLog ? " and stdout" : ""}`;
    this.#warn(
      `Log writes to ${where} made no progress for ${this.#stallMs / 1000} s. Serving ` +
        `continues; entries are kept in memory (up to ${MAX_PENDING_LOG_BYTES} bytes) until ` +
        `they catch up, and dropped beyond.`,
    );
    this.#catchUp();
  }

  /** Bytes waiting for any file. */
  #pendingBytes(): number {
    let bytes = 0;
    for (const target of this.#targets) bytes += target.queue.pending;
    return bytes;
  }

  #writeConsole(lines: readonly string[]): void {
    this.#console?.add(lines);
    if (this.#consoleIsLog) this.#checkBacklog();
  }

  /** Moves this isolate's pending text into the queues as bytes, and its console lines out. */
  #takePending(): void {
    const taken = this.#pending.take();
    if (taken !== null && taken.lines.length > 0) this.#writeConsole(taken.lines);
    const dropped = this.#pending.takeDropped();
    if (dropped > 0) this.#warn(`Dropped ${dropped} log records: the log files could not keep up.`);
    // This isolate's own entries are bounded like a worker's batches (a hung disk fails no write).
    if (
      taken !== null && (this.#failing || this.#stalled) &&
      this.#pendingBytes() > MAX_PENDING_LOG_BYTES
    ) {
      this.#lostBatches++;
    } else if (taken !== null) {
      this.#responses.queue.push(taken.responses);
      this.#sockets.queue.push(taken.sockets);
      if (taken.access.length > 0) this.#access?.queue.push(taken.access);
    }
  }

  async #writeBatch(): Promise<void> {
    this.#takePending();
    if (this.#pendingBytes() === 0) return;
    try {
      for (const target of this.#targets) {
        if (target.queue.pending > 0) await this.#drain(target);
      }
      // Batches are dropped only while the disk fails or hangs: a stall's are told when it ends.
      if (this.#failing) {
        const lost = this.#lostBatches > 0
          ? ` ${this.#lostBatches} batches of entries were dropped to bound memory meanwhile.`
          : "";
        this.#warn(`Log dir "${this.#dir}" is writable again; logging resumed.${lost}`);
        this.#lostBatches = 0;
      }
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) {
        this.#warn(
          `Cannot write logs in "${this.#dir}": ${(error as Error).message}. Serving continues; ` +
            `entries are kept in memory (up to ${MAX_PENDING_LOG_BYTES} bytes) until it works.`,
        );
      }
      this.#failing = true;
      // Serving goes on without the disk (entries wait in memory, up to the bound).
      this.#catchUp();
      // Past the bound, whole batches not yet begun are dropped, never a partly written one.
      const share = MAX_PENDING_LOG_BYTES / this.#targets.length;
      for (const target of this.#targets) this.#lostBatches += target.queue.bound(share);
      if (!this.#closed) this.#pending.retryLater(LOG_FLUSH_INTERVAL_MS * LOG_RETRY_INTERVALS);
    }
  }

  /**
   * Appends one file's queue. The file is opened by name now (a few times a second at most), so
   * a rotated or deleted log is recreated, and a log dir that went away is noticed instead of
   * written to a ghost; everything of this batch goes to the file opened here.
   */
  async #drain(target: LogTarget): Promise<void> {
    const { queue } = target;
    let opened = await this.#open(target.path);
    try {
      // An empty file is new too: logrotate's `create` makes one before sockserve reopens.
      const stat = opened.isNew ? undefined : await opened.file.stat?.();
      let size = opened.isNew ? 0 : stat?.size ?? null;
      if (opened.isNew || size === 0) size = this.#begin(target);
      else if (stat === null && !target.streaming) {
        // A pipe (or /dev/stdout) has no size: its reader gets the column row once per run.
        target.streaming = true;
        this.#begin(target);
      }
      while (queue.pending > 0) {
        queue.joinFirst(LOG_WRITE_THRESHOLD_BYTES);
        if (this.#maxSize !== null && size !== null && queue.atRecordStart) {
          const room = this.#maxSize - size;
          if (
            queue.firstLength > room && !queue.fitFirst(room) && size > this.#headerBytes(target)
          ) {
            // Not one more record fits: the file ends here, between records.
            opened.file.close();
            target.rotated = await this.#rotate(target.path, this.#keep, target.rotated);
            opened = await this.#open(target.path);
            size = this.#begin(target);
            this.#progress("files");
            continue;
          }
        }
        const length = queue.firstLength;
        await queue.drainFirst(opened.file);
        if (size !== null) size += length;
        this.#progress("files");
      }
    } finally {
      opened.file.close();
    }
  }

  /** A file begins: a record partly written to the old one starts over; a CSV gets its columns. */
  #begin(target: LogTarget): number {
    target.queue.restartRecord();
    if (target.header === null) return 0;
    // A copy: the queue frees what it has written, and the header is written to every new file.
    target.queue.unshift(target.header.slice());
    // The header is written with the first chunk, so it is counted there, not here.
    return 0;
  }

  #headerBytes(target: LogTarget): number {
    return target.header?.length ?? 0;
  }
}

/** A log file opened for appending; `isNew` says this open created it. */
export interface OpenedLog {
  readonly file: AppendFile;
  readonly isNew: boolean;
}

/**
 * Opens a log file for appending, saying whether this call created it. Only write permission is
 * needed: a new file is detected by creating it exclusively, not by reading its size.
 *
 * @param path The file.
 * @returns The open file.
 */
export async function openAppend(path: string): Promise<OpenedLog> {
  try {
    return { file: sized(await Deno.open(path, { append: true, createNew: true })), isNew: true };
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  return { file: sized(await Deno.open(path, { append: true })), isNew: false };
}

/**
 * An append-only file whose size is read by seeking to its end: `FsFile.stat()` needs read
 * permission on the path in Deno 2.9, and sockserve run with `--allow-write=LOGDIR` alone has
 * none (appends still go to the end whatever the position). A log that is a pipe or a terminal
 * (`ln -s /dev/stdout HTTPResponses.txt`, as containers do) cannot seek: it has no size.
 */
function sized(file: Deno.FsFile): AppendFile {
  return {
    write: (bytes) => file.write(bytes),
    stat: async () => {
      try {
        return { size: await file.seek(0, Deno.SeekMode.End) };
      } catch {
        return null;
      }
    },
    close: () => file.close(),
  };
}

/**
 * Rotates a log file by name: FILE.(keep-1) → FILE.keep, …, FILE → FILE.1 (the oldest beyond
 * `keep` is replaced, so `keep` rotated files remain). Missing files are skipped. A writer that
 * rotates often passes back what the last rotation returned, so each rotation renames the files
 * there are, not `keep` names (a thousand with `--log-keep 1000`); a FILE.N made by someone else
 * beyond them meanwhile is not moved, only replaced when the rotated files reach it.
 *
 * @param path The file.
 * @param keep Rotated files kept, at least 1.
 * @param highest No FILE.N above this exists. @default keep (unknown: try every name)
 * @returns The highest FILE.N a file was moved to (0 when none was): the next `highest`.
 */
export async function rotateFiles(path: string, keep: number, highest = keep): Promise<number> {
  let moved = 0;
  for (let i = Math.min(highest, keep - 1); i >= 0; i--) {
    try {
      await Deno.rename(i === 0 ? path : `${path}.${i}`, `${path}.${i + 1}`);
      moved = Math.max(moved, i + 1);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return moved;
}
