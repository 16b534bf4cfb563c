/**
 * The file opener: the one place sockserve opens what it serves, and proves that what it opened
 * lies inside the root.
 *
 * The resolver finds a real path inside the root, but between that check and the open, anyone
 * who can write inside the root can swap a directory or a file for a symlink to somewhere else
 * (`renameat2(RENAME_EXCHANGE)` makes the swap atomic). So the check that counts is made on the
 * file actually opened:
 *
 * 1. open without following a final symlink and without blocking (`O_NOFOLLOW | O_NONBLOCK`: a
 *    FIFO swapped in cannot hold a thread), then `fstat` the open file: anything but a regular
 *    file is refused;
 * 2. prove where the open file is, by one of three {@linkcode Confinement} strategies:
 *    - `kernel` (Linux with every Deno permission): `readlink("/proc/self/fd/N")` is the
 *      kernel's own record of the file's path, so the check cannot race;
 *    - `supervisor` (Linux, serving isolate with scoped permissions): the supervisor isolate,
 *      which holds the permissions `kernel` needs, opens the same path, reads the kernel's path
 *      of what it opened, and answers with that file's identity (device, inode) if it is
 *      inside; the serving isolate's open file must have the same identity. Its own open keeps
 *      the inode alive, so an equal identity is the same file;
 *    - `identity` (other systems, or scoped permissions without a supervisor): the open file's
 *      identity must equal what a fresh resolution of the same path finds inside the root. This
 *      holds against symlinks that stay put; against a writer racing renames it narrows the
 *      window but cannot close it, which is why sockserve on Linux runs supervised.
 *
 * Directories for listings follow the same rule: under `kernel`, entries are read through the
 * open directory (`/proc/self/fd/N/name`), so a swap after the check changes nothing.
 *
 * @module
 */

import fs from "node:fs";
import { readExactly } from "../io/full_io.ts";
import { classifyFsError, type Refusal } from "./fs_errors.ts";
import { hasAllPermissions, IS_WINDOWS, SEP } from "../platform.ts";
import { isHiddenName, relativeInside, type Root } from "./resolver.ts";

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY, O_NOCTTY } = fs.constants;

/**
 * Linux's O_PATH: a handle on a name that does not open the file itself, so naming a FIFO or a
 * device through it has no side effect. Used only where the kernel strategy runs (Linux).
 */
const O_PATH = 0o10000000;

/** Flags for opening a file to serve: read-only, never a final symlink, never blocking. */
const FILE_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | (O_NOCTTY ?? 0);

/** How sockserve proves that an open file lies inside the root (see the module comment). */
export type Confinement = "kernel" | "supervisor" | "identity";

/** What sockserve needs to know about an open file. */
export interface FileStat {
  readonly size: number;
  readonly mtimeMs: number | null;
  readonly ctimeMs: number | null;
  readonly dev: number;
  readonly ino: number | null;
}

/** Where a supervisor found a path: the identity of the file there, if it is inside the root. */
export type Located =
  | { readonly kind: "found"; readonly dev: number; readonly ino: number }
  | Refusal;

/** The supervisor's side of the `supervisor` strategy, as the serving isolate sees it. */
export interface Supervisor {
  /** Opens `path` with the kernel strategy and says what is there. */
  locate(path: string): Promise<Located>;
  /** Reads a directory for a listing with the kernel strategy. */
  list(path: string, segments: readonly string[]): Promise<ListingResult>;
}

/** One listed entry. */
export interface ListingEntry {
  readonly name: string;
  readonly directory: boolean;
  /** Bytes for files; 0 for directories. */
  readonly size: number;
  readonly modifiedMs: number | null;
}

/** A listed directory. */
export interface Listing {
  /** Decoded URL path segments of the directory ([] for the root). */
  readonly segments: readonly string[];
  /** Entries, directories first, then by name. */
  readonly entries: readonly ListingEntry[];
  /** Whether entries were left out (more than the listing limit). */
  readonly truncated: boolean;
}

/** A listing, or why the directory cannot be listed. */
export type ListingResult =
  | { readonly kind: "listing"; readonly listing: Listing }
  | Refusal;

/** The result of opening a file to serve. */
export type Opened =
  | { readonly kind: "open"; readonly file: OpenFile }
  | Refusal;

/**
 * A regular file opened for reading and proven to lie inside the root. Reads are positional
 * (`pread`), so one open file can serve several ranges without seeking.
 */
