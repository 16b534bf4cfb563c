/**
 * The hot-file cache: small files held in memory so the common request costs one `stat`
 * instead of realpath, stat, open, fstat, read and close.
 *
 * An entry is keyed by the request's normalised path and remembers the path the URL named
 * (`candidate`, symlinks unresolved), the real path the resolver confined it to, and the
 * identity of the file there (device, inode, size, modification and change times). Every hit
 * resolves `candidate` again and stats the result; any difference (the file was rewritten,
 * replaced, moved, renamed, re-permissioned, deleted, or a symlink or folder on the way now
 * leads elsewhere) drops the entry and the request takes the full resolver path again. So a
 * changed file is never served stale, and confinement is never skipped: the cache only repeats
 * answers the resolver gave for exactly the same file at exactly the same real path.
 *
 * @module
 */

import { MAX_CACHE_BYTES, MAX_CACHED_FILE_BYTES } from "./limits.ts";
import { describeFile, openFile, type Representation, WireCache } from "./responder.ts";

/** The identity a cached answer depends on. */
interface Identity {
  readonly dev: number;
  readonly ino: number | null;
  readonly size: number;
  readonly mtimeMs: number | null;
  /** Change time: moves, renames and permission changes update it, not just writes. */
  readonly ctimeMs: number | null;
}

interface Entry {
  readonly candidate: string;
  readonly realPath: string;
  readonly identity: Identity;
  readonly representation: Representation;
}

/** The result of {@linkcode FileCache.open}. */
export type Opened =
  | { readonly kind: "open"; readonly representation: Representation }
  | { readonly kind: "not-found" }
  | { readonly kind: "forbidden" };

function identityOf(info: Deno.FileInfo): Identity {
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

/** Options for {@linkcode FileCache}. */
export interface FileCacheOptions {
  /** Largest file kept in memory. @default MAX_CACHED_FILE_BYTES */
  readonly maxFileBytes?: number;
  /** Most bytes kept in memory in all. @default MAX_CACHE_BYTES */
  readonly maxTotalBytes?: number;
}

/** A bounded, least-recently-used cache of small files, revalidated by stat on every hit. */
export class FileCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxFileBytes: number;
  readonly #maxTotalBytes: number;
  #totalBytes = 0;

  /** @param options Size bounds. */
  constructor(options: FileCacheOptions = {}) {
    this.#maxFileBytes = options.maxFileBytes ?? MAX_CACHED_FILE_BYTES;
    this.#maxTotalBytes = options.maxTotalBytes ?? MAX_CACHE_BYTES;
  }

  /**
   * Returns the cached file for a key if the file at its path is still the same one.
   *
   * Both calls are synchronous on purpose: they hit the kernel's dentry and inode caches and
   * cost about a microsecond each, far less than an asynchronous round trip through the
   * runtime's thread pool.
   *
   * @param key The normalised request path.
   * @returns The representation (in memory), or null.
   */
  lookup(key: string): Representation | null {
    const entry = this.#entries.get(key);
    if (entry === undefined) return null;
    let info: Deno.FileInfo;
    try {
      if (Deno.realPathSync(entry.candidate) !== entry.realPath) {
        this.#drop(key, entry);
        return null;
      }
      info = Deno.statSync(entry.realPath);
    } catch {
      this.#drop(key, entry);
      return null;
    }
    if (!sameIdentity(entry.identity, identityOf(info))) {
      this.#drop(key, entry);
      return null;
    }
    // Re-insert to mark it most recently used (Map keeps insertion order).
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.representation;
  }

  /**
   * Opens a file the resolver found; small files are read whole, remembered, and returned from
   * memory, larger ones are returned open for streaming.
   *
   * @param key The normalised request path.
   * @param path The real path.
   * @param candidate The path the URL named, re-stat-ed on later hits.
   * @returns The representation, or why the file cannot be opened.
   */
  async open(key: string, path: string, candidate: string): Promise<Opened> {
    const opened = await openFile(path);
    if (opened.kind !== "open") return opened;
    const { representation, info } = opened;
    if (info.size > this.#maxFileBytes || representation.source.kind !== "file") {
      return { kind: "open", representation };
    }
    const file = representation.source.file;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(info.size);
      let filled = 0;
      while (filled < bytes.length) {
        const n = await file.read(bytes.subarray(filled));
        if (n === null) break;
        filled += n;
      }
      // The file shrank while being read: serve nothing from this attempt.
      if (filled < bytes.length) return { kind: "not-found" };
    } finally {
      file.close();
    }
    const inMemory = {
      ...describeFile(path, info, { kind: "memory", bytes }),
      wire: new WireCache(),
    };
    this.#insert(key, {
      candidate,
      realPath: path,
      identity: identityOf(info),
      representation: inMemory,
    });
    return { kind: "open", representation: inMemory };
  }

  #insert(key: string, entry: Entry): void {
    const old = this.#entries.get(key);
    if (old) this.#drop(key, old);
    this.#entries.set(key, entry);
    this.#totalBytes += entry.representation.size;
    for (const [oldest, victim] of this.#entries) {
      if (this.#totalBytes <= this.#maxTotalBytes) break;
      this.#drop(oldest, victim);
    }
  }

  #drop(key: string, entry: Entry): void {
    if (this.#entries.get(key) !== entry) return;
    this.#entries.delete(key);
    this.#totalBytes -= entry.representation.size;
  }
}
