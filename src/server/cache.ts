/**
 * The hot-file cache: small files held in memory so the common request costs neither resolving,
 * opening, proving, reading and closing, nor under load even a `realpath` and a `stat`.
 *
 * Bytes enter only through a proven open (`opener.ts`), so the cache can never hold what a
 * race made the opener refuse. Two maps keep memory bounded whatever the folder looks like:
 *
 * - files, keyed by the file's identity (device and inode): one copy of the bytes however many
 *   paths lead to it, with one prebuilt representation per media type (a path's extension picks
 *   the type);
 * - paths, keyed by the normalised request path: the path the URL named (`candidate`, links
 *   unresolved), the real path the resolver confined it to, and the file identity found there.
 *   Links such as `debian -> .` make distinct paths endless, so paths are capped in number and
 *   each costs {@linkcode CACHE_ENTRY_OVERHEAD_BYTES} of the byte budget.
 *
 * Revalidation resolves `candidate` again and stats the result; any difference (the file was
 * rewritten, replaced, moved, renamed, re-permissioned, deleted, or a link or folder on the way
 * now leads elsewhere) drops the path and the request takes the full resolver path again.
 *
 * **When.** A hit needs a revalidation made after its request arrived, and no other: whatever
 * changed before the client sent its request had changed before the request's bytes reached
 * this isolate, so a check made after that moment sees it, and one made before may not. Request
 * bytes reach an isolate only through its connections' reads (one thread runs it all), and each
 * read bumps one counter ({@linkcode Arrivals}) before any request in its bytes is answered. A
 * path remembers the counter at its last revalidation; while the counter has not moved, nothing
 * has arrived since, so every request being answered arrived before that revalidation, which
 * therefore holds for them all. Under load one turn of the event loop brings reads from many
 * connections (wrk with 50 connections: ~40 requests per revalidation of its one file), so a hot
 * file is checked once per batch instead of once per request; a lone client's requests each come
 * in their own read and are each checked, as when every hit was. The sharing rests on the
 * connection loop awaiting between counting a read and answering it (`#readHead`): every read of
 * the turn is counted before the first request is answered. Parsing a whole head without that
 * await made each request revalidate (~13 → ~20 µs per 1 KiB request). So a request always sees a
 * write that completed before it was sent, on every system and in every mode, with no clock.
 *
 * **What a stat cannot see.** Deno reads file times to the millisecond (and the change time to
 * the second; FAT keeps two seconds), so a rewrite of the same size within one time stamp leaves
 * the identity as it was. A file whose last change lies within {@linkcode FILE_TIMES_SETTLE_MS}
 * of the moment its bytes were read is therefore not yet vouched for by its times: each
 * revalidation also compares its bytes with the file (read to compare, never served), until one
 * made after the times settled (git treats its "racily clean" index entries the same way).
 *
 * **Why not file-change notification.** `Deno.watchFs` (inotify) was tried (Deno 2.9.6) and set
 * aside: it cannot give the guarantee above, and it fails silently. An event reaches the isolate
 * ~0.2 ms after the write at the median and up to ~5 ms later, in no order with socket reads: a
 * client that wrote a file and at once asked for it got the old bytes 28 times in 500 (7 after a
 * symlink swap, 2 after a rename over it), and the freshness tests failed 7 to 18 times in 600
 * writes. Deno's watcher also loses events in bursts without a word (3,000 files created: 1,031
 * of ~9,000 events delivered, 2 when the isolate was busy meanwhile; its handler offers each to
 * a 16-slot channel and drops it when full), never reports inotify's overflow, drops events for
 * names that lead out of the folder (a file swapped for such a symlink can vanish without one),
 * misses files written into a new folder before it watches the folder, and delivers nothing more
 * once a FIFO is created in the folder until something writes to it (it opens each path it
 * reports).
 *
 * Coded forms live beside the identity bytes, under the same budget and the same revalidation:
 *
 * - compressed on the fly (`--compress`): kept in the file's entry, keyed by coding, so a hot page
 *   is compressed once per version of the file, not per request, and leaves with its bytes;
 * - precompressed sidecars (`--precompressed`): a path records what stood beside its file where
 *   `FILE.br`, `FILE.zst` and `FILE.gz` would be — the sidecar served (its bytes held with the
 *   path), or the absent, stale or refused name — and every revalidation checks those names
 *   too, so a sidecar that appears, changes or goes sends the request down the full path again;
 *   one changed too recently for its times to vouch for it is served but not remembered.
 *
 * @module
 */

