/**
 * The resolver: request path → file inside the served root, or a reason why not.
 *
 * Two layers keep every request inside the root. {@linkcode normalizePath} is pure: it decodes
 * the path once, removes dot-segments (RFC 3986 §5.2.4) and refuses anything that would climb
 * out, hide in an encoding, or mean something else on Windows. {@linkcode resolvePath} then asks
 * the file system for the real path (following symlinks) and refuses anything whose real path
 * is not under the root's real path. Deno's `--allow-read` scope is the third layer.
 *
 * @module
 */

import { classifyFsError, type Refusal } from "./fs_errors.ts";
import { IS_WINDOWS, SEP } from "../platform.ts";

/** A request path reduced to plain segments that cannot leave the root. */
export interface NormalizedPath {
  readonly kind: "path";
  /** Decoded segments, none empty, `.` or `..`. */
  readonly segments: readonly string[];
  /** Whether the path names a directory (it ends with `/`, `/.` or `/..`). */
  readonly directory: boolean;
}

/** Why a path was refused before touching the file system. */
export type PathRejection =
  | { readonly kind: "bad"; readonly reason: string } // → 400
  | { readonly kind: "hidden" }; // → 404: a dotfile, answered as if it did not exist

/** Options for {@linkcode normalizePath}. */
export interface NormalizeOptions {
  /** Serve names that start with a dot. @default false */
  readonly dotfiles?: boolean;
  /** Apply Windows file-name rules (devices, `:`, trailing dots and spaces). @default false */
  readonly windows?: boolean;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Characters Windows refuses in a file name (besides `/`, `\` and controls). */
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;
/** DOS device names, which Windows opens as devices whatever the folder or extension. */
const WINDOWS_DEVICE = /^(?:CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])(?:\.|$)/i;

/**
 * Decodes and normalises a request path (still percent-encoded, as in the request-target).
 *
 * @param rawPath The path part of the request-target, starting with `/`.
 * @param options Dotfile and platform rules.
 * @returns Safe segments, or why the path is refused.
 * @example
 * ```ts
 * normalizePath("/a/./b/../c%20d/"); // { kind: "path", segments: ["a", "c d"], directory: true }
 * normalizePath("/../etc/passwd");   // { kind: "bad", reason: "Path climbs above the root" }
 * ```
 */
export function normalizePath(
  rawPath: string,
  options: NormalizeOptions = {},
): NormalizedPath | PathRejection {
  const decoded = decodePath(rawPath);
  if (decoded === null) return { kind: "bad", reason: "Path is not valid percent-encoded UTF-8" };
  // Controls (NUL above all) end C strings and terminal lines; no real file name needs them.
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(decoded)) {
    return { kind: "bad", reason: "Path has a control character" };
  }
  // A backslash is a separator on Windows: refusing it everywhere keeps one behaviour.
  if (decoded.includes("\\")) return { kind: "bad", reason: "Path has a backslash" };

  const segments: string[] = [];
  const parts = decoded.split("/");
  for (const part of parts) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (segments.length === 0) return { kind: "bad", reason: "Path climbs above the root" };
      segments.pop();
      continue;
    }
    if (options.windows) {
      const problem = windowsNameProblem(part);
      if (problem !== null) return { kind: "bad", reason: problem };
    }
    segments.push(part);
  }
  if (!options.dotfiles && segments.some(isHiddenName)) return { kind: "hidden" };
  const last = parts[parts.length - 1];
  const directory = last === "" || last === "." || last === "..";
  return { kind: "path", segments, directory };
}

/** Returns why Windows would read `name` as something else than a plain file name, or null. */
function windowsNameProblem(name: string): string | null {
  if (WINDOWS_FORBIDDEN.test(name)) return "Name has a character Windows forbids";
  // Windows silently drops trailing dots and spaces, so "a.txt." would open "a.txt".
  if (/[. ]$/.test(name)) return "Name ends with a dot or a space";
  if (WINDOWS_DEVICE.test(name)) return "Name is a Windows device";
  return null;
}

/** Returns whether a path segment names a dotfile or dot-directory. */
export function isHiddenName(name: string): boolean {
  return name.charCodeAt(0) === 0x2e;
}

/**
 * Percent-decodes a path once, as UTF-8.
 *
 * @returns The decoded path, or `null` when an escape is invalid or the bytes are not UTF-8.
 */
export function decodePath(rawPath: string): string | null {
  if (!rawPath.includes("%")) return rawPath;
  const bytes = new Uint8Array(rawPath.length);
  let n = 0;
  for (let i = 0; i < rawPath.length; i++) {
    const c = rawPath.charCodeAt(i);
    if (c === 0x25) {
      const hex = rawPath.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null;
      bytes[n++] = parseInt(hex, 16);
      i += 2;
    } else if (c < 0x80) {
      bytes[n++] = c;
    } else {
      return null; // the parser only passes ASCII targets
    }
  }
  try {
    return utf8.decode(bytes.subarray(0, n));
  } catch {
    return null;
  }
}

/**
 * Builds the percent-encoded absolute path of segments: used for redirects, so it always starts
 * with exactly one `/` and can never become a scheme-relative `//host` URL.
 *
 * @param segments Decoded segments.
 * @param directory Whether to end with `/`.
 * @returns The encoded path.
 */
export function encodePath(segments: readonly string[], directory: boolean): string {
  const path = "/" + segments.map(encodeURIComponent).join("/");
  return directory && segments.length > 0 ? path + "/" : path;
}

/** What a request path resolves to on disk. */
export type Resolution =
  /** `path` is the real path; `candidate` the path the URL names (symlinks unresolved). */
  | { readonly kind: "file"; readonly path: string; readonly candidate: string }
  /** A directory without index.html: listed when listings are on, else 404. */
  | { readonly kind: "directory"; readonly path: string }
  | { readonly kind: "redirect"; readonly location: string }
  | Refusal;

/** The served root, resolved once at startup. */
export interface Root {
  /** The root's real path (symlinks resolved), without a trailing separator unless it is `/`. */
  readonly realPath: string;
  /** Serve dotfiles. @default false */
  readonly dotfiles?: boolean;
}

/**
 * Resolves a normalised path to a regular file inside the root: real path confinement, dotfile
 * hiding after symlinks, directory redirects, `index.html`, and directories without one.
 *
 * @param root The served root.
 * @param path A path from {@linkcode normalizePath}.
 * @param query The raw query, kept on a directory redirect.
 * @returns The resolution; unexpected file-system errors are thrown (→ 500).
 */
export async function resolvePath(
  root: Root,
  path: NormalizedPath,
  query: string | null = null,
): Promise<Resolution> {
  const candidate = joinInside(root.realPath, path.segments);
  const found = await realFileInfo(root, candidate);
  // Outside and hidden look exactly like missing: another answer would tell what exists there.
  if (found.kind === "hidden") return { kind: "not-found" };
  if (found.kind !== "found") return found;
  if (found.info.isDirectory) {
    if (!path.directory) {
      // RFC 9110 §15.4.2: relative links in the index only work from the slash form.
      const location = encodePath(path.segments, true) + (query === null ? "" : "?" + query);
      return { kind: "redirect", location };
    }
    const indexCandidate = joinInside(candidate, ["index.html"]);
    const index = await realFileInfo(root, indexCandidate);
    if (index.kind === "not-found") return { kind: "directory", path: found.realPath };
    // An index.html that leads outside or to a dotfile is not "no index": never list instead.
    if (index.kind === "hidden") return { kind: "not-found" };
    if (index.kind !== "found") return index;
    return index.info.isFile
      ? { kind: "file", path: index.realPath, candidate: indexCandidate }
      : { kind: "not-found" };
  }
  // A FIFO or device would block or leak; "/file.txt/" names no directory.
  if (!found.info.isFile) return { kind: "forbidden" };
  if (path.directory) return { kind: "not-found" };
  return { kind: "file", path: found.realPath, candidate };
}

/** The result of {@linkcode realFileInfo}. */
export type Found =
  | { readonly kind: "found"; readonly realPath: string; readonly info: Deno.FileInfo }
  /** The real path is outside the root or under a dot-name: answered like a missing name. */
  | { readonly kind: "hidden" }
  | Refusal;

/**
 * Follows symlinks and stats, refusing a real path outside the root or under a dot-name.
 *
 * @param root The served root.
 * @param candidate A path inside the root, possibly through symlinks.
 * @returns The real path and its info, or why not.
 */
export async function realFileInfo(root: Root, candidate: string): Promise<Found> {
  try {
    const realPath = await Deno.realPath(candidate);
    const relative = relativeInside(root.realPath, realPath);
    if (relative === null) return { kind: "hidden" };
    // A symlink must not expose a dotfile that the URL could not name.
    if (!root.dotfiles && relative.split(SEP).some(isHiddenName)) return { kind: "hidden" };
    return { kind: "found", realPath, info: await Deno.stat(realPath) };
  } catch (error) {
    return classifyFsError(error);
  }
}

/**
 * Joins segments under a directory with the platform separator.
 *
 * @param dir A directory path.
 * @param segments Names below it.
 * @returns The joined path.
 */
export function joinInside(dir: string, segments: readonly string[]): string {
  if (segments.length === 0) return dir;
  return (dir.endsWith(SEP) ? dir : dir + SEP) + segments.join(SEP);
}

/**
 * Returns `path` relative to `root` when it is the root or inside it, else `null`.
 *
 * @param root An absolute real path.
 * @param path An absolute real path.
 * @param options The separator and case rule; default to this operating system's.
 * @returns The relative path (`""` for the root itself) or `null`.
 */
export function relativeInside(
  root: string,
  path: string,
  options: { readonly sep?: string; readonly ignoreCase?: boolean } = {},
): string | null {
  const sep = options.sep ?? SEP;
  // Windows file names are case-insensitive: C:\Site and c:\site are the same folder.
  const fold = (options.ignoreCase ?? IS_WINDOWS)
    ? (s: string) => s.toLowerCase()
    : (s: string) => s;
  if (fold(path) === fold(root)) return "";
  const prefix = root.endsWith(sep) ? root : root + sep;
  return fold(path).startsWith(fold(prefix)) ? path.slice(prefix.length) : null;
}
