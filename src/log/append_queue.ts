/**
 * Appending bytes to a log file exactly once: a queue of chunks that remembers how much of the
 * first one the file already holds, so a partial write (a full disk) is resumed where it stopped
 * and never repeated; and the record boundaries of both logs, for a file created anew.
 *
 * @module
 */

import { writeAll } from "../io/full_io.ts";

/**
 * One log file's bytes waiting to be appended, as chunks, and how much of the first chunk the
 * file already holds. A failed or partial write keeps exactly the bytes not yet written.
 */
export class AppendQueue {
  readonly #recordStart: (chunk: Uint8Array, offset: number) => number;
  #chunks: Uint8Array[] = [];
  /** Bytes of `#chunks[0]` already in the file. */
  #offset = 0;
  #pending = 0;

  /** @param recordStart Where the record containing an offset begins (for a new file). */
  constructor(recordStart: (chunk: Uint8Array, offset: number) => number) {
    this.#recordStart = recordStart;
  }

  /** Bytes not yet written. */
  get pending(): number {
    return this.#pending;
  }

  /** Queues bytes at the end. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#pending += chunk.length;
  }

  /** Queues bytes before everything else (a new file's header); only between records. */
  unshift(chunk: Uint8Array): void {
    if (this.#offset !== 0) throw new Error("Cannot insert inside a partly written record");
    this.#chunks.unshift(chunk);
    this.#pending += chunk.length;
  }

  /** The file was created anew: the part of a record written to the old one is written again. */
  restartRecord(): void {
    if (this.#offset === 0) return;
    const start = this.#recordStart(this.#chunks[0], this.#offset);
    this.#pending += this.#offset - start;
    this.#offset = start;
    if (start > 0) {
      // Records before `start` went to the old file: keep only the rest.
      this.#chunks[0] = this.#chunks[0].subarray(start);
      this.#offset = 0;
    }
  }

  /**
   * Appends everything to `file`, counting each partial write, so that after an error the next
   * attempt starts at the first byte not written.
   *
   * @param file An open file (append mode).
   * @throws What the write threw; progress up to it is kept.
   */
  async drainTo(file: AppendFile): Promise<void> {
    while (this.#chunks.length > 0) await this.drainFirst(file);
  }

  /**
   * Appends the rest of the first chunk to `file`, like {@linkcode AppendQueue.drainTo}.
   *
   * @param file An open file (append mode).
   * @throws What the write threw; progress up to it is kept.
   */
  async drainFirst(file: AppendFile): Promise<void> {
    if (this.#chunks.length === 0) return;
    await writeAll(file, this.#chunks[0].subarray(this.#offset), (n) => {
      this.#offset += n;
      this.#pending -= n;
    });
    release(this.#chunks.shift()!);
    this.#offset = 0;
  }

  /**
   * Joins the chunks after the first into it while they fit in `max` bytes, so many small
   * batches go to the file in one write; only between records (none of the first is written).
   *
   * @param max The most bytes the first chunk may hold after joining.
   */
  joinFirst(max: number): void {
    if (this.#offset !== 0 || this.#chunks.length < 2) return;
    let count = 1;
    let total = this.#chunks[0].length;
    while (count < this.#chunks.length && total + this.#chunks[count].length <= max) {
      total += this.#chunks[count++].length;
    }
    if (count === 1) return;
    const joined = new Uint8Array(total);
    let at = 0;
    for (const chunk of this.#chunks.splice(0, count, joined)) {
      joined.set(chunk, at);
      at += chunk.length;
      release(chunk);
    }
  }

  /** Bytes of the first chunk not yet written (0 when nothing waits). */
  get firstLength(): number {
    return this.#chunks.length === 0 ? 0 : this.#chunks[0].length - this.#offset;
  }

  /** Whether the next byte begins a record (none is partly written): a file may end here. */
  get atRecordStart(): boolean {
    return this.#offset === 0;
  }

  /**
   * Splits the first chunk after its last whole record that fits in `room` bytes, so that much
   * can go to a file with that much room left (size rotation); never inside a record.
   *
   * @param room Bytes the file may still take.
   * @returns Whether at least one record fits (the first chunk then fits whole or was split).
   */
  fitFirst(room: number): boolean {
    if (this.#offset !== 0 || this.#chunks.length === 0) return false;
    const chunk = this.#chunks[0];
    if (chunk.length <= room) return true;
    if (room <= 0) return false;
    const end = this.#recordStart(chunk, room);
    if (end === 0) return false;
    this.#chunks.splice(0, 1, chunk.subarray(0, end), chunk.subarray(end));
    return true;
  }

  /**
   * Drops whole chunks not yet begun (oldest first) while more than `max` bytes wait; the
   * chunk being written is kept, so no record is ever cut.
   *
   * @param max The most bytes to keep waiting.
   * @returns How many chunks were dropped.
   */
  bound(max: number): number {
    let dropped = 0;
    const first = this.#offset > 0 ? 1 : 0;
    while (this.#pending > max && this.#chunks.length > first) {
      const [victim] = this.#chunks.splice(first, 1);
      this.#pending -= victim.length;
      dropped++;
    }
    return dropped;
  }
}

/**
 * Finds where the CSV row containing `offset` starts: after the last line feed before it.
 *
 * @param chunk Log bytes made of whole rows.
 * @param offset A position inside it.
 * @returns The row's first byte.
 */
export function csvRowStart(chunk: Uint8Array, offset: number): number {
  // lastIndexOf counts a negative start from the end: offset 0 is simply the first row.
  return offset <= 0 ? 0 : chunk.lastIndexOf(0x0a, offset - 1) + 1;
}

/**
 * Finds where the HTTPResponses.txt entry containing `offset` starts: after the last empty line
 * (`\r\n\r\n`, the end of a head) before it.
 *
 * @param chunk Log bytes made of whole entries.
 * @param offset A position inside it.
 * @returns The entry's first byte.
 */
export function responseEntryStart(chunk: Uint8Array, offset: number): number {
  for (let i = offset - 4; i >= 0; i--) {
    if (
      chunk[i] === 0x0d && chunk[i + 1] === 0x0a && chunk[i + 2] === 0x0d && chunk[i + 3] === 0x0a
    ) {
      return i + 4;
    }
  }
  return 0;
}

/** A file opened for appending: what the log writer needs of `Deno.FsFile`. */
export interface AppendFile {
  /** Writes some of the bytes; returns how many. */
  write(bytes: Uint8Array): Promise<number>;
  /**
   * The file's size now (size rotation, and an empty file made by logrotate `create`); null when
   * it has none (a pipe, a terminal), which is never rotated and gets no CSV column row.
   */
  stat?(): Promise<{ readonly size: number } | null>;
  /** Closes it. */
  close(): void;
}

/**
 * Frees a written chunk's memory now when it owns its whole buffer (batches arrive that way,
 * transferred from the workers), instead of when the supervisor's rarely running collector
 * finds it: under load the dead batches held ~10 MB.
 */
function release(chunk: Uint8Array): void {
  if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength) {
    (chunk.buffer as ArrayBuffer).transfer(0);
  }
}
