/**
 * Log entries waiting to be written: each response is formatted into both logs' bytes as it is
 * recorded (so no record object outlives its response, and no batch-sized string is ever built),
 * and the bytes are due after {@linkcode LOG_FLUSH_INTERVAL_MS}, or at once past
 * {@linkcode LOG_FLUSH_THRESHOLD_BYTES}.
 *
 * @module
 */

import {
  LOG_FLUSH_INTERVAL_MS,
  LOG_FLUSH_THRESHOLD_BYTES,
  MAX_PENDING_LOG_BYTES,
} from "../limits.ts";
import {
  ACCESS_LOG_STDOUT,
  type AccessLogFormat,
  formatAccessEntry,
  localOffsetMinutes,
} from "./access.ts";
import {
  canFormatCsvRow,
  formatCsvRows,
  formatResponseMarker,
  loadCsvLibrary,
  type ResponseRecord,
} from "./format.ts";
import { Utf8Buffer } from "./utf8_buffer.ts";

/** What text {@linkcode PendingLogs} makes of a response. */
export interface LogTextOptions {
  /** Whether console lines are kept. */
  readonly console: boolean;
  /** The access log format, or null when there is no access log. */
  readonly access: AccessLogFormat | null;
  /** The access log goes to stdout (`--access-log -`): its lines join the console lines. */
  readonly accessToConsole: boolean;
  /** The local UTC offset at a time, minutes east of UTC. @default localOffsetMinutes */
  readonly offset?: (ms: number) => number;
  /** SocketOutput.csv rows get the `forwarded_client` column (see `format.ts`). @default false */
  readonly forwardedColumn?: boolean;
}

/**
 * Decides the log text options of a server from its settings (the same in every isolate).
 *
 * @param options The console switches and the access log.
 * @returns The options.
 */
export function logTextOptions(options: {
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly accessLog?: string | null;
  readonly accessLogFormat?: AccessLogFormat;
  readonly csvForwardedColumn?: boolean;
}): LogTextOptions {
  const accessLog = options.accessLog ?? null;
  return {
    forwardedColumn: options.csvForwardedColumn ?? false,
    console: !options.quiet || options.verbose,
    access: accessLog === null ? null : options.accessLogFormat ?? "combined",
    accessToConsole: accessLog === ACCESS_LOG_STDOUT,
  };
}

/**
 * Log entries taken from {@linkcode PendingLogs}: the files' bytes, each array owning its whole
 * buffer (it can be transferred, and freed once written), and the console lines.
 */
export interface PendingText {
  readonly responses: Uint8Array<ArrayBuffer>;
  readonly sockets: Uint8Array<ArrayBuffer>;
  /** Access log lines for the access log file (empty when it goes to the console). */
  readonly access: Uint8Array<ArrayBuffer>;
  readonly lines: readonly string[];
  /** How many responses the text holds. */
  readonly count: number;
}

/**
 * Log entries waiting to be written, and the rule for when they are due: after
 * {@linkcode LOG_FLUSH_INTERVAL_MS}, or at once past {@linkcode LOG_FLUSH_THRESHOLD_BYTES}.
 * Entries are encoded as they arrive into one buffer per file: building the batch as strings
 * and encoding it when taken cost ~1 µs per response in flattening and encoding alone.
 */
export class PendingLogs {
  readonly #console: boolean;
  readonly #access: AccessLogFormat | null;
  readonly #forwardedColumn: boolean;
  readonly #accessToConsole: boolean;
  readonly #offsetOf: (ms: number) => number;
  readonly #due: (full: boolean) => void;
  readonly #responses = new Utf8Buffer(LOG_FLUSH_THRESHOLD_BYTES);
  readonly #sockets = new Utf8Buffer(LOG_FLUSH_THRESHOLD_BYTES);
  readonly #accessText = new Utf8Buffer(LOG_FLUSH_THRESHOLD_BYTES);
  /** The minute whose UTC offset was looked up last, and that offset. */
  #offsetMinute = NaN;
  #offset = 0;
  #lines: string[] = [];
  /** Responses recorded since the last take. */
  #count = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #dropped = 0;
  /**
   * Records whose CSV rows wait for the CSV library (a field needs quoting), with every later
   * row behind them so the rows keep their order; null when none waits.
   */
  #csvWaiting: ResponseRecord[] | null = null;
  /** Settles when no row waits for the CSV library. */
  #csvSettled: Promise<void> = Promise.resolve();

