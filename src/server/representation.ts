/**
 * Representations (RFC 9110 §3.2): a file as the responder serves it — media type, length,
 * validators, content coding and where its bytes are (an open file, or memory for hot files) —
 * the wire cache that keeps the finished bytes of a hot file's plain 200 response for the
 * current second, and the coded forms of a file (RFC 9110 §8.4): its bytes compressed on the fly
 * (`--compress`) or a precompressed file beside it (`--precompressed`), and which one a request
 * gets.
 *
 * @module
 */

import type { Transform } from "node:stream";
import type { Validators } from "../http/conditional.ts";
import {
  codedETag,
  type Coding,
  CONTENT_CODINGS,
  type ContentCoding,
  isCompressible,
  negotiateCoding,
} from "../http/content_coding.ts";
import { makeETag } from "../http/etag.ts";
import { contentTypeFor } from "../http/media_types.ts";
import {
  BROTLI_QUALITY,
  COMPRESS_SLICE_BYTES,
  GZIP_LEVEL,
  MAX_COMPRESS_BYTES,
  MIN_COMPRESS_BYTES,
  ZSTD_LEVEL,
} from "../limits.ts";
import type { FileStat, OpenFile } from "./opener.ts";
import type { FileOptions, FileRequest, Reply } from "./responder.ts";

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
      // The wire images were made from the old reply's fields.
      this.#keepAlive = this.#close = null;
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
  /** Its content coding (RFC 9110 §8.4), sent as Content-Encoding. @default identity */
  readonly coding?: ContentCoding;
  /**
   * Whether Range applies to it. Bytes compressed on the fly are this server's passing choice,
   * not a stable sequence a client could resume: ranges go to the identity representation.
   * @default true
   */
  readonly ranges?: boolean;
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

/** The name a precompressed file has beside the file it encodes: `FILE.br`, `.zst`, `.gz`. */
export const SIDECAR_EXTENSIONS: Readonly<Record<ContentCoding, string>> = {
  br: ".br",
  zstd: ".zst",
  gzip: ".gz",
};

/**
 * Decides whether a precompressed file may stand for the file beside it: only when it is not
 * older, so a file edited after its sidecars were made is never answered with the old content.
 *
 * @param original The file's fstat.
 * @param sidecar The precompressed file's fstat.
 * @returns Whether the sidecar is fresh (unknown times count as stale).
 */
export function isFreshSidecar(original: FileStat, sidecar: FileStat): boolean {
  return original.mtimeMs !== null && sidecar.mtimeMs !== null &&
    sidecar.mtimeMs >= original.mtimeMs;
}

/**
 * Describes a precompressed file as a coded form of the file beside it: the original's media
 * type, the sidecar's own length, bytes and times, and an entity-tag of the sidecar's identity
 * marked with the coding, so it changes whenever the sidecar's bytes may have.
 *
 * @param originalPath The real path of the file it encodes (its extension gives the type).
 * @param stat The sidecar's fstat.
 * @param coding The sidecar's coding.
 * @param source Where the sidecar's bytes are.
 * @param nowMs The current time (see {@linkcode describeFile}).
 * @returns The representation; ranges apply to the sidecar's bytes (RFC 9110 §14.1.2).
 */
export function describeSidecar(
  originalPath: string,
  stat: FileStat,
  coding: ContentCoding,
  source: Source,
  nowMs: number = Date.now(),
): Representation {
  const described = describeFile(originalPath, stat, source, nowMs);
  return {
    ...described,
    validators: { ...described.validators, etag: codedETag(described.validators.etag, coding) },
    coding,
  };
}

/**
 * Describes the identity bytes of a representation compressed on the fly: same type and
 * times, the compressed length, the identity tag marked with the coding (RFC 9110 §8.8.3), and no
 * ranges.
 *
 * @param identity The identity representation.
 * @param coding The coding applied.
 * @param bytes The compressed bytes.
 * @returns The coded representation, with its own wire cache.
 */
export function describeEncoded(
  identity: Representation,
  coding: ContentCoding,
  bytes: Uint8Array,
): Representation {
  return {
    contentType: identity.contentType,
    size: bytes.length,
    validators: {
      etag: codedETag(identity.validators.etag, coding),
      lastModifiedMs: identity.validators.lastModifiedMs,
    },
    source: { kind: "memory", bytes },
    wire: new WireCache(),
    coding,
    ranges: false,
  };
}

/**
 * Decides whether a representation may be compressed on the fly: a compressible media type,
 * held in memory, from {@linkcode MIN_COMPRESS_BYTES} to {@linkcode MAX_COMPRESS_BYTES} (so the
 * compressed response has a Content-Length), and not already coded.
 *
 * @param rep The identity representation.
 * @returns Whether to offer the on-the-fly codings.
 */
export function isCompressibleNow(rep: Representation): boolean {
  return rep.coding === undefined && rep.source.kind === "memory" &&
    rep.size >= MIN_COMPRESS_BYTES && rep.size <= MAX_COMPRESS_BYTES &&
    isCompressible(rep.contentType);
}

