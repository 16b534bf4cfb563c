/**
 * The body writer: puts a reply's head and body on a connection's {@linkcode Sink}. Small bodies
 * go out with the head in one write; files stream through a buffer taken from a shared budget,
 * each write waiting for the socket, so a slow client costs one small buffer, not the file.
 *
 * @module
 */

import {
  FILE_CHUNK_BYTES,
  MAX_STREAM_BUFFER_BYTES,
  MIN_STREAM_CHUNK_BYTES,
  SINGLE_WRITE_MAX_BYTES,
} from "../limits.ts";
import { type ReplyBody } from "./responder.ts";

/** Where reply bytes go: the connection's socket, with its deadline and byte counting. */
export interface Sink {
  /** Writes all of `bytes`, waiting for the socket to drain (backpressure). */
  write(bytes: Uint8Array): Promise<void>;
}

/**
 * Writes a head and body to the sink, closing a file body in every case. Small bodies go out in
 * the same write as the head; large ones stream through one reused buffer, each write waiting
 * for the socket (so a slow client costs one buffer, not the file).
 *
 * @param sink The connection's writer.
 * @param head The encoded response head.
 * @param body The body.
 * @throws When the file ends early: the promised Content-Length cannot be kept, so the caller
 *   must close the connection.
 */
export function writeReply(sink: Sink, head: Uint8Array, body: ReplyBody): Promise<void> {
  if (body.kind === "none") return sink.write(head);
  if (body.kind === "bytes") {
    if (body.bytes.length > SINGLE_WRITE_MAX_BYTES) {
      const bytes = body.bytes;
      return sink.write(head).then(() => sink.write(bytes));
    }
    const all = new Uint8Array(head.length + body.bytes.length);
    all.set(head);
    all.set(body.bytes, head.length);
    return sink.write(all);
  }
  return writeFileBody(sink, head, body);
}

/**
 * The file-streaming buffers all responses hold at once, bounded: a response asks for a full
 * {@linkcode FILE_CHUNK_BYTES} buffer and gets it while the budget lasts, else a small
 * {@linkcode MIN_STREAM_CHUNK_BYTES} one, so thousands of slow readers cost megabytes, not
 * gigabytes.
 */
export class StreamBudget {
  readonly #max: number;
  #used = 0;

  /** @param max Bytes all full-size buffers may take together. */
  constructor(max: number = MAX_STREAM_BUFFER_BYTES) {
    this.#max = max;
  }

  /** Bytes currently handed out. */
  get used(): number {
    return this.#used;
  }

  /**
   * Takes a buffer size for a body of `length` bytes; give it back with {@linkcode release}.
   *
   * @param length The body's length.
   * @returns The buffer size granted.
   */
  acquire(length: number): number {
    const wanted = Math.min(FILE_CHUNK_BYTES, length);
    const size = this.#used + wanted <= this.#max
      ? wanted
      : Math.min(MIN_STREAM_CHUNK_BYTES, wanted);
    this.#used += size;
    return size;
  }

  /**
   * Returns a size taken with {@linkcode acquire}.
   *
   * @param size The size granted.
   */
  release(size: number): void {
    this.#used -= size;
  }
}

/** The budget of this isolate's streaming buffers. */
export const streamBudget: StreamBudget = new StreamBudget();

/** Streams a file body (see {@linkcode writeReply}). */
async function writeFileBody(
  sink: Sink,
  head: Uint8Array,
  body: Extract<ReplyBody, { kind: "file" }>,
): Promise<void> {
  const { file, segments, length } = body;
  try {
    if (length <= SINGLE_WRITE_MAX_BYTES) {
      const all = new Uint8Array(head.length + length);
      all.set(head);
      let at = head.length;
      for (const segment of segments) {
        if (segment.kind === "bytes") {
          all.set(segment.bytes, at);
          at += segment.bytes.length;
        } else {
          await file.readExactly(all.subarray(at, at + segment.length), segment.start);
          at += segment.length;
        }
      }
      return await sink.write(all);
    }
    await sink.write(head);
    const size = streamBudget.acquire(length);
    try {
      const chunk = new Uint8Array(size);
      for (const segment of segments) {
        if (segment.kind === "bytes") {
          await sink.write(segment.bytes);
          continue;
        }
        let position = segment.start;
        const end = segment.start + segment.length;
        while (position < end) {
          const part = chunk.subarray(0, Math.min(chunk.length, end - position));
          await file.readExactly(part, position);
          position += part.length;
          await sink.write(part);
        }
      }
    } finally {
      streamBudget.release(size);
    }
  } finally {
    file.close();
  }
}