export class OpenFile {
  /** The file's descriptor (a node:fs descriptor of this isolate). */
  readonly fd: number;
  /** Its fstat, taken through the descriptor. */
  readonly stat: FileStat;
  /** `Date.now()` just before it was opened: the fstat came later (the cache's settle rule). */
  readonly openedAt: number;
  #closed = false;

  /**
   * @param fd An open descriptor.
   * @param stat Its fstat.
   * @param openedAt The wall clock before the open.
   */
  constructor(fd: number, stat: FileStat, openedAt: number) {
    this.fd = fd;
    this.stat = stat;
    this.openedAt = openedAt;
  }

  /**
   * Reads into `buf` from `position`.
   *
   * @param buf Where to put the bytes.
   * @param position Offset in the file.
   * @returns Bytes read; 0 at the end of the file.
   */
  read(buf: Uint8Array, position: number): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.read(this.fd, buf, 0, buf.length, position, (error, n) => {
        if (error) reject(error);
        else resolve(n);
      });
    });
  }

  /**
   * Fills `buf` from `position`, or throws if the file ends first (it shrank meanwhile).
   *
   * @param buf Where to put the bytes.
   * @param position Offset in the file.
   */
  readExactly(buf: Uint8Array, position: number): Promise<void> {
    return readExactly((target, filled) => this.read(target, position + filled), buf);
  }

  /** Closes the descriptor; later calls do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      // Nothing useful to do: the descriptor is gone either way.
    }
  }

  /** Closes the descriptor (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Decides which strategy this isolate can use: `kernel` when it can read the kernel's path of an
 * open descriptor (Linux, all permissions), else `identity`. The `supervisor` strategy is chosen
 * by whoever starts a serving isolate with a {@linkcode Supervisor}.
 *
 * @param root The served root.
 * @returns The strongest strategy available here without a supervisor.
 */