import fs from "node:fs";
import {
  CACHE_ENTRY_OVERHEAD_BYTES,
  FILE_TIMES_SETTLE_MS,
  MAX_CACHE_BYTES,
  MAX_CACHE_PATHS,
  MAX_CACHED_FILE_BYTES,
  MAX_CONCURRENT_COMPRESSIONS,
} from "../limits.ts";
import { ShortReadError } from "../io/full_io.ts";
import type { ContentCoding } from "../http/content_coding.ts";
import type { FileStat, OpenFile } from "./opener.ts";
import {
  compressBytes,
  describeEncoded,
  describeFile,
  describeSidecar,
  type Representation,
  WireCache,
} from "./representation.ts";
import { contentTypeFor } from "../http/media_types.ts";

/** The identity a cached answer depends on. */
export interface Identity {
  readonly dev: number;
  readonly ino: number | null;
  readonly size: number;
  readonly mtimeMs: number | null;
  /** Change time: moves, renames and permission changes update it, not just writes. */
  readonly ctimeMs: number | null;
}

/** One file's bytes, their on-the-fly encodings, and its representations by media type. */
interface FileEntry {
  readonly key: string;
  readonly identity: Identity;
  readonly bytes: Uint8Array;
  /** Representations by media type (identity) and by media type and coding (encoded). */
  readonly byType: Map<string, Representation>;
  /** `bytes` compressed on the fly, by coding. */
  readonly encoded: Map<ContentCoding, Uint8Array>;
  /** Compressions under way, so concurrent requests share one. */
  readonly compressing: Map<ContentCoding, Promise<Uint8Array>>;
  /** Paths that lead here. */
  paths: number;
  /** Bytes charged to the budget. */
  cost: number;
  /**
   * Whether the identity vouches for the bytes: they were read (or last compared) long enough
   * after the file's last change that any later change shows in its times
   * ({@linkcode isSettled}).
   */
  settled: boolean;
}

/**
 * What stood at a path when it was looked at: its real path and the identity of the file there,
 * compared again by every revalidation. Made by {@linkcode watchPath} (before a probe, so a
 * change during the probe is seen) or by {@linkcode FileCache.attachSidecars} for a sidecar it
 * serves.
 */
export interface PathWatch {
  /** The path as the URL names it (links unresolved). */
  readonly candidate: string;
  /** Its real path, or null when it did not resolve (nothing there). */
  readonly realPath: string | null;
  /** The file there, or null when it could not be stated (e.g. outside the root). */
  readonly identity: Identity | null;
}

/** The precompressed forms found beside a path's file, and every name that was looked at. */
interface Sidecars {
  /** Fresh sidecars, in memory, by coding. */
  readonly served: ReadonlyMap<ContentCoding, Representation>;
  /** Every sidecar name (served or not), checked by every revalidation. */
  readonly watches: readonly PathWatch[];
}

/** One request path and the file it led to. */
interface PathEntry {
  readonly candidate: string;
  readonly realPath: string;
  readonly file: FileEntry;
  readonly representation: Representation;
  /** With `--precompressed`, once probed. */
  readonly sidecars?: Sidecars;
  readonly cost: number;
  /** {@linkcode Arrivals.count} when the path was last revalidated; {@linkcode NEVER} before. */
  checkedAt: number;
}

/**
 * How many times request bytes have reached this isolate: the connections bump it after every
 * read, before anything those bytes ask for is answered (see the module comment).
 */
export interface Arrivals {
  readonly count: number;
}

/** The `checkedAt` of a path not revalidated since it was admitted: no count equals it. */
const NEVER = -1;

/** A sidecar the router found fresh and proven, to be served and watched. */
export interface ServedSidecar {
  readonly coding: ContentCoding;
  /** The sidecar's path beside the file (links unresolved). */
  readonly candidate: string;
  /** Its real path, as the resolver found it. */
  readonly realPath: string;
  /** Its fstat, through the proven open. */
  readonly stat: FileStat;
  /** Its representation, in memory. */
  readonly representation: Representation;
}

