/**
 * The hot-file cache: small files held in memory so the common request costs a `realpath` and a
 * `stat` instead of resolving, opening, proving, reading and closing.
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
 * Every hit resolves `candidate` again and stats the result; any difference (the file was
 * rewritten, replaced, moved, renamed, re-permissioned, deleted, or a link or folder on the way
 * now leads elsewhere) drops the path and the request takes the full resolver path again.
 *
 * @module
 */

import {
  CACHE_ENTRY_OVERHEAD_BYTES,
  MAX_CACHE_BYTES,
  MAX_CACHE_PATHS,
  MAX_CACHED_FILE_BYTES,
} from "../limits.ts";
import { ShortReadError } from "../io/full_io.ts";
import type { FileStat, OpenFile } from "./opener.ts";
import { describeFile, type Representation, WireCache } from "./representation.ts";
import { contentTypeFor } from "../http/media_types.ts";

/** The identity a cached answer depends on. */
interface Identity {
  readonly dev: number;
  readonly ino: number | null;
  readonly size: number;
  readonly mtimeMs: number | null;
  /** Change time: moves, renames and permission changes update it, not just writes. */
  readonly ctimeMs: number | null;
}

/** One file's bytes and its representations by media type. */
interface FileEntry {
  readonly key: string;
  readonly identity: Identity;
  readonly bytes: Uint8Array;
  readonly byType: Map<string, Representation>;
  /** Paths that lead here. */
  paths: number;
  /** Bytes charged to the budget. */
  cost: number;
}

/** One request path and the file it led to. */
interface PathEntry {
  readonly candidate: string;
  readonly realPath: string;
  readonly file: FileEntry;
  readonly representation: Representation;
  readonly cost: number;
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

/** A representation costs its prebuilt 200 responses (keep-alive and close: head and body). */
function representationCost(size: number): number {
  return 2 * (size + CACHE_ENTRY_OVERHEAD_BYTES);
}

/** Options for {@linkcode FileCache}. */
export interface FileCacheOptions {
  /** Largest file kept in memory. @default MAX_CACHED_FILE_BYTES */
  readonly maxFileBytes?: number;
  /** Most bytes kept in memory in all, overheads included. @default MAX_CACHE_BYTES */
  readonly maxTotalBytes?: number;
  /** Most request paths remembered. @default MAX_CACHE_PATHS */
  readonly maxPaths?: number;
}

/** What the cache holds, for tests and diagnostics. */
export interface CacheStats {
  readonly paths: number;
  readonly files: number;
  readonly bytes: number;
}

/** A bounded, least-recently-used cache of small files, revalidated on every hit. */
export class FileCache {
  readonly #paths = new Map<string, PathEntry>();
  readonly #files = new Map<string, FileEntry>();
  readonly #maxFileBytes: number;
  readonly #maxTotalBytes: number;
  readonly #maxPaths: number;
  #totalBytes = 0;

  /** @param options Size and count bounds. */
  constructor(options: FileCacheOptions = {}) {
    this.#maxFileBytes = options.maxFileBytes ?? MAX_CACHED_FILE_BYTES;
    this.#maxTotalBytes = options.maxTotalBytes ?? MAX_CACHE_BYTES;
    this.#maxPaths = options.maxPaths ?? MAX_CACHE_PATHS;
  }

  /** Counts of what is held. */
  get stats(): CacheStats {
    return { paths: this.#paths.size, files: this.#files.size, bytes: this.#totalBytes };
  }

  /**
   * Returns the cached file for a request path if the file at its path is still the same one.
   *
   * Both calls are synchronous on purpose: they hit the kernel's dentry and inode caches and
   * cost about a microsecond each, far less than an asynchronous round trip through the
   * runtime's thread pool.
   *
   * @param key The normalised request path.
   * @returns The representation (in memory), or null.
   */
  lookup(key: string): Representation | null {
    const entry = this.#paths.get(key);
    if (entry === undefined) return null;
    let info: Deno.FileInfo;
    try {
      if (Deno.realPathSync(entry.candidate) !== entry.realPath) {
        this.#dropPath(key, entry);
        return null;
      }
      info = Deno.statSync(entry.realPath);
    } catch {
      this.#dropPath(key, entry);
      return null;
    }
    if (!sameIdentity(entry.file.identity, infoIdentity(info))) {
      this.#dropPath(key, entry);
      return null;
    }
    // Re-insert to mark it most recently used (Map keeps insertion order).
    this.#paths.delete(key);
    this.#paths.set(key, entry);
    return entry.representation;
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
    let entry = this.#files.get(fileKey);
    if (entry !== undefined && !sameIdentity(entry.identity, identity)) {
      this.#dropFile(entry);
      entry = undefined;
    }
    if (entry === undefined) {
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
      entry = {
        key: fileKey,
        identity,
        bytes,
        byType: new Map(),
        paths: 0,
        cost: bytes.length + CACHE_ENTRY_OVERHEAD_BYTES,
      };
      this.#files.set(fileKey, entry);
      this.#totalBytes += entry.cost;
    } else {
      file.close();
    }
    const type = contentTypeFor(realPath);
    let representation = entry.byType.get(type);
    if (representation === undefined) {
      representation = {
        ...describeFile(realPath, stat, { kind: "memory", bytes: entry.bytes }),
        wire: new WireCache(),
      };
      entry.byType.set(type, representation);
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
    });
    return representation;
  }

  #insertPath(key: string, entry: PathEntry): void {
    const old = this.#paths.get(key);
    if (old) this.#dropPath(key, old);
    this.#paths.set(key, entry);
    entry.file.paths++;
    this.#totalBytes += entry.cost;
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