  /**
   * @param options Console lines and access log.
   * @param due Called when the text should be taken: `full` past the threshold (more may follow
   *   at once), else by the clock.
   */
  constructor(options: LogTextOptions, due: (full: boolean) => void) {
    this.#console = options.console;
    this.#access = options.access;
    this.#accessToConsole = options.accessToConsole;
    this.#forwardedColumn = options.forwardedColumn ?? false;
    this.#offsetOf = options.offset ?? localOffsetMinutes;
    this.#due = due;
  }

  /** Formats a response into every log's bytes. */
  record(record: ResponseRecord): void {
    this.#count++;
    // Past the bound the disk is not keeping up (or hangs): drop, count, and say so later,
    // rather than grow without limit.
    if (this.#size() > MAX_PENDING_LOG_BYTES) {
      this.#dropped++;
      return;
    }
    if (this.#csvWaiting === null && canFormatCsvRow(record, this.#forwardedColumn)) {
      this.#sockets.text(formatCsvRows([record], false, this.#forwardedColumn));
    } else {
      this.#waitForCsv(record);
    }
    if (record.head !== null) {
      // The marker and the head go in separately: joined, they would make a string to flatten.
      this.#responses.text(formatResponseMarker(record));
      this.#responses.text(record.head);
    }
    if (this.#access !== null) {
      const entry = formatAccessEntry(record, this.#access, this.#offsetAt(record.time));
      if (this.#accessToConsole) this.#lines.push(entry.slice(0, -1));
      else this.#accessText.text(entry);
    }
    this.#schedule();
  }

  /** The UTC offset at a time, looked up once a minute (offsets change on minute boundaries). */
  #offsetAt(ms: number): number {
    const minute = Math.floor(ms / 60_000);
    if (minute !== this.#offsetMinute) {
      this.#offsetMinute = minute;
      this.#offset = this.#offsetOf(ms);
    }
    return this.#offset;
  }

  /**
   * Holds a record's CSV row until the CSV library is imported, then formats every waiting row in
   * order; if the import fails, the waiting rows are dropped and counted like any dropped record.
   */
  #waitForCsv(record: ResponseRecord): void {
    if (this.#csvWaiting !== null) {
      this.#csvWaiting.push(record);
      return;
    }
    const waiting = this.#csvWaiting = [record];
    // One synchronous step per outcome: a record arriving later finds nothing waiting.
    const release = (loaded: boolean) => {
      this.#csvWaiting = null;
      if (!loaded) this.#dropped += waiting.length;
      else {
        for (const held of waiting) {
          this.#sockets.text(formatCsvRows([held], false, this.#forwardedColumn));
        }
      }
      this.#schedule();
    };
    this.#csvSettled = loadCsvLibrary().then(() => release(true), () => release(false));
  }

  /**
   * Waits until no CSV row waits for the CSV library, so a final flush has every row.
   *
   * @returns Resolves when none waits.
   */
  settled(): Promise<void> {
    return this.#csvSettled;
  }

  /** Adds a console line, if console lines are kept. */
  line(text: string): void {
    if (!this.#console) return;
    this.#lines.push(text);
    this.#schedule();
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
    if (this.#size() === 0 && this.#lines.length === 0) return null;
    const batch = {
      responses: this.#responses.take(),
      sockets: this.#sockets.take(),
      access: this.#accessText.take(),
      lines: this.#lines,
      count: this.#count,
    };
    this.#lines = [];
    this.#count = 0;
    return batch;
  }

  /** Asks for a later call of `due` (a retry after a failed write). */
  retryLater(delayMs: number): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#due(false);
    }, delayMs);
  }

  /** Bytes of log entries waiting. */
  get pendingBytes(): number {
    return this.#size();
  }

  /** Bytes of file entries pending. */
  #size(): number {
    return this.#responses.length + this.#sockets.length + this.#accessText.length;
  }

  #schedule(): void {
    if (this.#size() >= LOG_FLUSH_THRESHOLD_BYTES) {
      this.#due(true);
    } else {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#due(false);
      }, LOG_FLUSH_INTERVAL_MS);
    }
  }
}
