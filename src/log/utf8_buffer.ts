/**
 * Log text kept as the bytes that will be written: each piece is encoded in place as it is
 * appended, so no string of a whole batch is ever built, flattened or encoded again, and what is
 * taken is one buffer that can be transferred to the writer's isolate and freed there.
 *
 * @module
 */

const encoder = new TextEncoder();

/** The most bytes UTF-8 needs for one UTF-16 code unit (a lone surrogate or a BMP character). */
const MAX_UTF8_BYTES_PER_UNIT = 3;

/**
 * Bytes appended in place into one growing buffer, taken whole. Memory is claimed at the first
 * append after a take, so a buffer that stays empty (no access log) costs nothing.
 */
export class Utf8Buffer {
  readonly #initialBytes: number;
  #buf: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  #used = 0;

  /** @param initialBytes Room claimed at the first append: the size a batch usually reaches. */
  constructor(initialBytes: number) {
    this.#initialBytes = initialBytes;
  }

  /** Bytes appended since the last take. */
  get length(): number {
    return this.#used;
  }

  /** Appends a string as UTF-8. */
  text(text: string): void {
    this.#reserve(text.length * MAX_UTF8_BYTES_PER_UNIT);
    this.#used += encoder.encodeInto(text, this.#buf.subarray(this.#used)).written;
  }

  /** Appends bytes as they are. */
  bytes(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#used);
    this.#used += bytes.length;
  }

  /**
   * Takes everything appended: a buffer of exactly those bytes that owns its memory (so it can
   * be transferred, and freed when written), and starts over empty.
   *
   * @returns The bytes.
   */
  take(): Uint8Array<ArrayBuffer> {
    if (this.#used === 0) return new Uint8Array(0);
    const taken = new Uint8Array(this.#buf.buffer.transfer(this.#used));
    this.#buf = new Uint8Array(0);
    this.#used = 0;
    return taken;
  }

  /** Makes room for `more` bytes, at least doubling, so appends stay amortised O(1). */
  #reserve(more: number): void {
    if (this.#buf.length - this.#used >= more) return;
    const size = Math.max(this.#initialBytes, this.#buf.length * 2, this.#used + more);
    const grown = new Uint8Array(size);
    grown.set(this.#buf.subarray(0, this.#used));
    this.#buf = grown;
  }
}
