/**
 * Representations (RFC 9110 §3.2): a file as the responder serves it — media type, length,
 * validators and where its bytes are (an open file, or memory for hot files) — and the wire cache
 * that keeps the finished bytes of a hot file's plain 200 response for the current second.
 *
 * @module
 */

import type { Validators } from "../http/conditional.ts";
import { makeETag } from "../http/etag.ts";
import { contentTypeFor } from "../http/media_types.ts";
import type { FileStat, OpenFile } from "./opener.ts";
import { type FileOptions, type Reply } from "./responder.ts";

/** A response as bytes on the wire, with its head as text for the logs. */
export interface Wire {
  readonly head: string;
  readonly bytes: Uint8Array;
}

/**
 * The last built wire image of a fixed response, per Connection value: rebuilt when the Date
 * second changes, so a hot file costs no formatting, encoding or copying on most requests.
 */
export class WireCache {
  #date = "";
  #keepAlive: Wire | null = null;
  #close: Wire | null = null;
  #reply: Reply | null = null;
  #replyOptions: FileOptions | null = null;

  /**
   * Returns the plain 200 reply of this file for these options, building it once.
   *
   * @param options The server's file options (one object per server).
   * @param build Builds the reply when missing.
   * @returns The reply.
   */
  reply(options: FileOptions, build: () => Reply): Reply {
    if (this.#replyOptions !== options || this.#reply === null) {
      this.#reply = build();
      this.#replyOptions = options;
    }
    return this.#reply;
  }

  /**
   * Returns the wire image for this second and Connection value, building it once.
   *
   * @param date The current Date field value.
   * @param keepAlive Which Connection value.
   * @param build Builds the image when missing.
   * @returns The image.
   */
  get(date: string, keepAlive: boolean, build: () => Wire): Wire {
    if (date !== this.#date) {
      this.#date = date;
      this.#keepAlive = this.#close = null;
    }
    if (keepAlive) return this.#keepAlive ??= build();
    return this.#close ??= build();
  }
}

/** Where a representation's bytes are: an open file, or memory (the hot-file cache). */
export type Source =
  | { readonly kind: "file"; readonly file: OpenFile }
  | { readonly kind: "memory"; readonly bytes: Uint8Array };

/** A file as the responder serves it: type, length, validators and where its bytes are. */
export interface Representation {
  readonly contentType: string;
  readonly size: number;
  readonly validators: Validators;
  readonly source: Source;
  /** The reusable full 200 response, for representations held in memory. */
  readonly wire?: WireCache;
}

/**
 * Describes a file from its fstat: strong ETag from inode, size and mtime; Last-Modified.
 *
 * @param path The file's path (its extension gives the type).
 * @param stat Its fstat, taken through the open file.
 * @param source Where its bytes are.
 * @param nowMs The current time: a modification time in the future is not announced (RFC 9110
 *   §8.8.2.1: Last-Modified is never later than the response's Date).
 * @returns The representation.
 */
export function describeFile(
  path: string,
  stat: FileStat,
  source: Source,
  nowMs: number = Date.now(),
): Representation {
  const { mtimeMs } = stat;
  return {
    contentType: contentTypeFor(path),
    size: stat.size,
    validators: {
      etag: makeETag({ size: stat.size, mtimeMs, ino: stat.ino }),
      lastModifiedMs: mtimeMs === null ? null : Math.min(mtimeMs, nowMs),
    },
    source,
  };
}
