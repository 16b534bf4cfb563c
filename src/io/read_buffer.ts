/**
 * Read-buffer housekeeping shared by the server's connections and the client: bytes arrive at
 * the end of a buffer and are consumed from the front, so when the end is reached the unread
 * bytes move to the front, or the buffer doubles when they fill it.
 *
 * @module
 */

/** A buffer and the unread bytes in it: `buf[start..end)`. */
export interface BufferState {
  readonly buf: Uint8Array<ArrayBuffer>;
  readonly start: number;
  readonly end: number;
}

/**
 * Makes room after `end`: moves the unread bytes to the front if any were consumed, else
 * doubles the buffer up to `max` bytes.
 *
 * @param state The buffer and its unread range.
 * @param max The largest the buffer may grow.
 * @returns The new state (the same buffer when compacted), or null when it is full at `max`.
 */
export function makeRoom(state: BufferState, max: number): BufferState | null {
  const { buf, start, end } = state;
  if (end < buf.length) return state;
  if (start > 0) {
    buf.copyWithin(0, start, end);
    return { buf, start: 0, end: end - start };
  }
  const size = Math.min(buf.length * 2, max);
  if (size <= buf.length) return null;
  const bigger = new Uint8Array(size);
  bigger.set(buf);
  return { buf: bigger, start, end };
}