/**
 * Looks at what stands at a path now, synchronously, for {@linkcode FileCache.attachSidecars}.
 *
 * @param candidate A path inside the root, possibly through links.
 * @returns Its real path and identity; nulls for what cannot be resolved or stated.
 */
export function watchPath(candidate: string): PathWatch {
  let realPath: string;
  try {
    realPath = Deno.realPathSync(candidate);
  } catch {
    return { candidate, realPath: null, identity: null };
  }
  try {
    return { candidate, realPath, identity: infoIdentity(Deno.statSync(realPath)) };
  } catch {
    return { candidate, realPath, identity: null };
  }
}

/** Whether a path still leads where it led when watched, to the same file. */
function watchHolds(watch: PathWatch): boolean {
  // Most watched names are absent sidecars: existsSync answers without a thrown error (a throw
  // costs ~20 µs, more than the rest of a hot hit). It follows links like realpath, so a name
  // it does not find has no real path either.
  if (watch.realPath === null) return !fs.existsSync(watch.candidate);
  let realPath: string | null;
  try {
    realPath = Deno.realPathSync(watch.candidate);
  } catch {
    realPath = null;
  }
  if (realPath !== watch.realPath) return false;
  if (watch.identity === null || realPath === null) return true;
  try {
    return sameIdentity(watch.identity, infoIdentity(Deno.statSync(realPath)));
  } catch {
    return false;
  }
}

function identityOf(stat: FileStat): Identity {
  return {
    dev: stat.dev,
    ino: stat.ino,
    size: stat.size,
    mtimeMs: stat.mtimeMs,
    ctimeMs: stat.ctimeMs,
  };
}

function infoIdentity(info: Deno.FileInfo): Identity {
  return {
    dev: info.dev,
    ino: info.ino,
    size: info.size,
    mtimeMs: info.mtime?.getTime() ?? null,
    ctimeMs: info.ctime?.getTime() ?? null,
  };
}

function sameIdentity(a: Identity, b: Identity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs;
}

/**
 * Whether a file's times vouch for bytes read after `at`: its last change lies at least
 * {@linkcode FILE_TIMES_SETTLE_MS} away, so any change after `at` gets other times. A same-size
 * rewrite within one time stamp (Deno reads times to the millisecond; FAT keeps two seconds) is
 * otherwise invisible to a stat, as git's "racily clean" index entries are.
 *
 * @param identity The file's identity as read.
 * @param at The wall clock before the file was opened (or its bytes compared).
 * @returns Whether the identity alone can tell later changes.
 */
export function isSettled(identity: Identity, at: number): boolean {
  const times = [identity.mtimeMs, identity.ctimeMs].filter((t) => t !== null);
  return times.length > 0 &&
    times.every((t) => Math.abs(at - t) >= FILE_TIMES_SETTLE_MS);
}

/**
 * Whether the file at a real path holds exactly these bytes now. Read to compare, never to
 * serve: what is served was read through a proven open. Opened without following a link and
 * without blocking, like the opener does, so a FIFO swapped in cannot hold the isolate.
 */