export function detectConfinement(root: Root): Confinement {
  // /proc is readable only with every permission; asking for it otherwise would be refused.
  if (Deno.build.os !== "linux" || !hasAllPermissions()) return "identity";
  let fd: number | null = null;
  try {
    fd = fs.openSync(root.realPath, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
    return kernelPath(fd) === root.realPath ? "kernel" : "identity";
  } catch {
    return "identity";
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** Returns the kernel's record of where an open descriptor's file is (Linux). */
function kernelPath(fd: number): string {
  return Deno.readLinkSync(`/proc/self/fd/${fd}`);
}

/**
 * Decides whether a real path may be served: inside the root, and not under a dot-name unless
 * dotfiles are served (a symlink must not expose what the URL could not name).
 *
 * @param root The served root.
 * @param path An absolute real path.
 * @returns `inside`, or `hidden` or `outside` (both answered as not-found: a different answer
 *   for outside names would tell which of them exist).
 */
export function placeOf(root: Root, path: string): "inside" | "hidden" | "outside" {
  const relative = relativeInside(root.realPath, path);
  if (relative === null) return "outside";
  if (!root.dotfiles && relative !== "" && relative.split(SEP).some(isHiddenName)) {
    return "hidden";
  }
  return "inside";
}

/** Options for {@linkcode openInside}. */
export interface OpenOptions {
  /** How to prove where the open file is. */
  readonly confinement: Confinement;
  /** Required for the `supervisor` strategy. */
  readonly supervisor?: Supervisor;
}

/**
 * Opens a file the resolver found, for serving: refuses anything but a regular file inside the
 * root, proven on the open file itself (see the module comment).
 *
 * @param root The served root.
 * @param path The real path from the resolver.
 * @param options The confinement strategy.
 * @returns The open file, or why not; unexpected errors are thrown (→ 500).
 */
export async function openInside(
  root: Root,
  path: string,
  options: OpenOptions,
): Promise<Opened> {
  const openedAt = Date.now();
  let fd: number;
  try {
    fd = await openFd(path, FILE_FLAGS);
  } catch (error) {
    return classifyFsError(error);
  }
  let keep = false;
  try {
    const stat = fstat(fd, options.confinement);
    if (!stat.isFile) return { kind: "forbidden" }; // a FIFO, device or socket swapped in
    const place = await proveInside(root, path, fd, stat, options);
    if (place !== "inside") return { kind: "not-found" };
    keep = true;
    return { kind: "open", file: new OpenFile(fd, stat, openedAt) };
  } catch (error) {
    return classifyFsError(error);
  } finally {
    if (!keep) closeQuietly(fd);
  }
}

/** Runs the strategy's proof for an open regular file. */
async function proveInside(
  root: Root,
  path: string,
  fd: number,
  stat: FileStat,
  options: OpenOptions,
): Promise<"inside" | "hidden" | "outside"> {
  switch (options.confinement) {
    case "kernel":
      return placeOf(root, kernelPath(fd));
    case "supervisor": {
      if (options.supervisor === undefined) throw new Error("No supervisor to confine opens");
      const found = await options.supervisor.locate(path);
      if (found.kind === "busy") {
        throw Object.assign(new Error("Supervisor busy"), { code: "EMFILE" });
      }
      if (found.kind !== "found") return "outside";
      return found.dev === stat.dev && found.ino === stat.ino ? "inside" : "outside";
    }
    case "identity":
      return identityPlace(root, path, stat);
  }
}

/**
 * The `identity` proof: the path must be inside and real (no link on the way), and name the very
 * file that was opened. Path checks cannot pin a moment, so they alternate (lstat, realpath,
 * lstat): a swapper must flip the path between each of them to pass a file from elsewhere.
 */
function identityPlace(root: Root, path: string, stat: FileStat): "inside" | "hidden" | "outside" {
  const place = placeOf(root, path);
  if (place !== "inside") return place;
  const same = () => {
    const now = Deno.lstatSync(path);
    return now.isFile && now.dev === stat.dev && now.ino === stat.ino;
  };
  return same() && Deno.realPathSync(path) === path && same() ? "inside" : "outside";
}

/**
 * Repeats the `identity` proof for a file already read (see {@linkcode OpenFile}): under that
 * strategy the cache takes bytes only if the path still names the same file afterwards.
 *
 * @param root The served root.
 * @param path The real path the file was opened by.
 * @param stat The open file's fstat.
 * @returns Whether the proof still holds.
 */
export function stillInside(root: Root, path: string, stat: FileStat): boolean {
  try {
    return identityPlace(root, path, stat) === "inside";
  } catch {
    return false;
  }
}

/**
 * The supervisor's answer to {@linkcode Supervisor.locate}: opens the path without opening the
 * file itself (`O_PATH`), reads the kernel's path of what it reached and, if that is a regular
 * file inside the root, returns its identity. Needs every Deno permission (Linux).
 *
 * @param root The served root.
 * @param path A path the serving isolate opened.
 * @returns The identity of the file there, or why not.
 */
export function locateInside(root: Root, path: string): Located {
  // A path that does not even name a place inside the root is not opened at all.
  if (placeOf(root, path) === "outside") return { kind: "not-found" };
  let fd: number;
  try {
    fd = fs.openSync(path, O_PATH);
  } catch (error) {
    return classifyFsError(error);
  }
  try {
    if (placeOf(root, kernelPath(fd)) !== "inside") return { kind: "not-found" };
    const info = Deno.statSync(`/proc/self/fd/${fd}`);
    if (!info.isFile || info.ino === null) return { kind: "forbidden" };
    return { kind: "found", dev: info.dev, ino: info.ino };
  } catch (error) {
    return classifyFsError(error);
  } finally {
    closeQuietly(fd);
  }
}

/** What a listing needs from a directory, whichever strategy reads it. */
export interface DirSource {
  /** The directory's entries (names and types, without following links). */
  entries(): AsyncIterable<Deno.DirEntry>;
  /**
   * Whether a link leads to a directory (true), a file (false) or neither (null): only to order
   * entries; nothing of it is shown before {@linkcode DirSource.describe} proves the target.
   */
  isDirectory(name: string): boolean | null;
  /**
   * Describes an entry if a request for it could succeed: a regular file or directory, inside
   * the root, not hidden behind a link; null otherwise.
   */
  describe(name: string): ListingEntry | null;
  /** Releases the directory. */
  close(): void;
}

/**
 * Opens a directory for listing, proven inside the root like a file.
 *
 * @param root The served root.
 * @param path The directory's real path from the resolver.
 * @param confinement `kernel` reads through the open directory; otherwise by path, re-checked.
 * @returns The source, or why the directory cannot be listed.
 */
export function openDirectoryInside(
  root: Root,
  path: string,
  confinement: Exclude<Confinement, "supervisor">,
): DirSource | Refusal {
  if (confinement === "identity") return pathDirSource(root, path);
  let fd: number;
  try {
    fd = fs.openSync(path, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
  } catch (error) {
    return classifyFsError(error);
  }
  try {
    if (placeOf(root, kernelPath(fd)) !== "inside") {
      closeQuietly(fd);
      return { kind: "not-found" };
    }
  } catch (error) {
    closeQuietly(fd);
    return classifyFsError(error);
  }
  const base = `/proc/self/fd/${fd}/`;
  return {
    entries: () => Deno.readDir(`/proc/self/fd/${fd}`),
    isDirectory: (name) => kindOf(base + name),
    describe(name) {
      let info: Deno.FileInfo;
      try {
        // lstat through the open directory: a name swapped for a link is seen as a link.
        info = Deno.lstatSync(base + name);
      } catch {
        return null; // gone meanwhile
      }
      if (info.isSymlink) return describeLink(root, base + name, name);
      return entryOf(name, info);
    },
    close: () => closeQuietly(fd),
  };
}

/** Follows a listed symlink under the kernel strategy, proving where it leads. */
function describeLink(root: Root, linkPath: string, name: string): ListingEntry | null {
  let fd: number;
  try {
    fd = fs.openSync(linkPath, O_PATH);
  } catch {
    return null;
  }
  try {
    if (placeOf(root, kernelPath(fd)) !== "inside") return null;
    return entryOf(name, Deno.statSync(`/proc/self/fd/${fd}`));
  } catch {
    return null;
  } finally {
    closeQuietly(fd);
  }
}

/** A directory read by path (the `identity` strategy): each entry is resolved and confined. */
function pathDirSource(root: Root, path: string): DirSource | Refusal {
  let before: Deno.FileInfo;
  try {
    if (Deno.realPathSync(path) !== path) return { kind: "not-found" };
    before = Deno.lstatSync(path);
  } catch (error) {
    return classifyFsError(error);
  }
  if (!before.isDirectory) return { kind: "not-found" };
  const base = path.endsWith(SEP) ? path : path + SEP;
  return {
    entries: () => Deno.readDir(path),
    isDirectory: (name) => kindOf(base + name),
    describe(name) {
      const entryPath = base + name;
      try {
        const real = Deno.realPathSync(entryPath);
        if (placeOf(root, real) !== "inside") return null;
        return entryOf(name, Deno.statSync(real));
      } catch {
        return null;
      }
    },
    close: () => {},
  };
}

/** Whether a path (links followed) is a directory, a file (false), or neither (null). */
function kindOf(path: string): boolean | null {
  try {
    const info = Deno.statSync(path);
    return info.isDirectory ? true : info.isFile ? false : null;
  } catch {
    return null;
  }
}

/** A listing entry from file info, or null for anything but a file or directory. */
function entryOf(name: string, info: Deno.FileInfo): ListingEntry | null {
  if (!info.isFile && !info.isDirectory) return null;
  return {
    name,
    directory: info.isDirectory,
    size: info.isDirectory ? 0 : info.size,
    modifiedMs: info.mtime?.getTime() ?? null,
  };
}

/** fstat of an open descriptor; through /proc under the kernel strategy, where it is cheaper. */
function fstat(fd: number, confinement: Confinement): FileStat & { readonly isFile: boolean } {
  if (confinement === "kernel") {
    const info = Deno.statSync(`/proc/self/fd/${fd}`);
    return {
      isFile: info.isFile,
      size: info.size,
      mtimeMs: info.mtime?.getTime() ?? null,
      ctimeMs: info.ctime?.getTime() ?? null,
      dev: info.dev,
      ino: info.ino,
    };
  }
  const info = fs.fstatSync(fd);
  return {
    isFile: info.isFile(),
    size: info.size,
    mtimeMs: Number.isFinite(info.mtimeMs) ? info.mtimeMs : null,
    ctimeMs: Number.isFinite(info.ctimeMs) ? info.ctimeMs : null,
    dev: info.dev,
    ino: IS_WINDOWS ? null : info.ino,
  };
}

/** Opens a descriptor without blocking the event loop. */
function openFd(path: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.open(path, flags, (error, fd) => {
      if (error) reject(error);
      else resolve(fd);
    });
  });
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Already closed.
  }
}