/** Where the chosen coding comes from. */
export type CodingSource = "identity" | "sidecar" | "compress";

/** Which representation a request gets (see {@linkcode chooseCoding}). */
export interface CodingChoice {
  /** The coding to send, or null when nothing acceptable is available (→ 406). */
  readonly coding: Coding | null;
  /** Where its bytes come from; `identity` for a 406 too. */
  readonly from: CodingSource;
  /**
   * Whether the path has or could have another representation, so every response for it says
   * `Vary: Accept-Encoding` (RFC 9110 §12.5.5): with `--compress` a compressible type, with
   * `--precompressed` a fresh sidecar.
   */
  readonly vary: boolean;
}

/** No precompressed forms. */
const NO_CODINGS: readonly ContentCoding[] = [];

/**
 * Chooses the representation of a file for a request (RFC 9110 §12.5.3), pure. A precompressed
 * sidecar beats compressing the same coding on the fly. A GET with Range is answered from the
 * identity representation or a sidecar, never from bytes compressed on the fly; only when the
 * request refuses identity too does it get them whole (the Range is then ignored, §14.2).
 *
 * @param identity The file as stored.
 * @param sidecars The codings of its fresh sidecars.
 * @param request Method and fields (Accept-Encoding, Range).
 * @param compress Whether `--compress` is on (and allowed by Cache-Control).
 * @returns The coding, where it comes from, and whether to send Vary.
 * @example
 * ```ts
 * chooseCoding(page, [], { method: "GET", headers: new Map([["accept-encoding", "gzip, br"]]) }, true);
 * // { coding: "br", from: "compress", vary: true }
 * ```
 */
export function chooseCoding(
  identity: Representation,
  sidecars: readonly ContentCoding[],
  request: FileRequest,
  compress: boolean,
): CodingChoice {
  const compressible = compress && isCompressible(identity.contentType);
  const vary = compressible || sidecars.length > 0;
  const onTheFly = compressible && isCompressibleNow(identity) ? CONTENT_CODINGS : NO_CODINGS;
  const accept = request.headers.get("accept-encoding");
  const from = (coding: Coding | null): CodingChoice => ({
    coding,
    from: coding === null || coding === "identity"
      ? "identity"
      : sidecars.includes(coding)
      ? "sidecar"
      : "compress",
    vary,
  });
  if (request.method === "GET" && request.headers.has("range")) {
    const stable = negotiateCoding(accept, sidecars);
    if (stable !== null || onTheFly.length === 0) return from(stable);
  }
  // On the fly every coding can be made, so `onTheFly`, when offered, covers the sidecars.
  return from(negotiateCoding(accept, onTheFly.length === 0 ? sidecars : onTheFly));
}

/** node:zlib, as its module namespace. */
type Zlib = typeof import("node:zlib");

/**
 * node:zlib, imported at the first compression: it pulls in Node's stream machinery, ~3 MB of
 * resident memory that a server which never compresses (and the supervisor) need not hold.
 */
let zlibLoaded: Promise<Zlib> | null = null;

/** Each coding's streaming compressor at its level, for input of a known size. */
const COMPRESSORS: Readonly<Record<ContentCoding, (zlib: Zlib, size: number) => Transform>> = {
  br: (zlib, size) =>
    zlib.createBrotliCompress({
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: size,
      },
    }),
  zstd: (zlib) =>
    zlib.createZstdCompress({ params: { [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } }),
  gzip: (zlib) => zlib.createGzip({ level: GZIP_LEVEL }),
};

/** Lets the event loop take a turn (timers run after pending I/O). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Compresses bytes with a coding, {@linkcode COMPRESS_SLICE_BYTES} at a time with a turn of the
 * event loop between slices: Deno runs node:zlib on the JavaScript thread, callback API included,
 * so one call on 1 MiB would stop every connection of the isolate for ~0.4 s (brotli 5).
 *
 * @param bytes The identity bytes.
 * @param coding The coding.
 * @returns The compressed bytes, in a buffer of their own (never a slice of a shared pool, which
 *   a cache would keep alive whole).
 */
export async function compressBytes(bytes: Uint8Array, coding: ContentCoding): Promise<Uint8Array> {
  const zlib = await (zlibLoaded ??= import("node:zlib"));
  const compressor = COMPRESSORS[coding](zlib, bytes.length);
  const parts: Uint8Array[] = [];
  let total = 0;
  compressor.on("data", (part: Uint8Array) => {
    parts.push(part);
    total += part.length;
  });
  const finished = new Promise<void>((resolve, reject) => {
    compressor.on("end", resolve);
    compressor.on("error", reject);
  });
  for (let at = 0; at < bytes.length; at += COMPRESS_SLICE_BYTES) {
    if (at > 0) await nextTurn();
    const slice = bytes.subarray(at, at + COMPRESS_SLICE_BYTES);
    await new Promise<void>((resolve, reject) =>
      compressor.write(slice, (error?: Error | null) => error ? reject(error) : resolve())
    );
  }
  compressor.end();
  await finished;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