function holdsBytes(realPath: string, bytes: Uint8Array): boolean {
  let fd: number;
  try {
    fd = fs.openSync(realPath, COMPARE_FLAGS);
  } catch {
    return false;
  }
  try {
    // One byte more than expected, so a file that grew is seen even if a stat was not.
    const now = new Uint8Array(bytes.length + 1);
    let filled = 0;
    while (filled < now.length) {
      const n = fs.readSync(fd, now, filled, now.length - filled, filled);
      if (n === 0) break;
      filled += n;
    }
    return filled === bytes.length && equalBytes(now.subarray(0, filled), bytes);
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether two byte arrays hold the same bytes. */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Flags for {@linkcode holdsBytes}: read-only, never a final symlink, never blocking. */
const COMPARE_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;

/** A representation costs its prebuilt 200 responses (keep-alive and close: head and body). */
function representationCost(size: number): number {
  return 2 * (size + CACHE_ENTRY_OVERHEAD_BYTES);
}

/** Bytes charged for a coded form held beside a file: its bytes and its representation. */
function codedCost(size: number): number {
  return size + CACHE_ENTRY_OVERHEAD_BYTES + representationCost(size);
}

/** Options for {@linkcode FileCache}. */
export interface FileCacheOptions {
  /** Largest file kept in memory. @default MAX_CACHED_FILE_BYTES */
  readonly maxFileBytes?: number;
  /** Most bytes kept in memory in all, overheads included. @default MAX_CACHE_BYTES */
  readonly maxTotalBytes?: number;
  /** Most request paths remembered. @default MAX_CACHE_PATHS */
  readonly maxPaths?: number;
  /** Most compressions running at once. @default MAX_CONCURRENT_COMPRESSIONS */
  readonly maxCompressions?: number;
  /**
   * The isolate's request arrivals: a hit is revalidated only when bytes arrived since its last
   * revalidation. @default none: every hit is revalidated
   */
  readonly arrivals?: Arrivals | null;
  /** The wall clock, for {@linkcode isSettled}. @default Date.now */
  readonly now?: () => number;
}

/** What the cache holds, for tests and diagnostics. */
export interface CacheStats {
  readonly paths: number;
  readonly files: number;
  readonly bytes: number;
  /** On-the-fly compressions made since the cache was created. */
  readonly compressions: number;
  /** Hits revalidated (resolved and stated again) since the cache was created. */
  readonly revalidations: number;
  /** Revalidations that also compared bytes (files not yet settled). */
  readonly comparisons: number;
}

/**
 * A bounded, least-recently-used cache of small files, revalidated by every hit that arrived
 * after its last revalidation.
 */
export class FileCache {
  readonly #paths = new Map<string, PathEntry>();
  readonly #files = new Map<string, FileEntry>();
  readonly #maxFileBytes: number;
  readonly #maxTotalBytes: number;
  readonly #maxPaths: number;
  readonly #maxCompressions: number;
  readonly #arrivals: Arrivals | null;
  readonly #now: () => number;
  /** The file entry behind each identity representation held, for its encodings. */
  readonly #owners = new WeakMap<Representation, FileEntry>();
  /** Sidecars read before they settled ({@linkcode isSettled}): served, never remembered. */
  readonly #unsettledSidecars = new WeakSet<Representation>();
  #totalBytes = 0;
  #compressions = 0;
  #compressed = 0;
  #revalidations = 0;
  #comparisons = 0;

  /** @param options Size and count bounds. */
  constructor(options: FileCacheOptions = {}) {
    this.#maxFileBytes = options.maxFileBytes ?? MAX_CACHED_FILE_BYTES;
    this.#maxTotalBytes = options.maxTotalBytes ?? MAX_CACHE_BYTES;
    this.#maxPaths = options.maxPaths ?? MAX_CACHE_PATHS;
    this.#maxCompressions = options.maxCompressions ?? MAX_CONCURRENT_COMPRESSIONS;
    this.#arrivals = options.arrivals ?? null;
    this.#now = options.now ?? Date.now;
  }

  /** Counts of what is held. */
  get stats(): CacheStats {
    return {
      paths: this.#paths.size,
      files: this.#files.size,
      bytes: this.#totalBytes,
      compressions: this.#compressed,
      revalidations: this.#revalidations,
      comparisons: this.#comparisons,
    };
  }

  /**
   * Returns the cached file for a request path if the file at its path is still the same one:
   * revalidated unless it already was after the request arrived (see the module comment).
   *
   * @param key The normalised request path.
   * @returns The representation (in memory), or null.
   */
  lookup(key: string): Representation | null {
    const entry = this.#paths.get(key);
    if (entry === undefined) return null;
    const arrivals = this.#arrivals;
    if (arrivals === null || entry.checkedAt !== arrivals.count) {
      if (!this.#revalidate(entry)) {
        this.#dropPath(key, entry);
        return null;
      }
      if (arrivals !== null) entry.checkedAt = arrivals.count;
    }
    // Re-insert to mark it most recently used (Map keeps insertion order).
    this.#paths.delete(key);
    this.#paths.set(key, entry);
    return entry.representation;
  }

  /**
   * Whether a path still leads where it led, to the same file, with the same sidecar names and,
   * for a file not yet settled, the same bytes. The calls are synchronous on purpose: they hit
   * the kernel's dentry, inode and page caches, far cheaper than asynchronous round trips through
   * the runtime's thread pool.
   */
  #revalidate(entry: PathEntry): boolean {
    this.#revalidations++;
    let info: Deno.FileInfo;
    try {
      if (Deno.realPathSync(entry.candidate) !== entry.realPath) return false;
      info = Deno.statSync(entry.realPath);
    } catch {
      return false;
    }
    const { file } = entry;
    if (!sameIdentity(file.identity, infoIdentity(info))) return false;
    if (entry.sidecars !== undefined && !entry.sidecars.watches.every(watchHolds)) return false;
    if (file.settled) return true;
    this.#comparisons++;
    const at = this.#now();
    if (!holdsBytes(entry.realPath, file.bytes)) return false;
    file.settled = isSettled(file.identity, at);
    return true;
  }

  /**
   * Takes a file the opener proved: small files are read whole, remembered and returned from
   * memory (the file is closed); larger ones are returned open for streaming.
   *
   * @param key The normalised request path.
   * @param realPath The real path the resolver found.
   * @param candidate The path the URL named, re-resolved on later hits.
   * @param file The proven open file; this call owns it from now on.
   * @param confirm Asked once the bytes are read, before they are kept or served: false means
   *   the proof no longer holds (used by the weaker `identity` confinement). @default always true
   * @returns The representation, or null when the file shrank while being read or the proof was
   *   not confirmed.
   */
  async admit(
    key: string,
    realPath: string,
    candidate: string,
    file: OpenFile,
    confirm: () => boolean = () => true,
  ): Promise<Representation | null> {
    const { stat } = file;
    if (stat.size > this.#maxFileBytes) {
      return describeFile(realPath, stat, { kind: "file", file });
    }
    const identity = identityOf(stat);
    const fileKey = `${stat.dev}:${stat.ino}`;
    let entry = this.#heldFile(fileKey, identity);
    if (entry?.settled) {
      file.close();
    } else {
      const bytes = new Uint8Array(stat.size);
      try {
        await file.readExactly(bytes, 0);
      } catch (error) {
        // The file shrank while being read: serve nothing from this attempt.
        if (error instanceof ShortReadError) return null;
        throw error;
      } finally {
        file.close();
      }
      if (!confirm()) return null;
      entry = this.#heldFile(fileKey, identity);
      if (entry === undefined) {
        entry = {
          key: fileKey,
          identity,
          bytes,
          byType: new Map(),
          encoded: new Map(),
          compressing: new Map(),
          paths: 0,
          cost: bytes.length + CACHE_ENTRY_OVERHEAD_BYTES,
          settled: isSettled(identity, file.openedAt),
        };
        this.#files.set(fileKey, entry);
        this.#totalBytes += entry.cost;
      } else if (!entry.settled) {
        // Held, but read before the file settled: the copy stands only if the bytes are the same.
        // If not, the file changed under unchanged times; its paths find out when revalidated.
        if (!equalBytes(entry.bytes, bytes)) {
          return describeFile(realPath, stat, { kind: "memory", bytes });
        }
        entry.settled = isSettled(identity, file.openedAt);
      }
    }
    const type = contentTypeFor(realPath);
    let representation = entry.byType.get(type);
    if (representation === undefined) {
      representation = {
        ...describeFile(realPath, stat, { kind: "memory", bytes: entry.bytes }),
        wire: new WireCache(),
      };
      entry.byType.set(type, representation);
      this.#owners.set(representation, entry);
      const cost = representationCost(stat.size);
      entry.cost += cost;
      this.#totalBytes += cost;
    }
    this.#insertPath(key, {
      candidate,
      realPath,
      file: entry,
      representation,
      cost: CACHE_ENTRY_OVERHEAD_BYTES + 2 * (key.length + candidate.length + realPath.length),
      checkedAt: NEVER,
    });
    return representation;
  }

  /**
   * Returns a held file in a coding, compressing its bytes once per version of the file: the
   * result stays beside the identity bytes (same budget, dropped with them) for every later
   * request. A representation the cache does not hold (its file was dropped meanwhile) is
   * compressed for this response alone.
   *
   * @param identity An identity representation in memory, from {@linkcode lookup} or
   *   {@linkcode admit}.
   * @param coding The coding wanted.
   * @param force Compress even when {@linkcode MAX_CONCURRENT_COMPRESSIONS} are running (for a
   *   request that refuses identity). @default false
   * @returns The coded representation (synchronously once made), or null when the compressions
   *   allowed at once are already running.
   */
  encode(
    identity: Representation,
    coding: ContentCoding,
    force = false,
  ): Representation | Promise<Representation> | null {
    const entry = this.#owners.get(identity);
    if (entry !== undefined) {
      const held = this.#heldEncoding(entry, identity, coding);
      if (held !== null) return held;
      const pending = entry.compressing.get(coding);
      if (pending !== undefined) {
        return pending.then((out) => this.#keep(entry, identity, coding, out));
      }
    }
    if (!force && this.#compressions >= this.#maxCompressions) return null;
    if (identity.source.kind !== "memory") throw new Error("Only bytes in memory are encoded");
    this.#compressions++;
    this.#compressed++;
    const compressing = compressBytes(identity.source.bytes, coding).finally(() => {
      this.#compressions--;
      entry?.compressing.delete(coding);
    });
    if (entry === undefined) {
      return compressing.then((out) => describeEncoded(identity, coding, out));
    }
    entry.compressing.set(coding, compressing);
    return compressing.then((out) => this.#keep(entry, identity, coding, out));
  }

  /** The coded representation of a file's encoded bytes for a media type, if encoded yet. */
  #heldEncoding(
    entry: FileEntry,
    identity: Representation,
    coding: ContentCoding,
  ): Representation | null {
    const typeKey = `${identity.contentType}\n${coding}`;
    const held = entry.byType.get(typeKey);
    if (held !== undefined) return held;
    const bytes = entry.encoded.get(coding);
    if (bytes === undefined) return null;
    const representation = describeEncoded(identity, coding, bytes);
    entry.byType.set(typeKey, representation);
    this.#charge(entry, representationCost(bytes.length));
    return representation;
  }

  /** Keeps freshly compressed bytes beside the file's, while the file is still held. */
  #keep(
    entry: FileEntry,
    identity: Representation,
    coding: ContentCoding,
    out: Uint8Array,
  ): Representation {
    // A dropped entry is no longer revalidated: its encodings would never be checked again.
    if (this.#files.get(entry.key) !== entry) return describeEncoded(identity, coding, out);
    if (!entry.encoded.has(coding)) {
      entry.encoded.set(coding, out);
      this.#charge(entry, out.length + CACHE_ENTRY_OVERHEAD_BYTES);
    }
    return this.#heldEncoding(entry, identity, coding) ?? describeEncoded(identity, coding, out);
  }

  /** Charges more bytes to a held file and evicts what the budget no longer fits. */
  #charge(entry: FileEntry, bytes: number): void {
    if (this.#files.get(entry.key) !== entry) return;
    entry.cost += bytes;
    this.#totalBytes += bytes;
    this.#evict();
  }

  /**
   * Reads a sidecar the router found fresh and proven: small ones whole into memory (the file is
   * closed), larger ones stay open for streaming. Nothing is remembered until
   * {@linkcode attachSidecars}.
   *
   * @param originalPath The real path of the file it encodes (its extension gives the type).
   * @param file The sidecar, opened and proven; this call owns it from now on.
   * @param coding Its coding.
   * @param confirm As for {@linkcode admit}.
   * @returns The representation, or null when the sidecar shrank or the proof was not confirmed.
   */
  async readSidecar(
    originalPath: string,
    file: OpenFile,
    coding: ContentCoding,
    confirm: () => boolean = () => true,
  ): Promise<Representation | null> {
    const { stat } = file;
    if (stat.size > this.#maxFileBytes) {
      return describeSidecar(originalPath, stat, coding, { kind: "file", file });
    }
    const bytes = new Uint8Array(stat.size);
    try {
      await file.readExactly(bytes, 0);
    } catch (error) {
      if (error instanceof ShortReadError) return null;
      throw error;
    } finally {
      file.close();
    }
    if (!confirm()) return null;
    const representation = {
      ...describeSidecar(originalPath, stat, coding, { kind: "memory", bytes }),
      wire: new WireCache(),
    };
    if (!isSettled(identityOf(stat), file.openedAt)) this.#unsettledSidecars.add(representation);
    return representation;
  }

  /**
   * Returns the fresh sidecars recorded for a path, once {@linkcode lookup} has returned its file.
   *
   * @param key The normalised request path.
   * @returns The sidecars by coding, or null when the path has not been probed.
   */
  sidecars(key: string): ReadonlyMap<ContentCoding, Representation> | null {
    return this.#paths.get(key)?.sidecars?.served ?? null;
  }

  /**
   * Records what stands beside a held path's file where its sidecars would be: the sidecars
   * served (held in memory with the path, under the same budget) and the names watched (absent,
   * stale or refused, as {@linkcode watchPath} saw them before the probe). Revalidations check
   * every one. Nothing is recorded when the path is no longer held for this representation, or
   * a served sidecar is not in memory or changed too recently for its times to vouch for it
   * (such a path takes the full path on every request).
   *
   * @param key The normalised request path.
   * @param identity The representation the path was admitted with.
   * @param served Fresh sidecars, proven and read.
   * @param watched Names looked at that serve nothing.
   */
  attachSidecars(
    key: string,
    identity: Representation,
    served: readonly ServedSidecar[],
    watched: readonly PathWatch[],
  ): void {
    const entry = this.#paths.get(key);
    if (entry === undefined || entry.representation !== identity) return;
    // Such a path takes the full path on every request (a large sidecar is streamed; one that
    // changed moments ago is read again until it settles).
    if (
      served.some((s) =>
        s.representation.source.kind !== "memory" || this.#unsettledSidecars.has(s.representation)
      )
    ) return;
    const watches = [
      ...watched,
      ...served.map((s) => ({
        candidate: s.candidate,
        realPath: s.realPath,
        identity: identityOf(s.stat),
      })),
    ];
    let cost = entry.cost;
    for (const s of served) cost += codedCost(s.representation.size);
    for (const w of watches) cost += 2 * (w.candidate.length + (w.realPath?.length ?? 0));
    this.#insertPath(key, {
      ...entry,
      sidecars: { served: new Map(served.map((s) => [s.coding, s.representation])), watches },
      cost,
      // The names were looked at during the probe: the next hit checks them all once.
      checkedAt: NEVER,
    });
  }

  /** The file held under a key if it is the same version (by its times); a stale one is dropped. */
  #heldFile(fileKey: string, identity: Identity): FileEntry | undefined {
    const entry = this.#files.get(fileKey);
    if (entry === undefined || sameIdentity(entry.identity, identity)) return entry;
    this.#dropFile(entry);
    return undefined;
  }

  #insertPath(key: string, entry: PathEntry): void {
    // Counted first, so replacing a path to the same file never drops the file in between.
    entry.file.paths++;
    const old = this.#paths.get(key);
    if (old) this.#dropPath(key, old);
    this.#paths.set(key, entry);
    this.#totalBytes += entry.cost;
    this.#evict();
  }

  /** Drops least recently used paths until the budget and the path count fit. */
  #evict(): void {
    for (const [oldest, victim] of this.#paths) {
      if (this.#totalBytes <= this.#maxTotalBytes && this.#paths.size <= this.#maxPaths) break;
      this.#dropPath(oldest, victim);
    }
  }

  #dropPath(key: string, entry: PathEntry): void {
    if (this.#paths.get(key) !== entry) return;
    this.#paths.delete(key);
    this.#totalBytes -= entry.cost;
    if (--entry.file.paths === 0) this.#dropFile(entry.file);
  }

  #dropFile(entry: FileEntry): void {
    if (this.#files.get(entry.key) !== entry) return;
    this.#files.delete(entry.key);
    this.#totalBytes -= entry.cost;
  }
}
