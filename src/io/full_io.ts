/**
 * Whole-buffer I/O: the two loops every stage needs, written once. A write may take only part of
 * the bytes and a read may return fewer than asked; these keep going until all are through.
 *
 * @module
 */

/** Anything bytes are written to in pieces: a socket, a file, stdout. */
export interface PartialWriter {
  /** Writes some of `bytes`; resolves with how many. */
  write(bytes: Uint8Array): Promise<number>;
}

/**
 * Writes all of `bytes`, reporting each partial write.
 *
 * @param writer Where to write.
 * @param bytes What to write.
 * @param onProgress Called with each write's count (deadlines and byte counts keep up).
 * @throws What the writer threw; `onProgress` has seen everything written before.
 */
export async function writeAll(
  writer: PartialWriter,
  bytes: Uint8Array,
  onProgress?: (written: number) => void,
): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const n = await writer.write(bytes.subarray(offset));
    offset += n;
    onProgress?.(n);
  }
}

/** Raised by {@linkcode readExactly} when the source ends before the buffer is full. */
export class ShortReadError extends Error {
  /** Bytes that did arrive. */
  readonly filled: number;

  /** @param filled Bytes that did arrive. */
  constructor(filled: number) {
    super("File ended before its announced length");
    this.name = "ShortReadError";
    this.filled = filled;
  }
}

/**
 * Fills `buf` completely.
 *
 * @param read Reads into a slice; gets the number of bytes filled so far (the offset of a
 *   positional read) and returns how many it read, 0 or null at the end.
 * @param buf The buffer to fill.
 * @throws ShortReadError when the source ends first (a file shrank while being read).
 */
export async function readExactly(
  read: (target: Uint8Array, filled: number) => Promise<number | null>,
  buf: Uint8Array,
): Promise<void> {
  let filled = 0;
  while (filled < buf.length) {
    const n = await read(buf.subarray(filled), filled);
    if (n === null || n === 0) throw new ShortReadError(filled);
    filled += n;
  }
}
