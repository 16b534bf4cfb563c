/**
 * Fallbacks for request paths that name no file, decided here as pure functions and carried out
 * by the router:
 *
 * - clean URLs (`--clean-urls`): `/about` serves `about.html` when neither a file nor a folder
 *   named `about` exists, and `/about.html` moves (301) to `/about`, so each page has one address;
 * - the single-page-app shell (`--spa[=FILE]`): a route the resolver cannot find gets the app's
 *   HTML (FILE, `/index.html` by default) with 200, so the app's own router can draw it.
 *
 * Enters: a normalised request path and the query. Leaves: which path to try next, where to
 * redirect, or whether the shell applies; and the settings the shell is served with.
 *
 * @module
 */

import { encodePath, isHiddenName, type NormalizedPath, normalizePath } from "./resolver.ts";
import type { NormalizeOptions } from "./resolver.ts";
import { type Representation, WireCache } from "./representation.ts";
import type { FileOptions } from "./responder.ts";

/** The shell `--spa` serves when written without a file. */
export const DEFAULT_SPA_FILE = "/index.html";

/**
 * Cache-Control of the shell, whatever `--cache-control` says: one URL per route, and every one
 * must see a new deploy's shell, so caches revalidate it each time (RFC 9111 §5.2.2.4) with its
 * ETag (a 304 when nothing changed).
 */
export const SPA_CACHE_CONTROL = "no-cache";

/** The extension clean URLs leave out. */
const HTML = ".html";

/** The name a folder's page has; its clean URL is the folder itself. */
const INDEX_HTML = "index.html";

/**
 * Decides whether a path the resolver could not find gets the app shell: a route, that is, its
 * last segment has no dot (`/users/42`) or ends in `.html` (an old page's address). Anything
 * else looks like an asset (`/assets/app.1a2b.js`, `/favicon.ico`): a missing one must stay a
 * 404, never HTML a script tag would try to run.
 *
 * @param path The normalised request path.
 * @returns Whether to answer with the shell.
 * @example
 * ```ts
 * isSpaRoute({ kind: "path", segments: ["deep", "route"], directory: false }); // true
 * isSpaRoute({ kind: "path", segments: ["a.1.js"], directory: false });        // false
 * ```
 */
export function isSpaRoute(path: NormalizedPath): boolean {
  const name = path.segments.at(-1) ?? "";
  return !name.includes(".") || name.toLowerCase().endsWith(HTML);
}

/**
 * Returns the page a clean URL stands for: `/about` → `/about.html`. Only for a name that does
 * not already end in `.html`, and not for a folder's address (`/about/`), which is a folder or
 * nothing.
 *
 * @param path The normalised request path, which the resolver could not find.
 * @returns The path to try, or null.
 */
export function htmlSibling(path: NormalizedPath): NormalizedPath | null {
  const name = path.segments.at(-1);
  if (path.directory || name === undefined || name.endsWith(HTML)) return null;
  return { kind: "path", segments: [...path.segments.slice(0, -1), name + HTML], directory: false };
}

/** Where a page's clean URL is, and the path that must name nothing for it to serve the page. */
export interface CleanRedirect {
  /** The clean URL, percent-encoded, with the query. */
  readonly location: string;
  /**
   * The path the clean URL would find first: the redirect is only right when it names nothing
   * (a file or folder there wins, and the page keeps its `.html` address). Null for a folder's
   * `index.html`, which its folder always serves.
   */
  readonly unless: NormalizedPath | null;
}

/**
 * Returns the clean URL of a page served by its `.html` name: `/about.html` → `/about`, a
 * folder's `/docs/index.html` → `/docs/` (and `/index.html` → `/`), the query kept.
 *
 * @param path The normalised path of an existing page.
 * @param query The raw query, or null.
 * @returns Where to redirect, and on what condition; null when the name has no clean form.
 * @example
 * ```ts
 * cleanRedirect({ kind: "path", segments: ["about.html"], directory: false }, "q=1");
 * // { location: "/about?q=1", unless: { kind: "path", segments: ["about"], directory: false } }
 * ```
 */
export function cleanRedirect(path: NormalizedPath, query: string | null): CleanRedirect | null {
  const name = path.segments.at(-1);
  if (path.directory || name === undefined || !name.endsWith(HTML)) return null;
  const folder = path.segments.slice(0, -1);
  const search = query === null ? "" : `?${query}`;
  if (name === INDEX_HTML) return { location: encodePath(folder, true) + search, unless: null };
  const base = name.slice(0, -HTML.length);
  // `/.html` has no clean form (and `/.x.html` would become a dotfile's address).
  if (base === "" || isHiddenName(base)) return null;
  const segments = [...folder, base];
  return {
    location: encodePath(segments, false) + search,
    unless: { kind: "path", segments, directory: false },
  };
}

/**
 * Returns whether a clean URL named a folder's page by its short name (`/docs/index` for
 * `docs/index.html`): the folder's own address is the clean one.
 *
 * @param path The request path that found its `.html` sibling.
 * @returns Whether to redirect to the folder.
 */
export function isIndexName(path: NormalizedPath): boolean {
  return path.segments.at(-1) === "index";
}

/**
 * Checks a `--spa` FILE as given on the command line: an absolute path from the root to a file,
 * with no `..` or `.` segment, no dotfile, and nothing a URL path cannot hold.
 *
 * @param file The value.
 * @returns Why it is refused, or null when it is fine.
 */
export function spaFileProblem(file: string): string | null {
  if (!file.startsWith("/")) return 'it must start with "/"';
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f\\]/.test(file)) return "it has a control character or a backslash";
  const segments = file.slice(1).split("/");
  if (segments.some((s) => s === "")) return "it must name a file, with no empty segment";
  if (segments.some((s) => s === ".." || s === ".")) return 'it must not contain "." or ".."';
  if (segments.some(isHiddenName)) return "it must not name a dotfile";
  return null;
}

/** How the shell is served: its path, its fields, and its own wire caches. */
export interface ShellSettings {
  /** FILE as the resolver sees it. */
  readonly path: NormalizedPath;
  /** FILE's key in the hot-file cache: the same as a request for FILE uses. */
  readonly key: string;
  /** The shell's file options: Cache-Control no-cache instead of `--cache-control`. */
  readonly options: FileOptions;
  /** The same with `Vary: Accept-Encoding`, for a shell that may be coded. */
  readonly varyOptions: FileOptions;
  /**
   * Returns the shell's own copy of a representation of FILE: the same bytes and validators,
   * but its own wire cache, so the prebuilt 200 of FILE's own URL (with `--cache-control`) and
   * the shell's (with no-cache) never stand in for each other.
   */
  wrap(rep: Representation): Representation;
}

/**
 * Makes the shell settings of a server, or null without `--spa` (the router then never looks).
 *
 * @param file FILE, a path from the root (checked by {@linkcode spaFileProblem}), or null.
 * @param normalize The root's dotfile rule and the platform's name rules.
 * @returns The settings, or null.
 * @throws TypeError when FILE is not a path to a file inside the root.
 */
export function shellSettings(
  file: string | null | undefined,
  normalize: NormalizeOptions,
): ShellSettings | null {
  if (file === null || file === undefined) return null;
  const problem = spaFileProblem(file);
  // The URL a browser would use for FILE, normalised as a request for it would be.
  const path = problem === null
    ? normalizePath(encodePath(file.slice(1).split("/"), false), normalize)
    : null;
  if (path === null || path.kind !== "path") {
    throw new TypeError(`The spa file "${file}" is not a path to a file: ${problem ?? "refused"}`);
  }
  const copies = new WeakMap<Representation, Representation>();
  return {
    path,
    key: path.segments.join("/"),
    options: { cacheControl: SPA_CACHE_CONTROL },
    varyOptions: { cacheControl: SPA_CACHE_CONTROL, vary: true },
    wrap(rep) {
      // A streamed (large) shell has no prebuilt response to share.
      if (rep.wire === undefined) return rep;
      let copy = copies.get(rep);
      if (copy === undefined) {
        copy = { ...rep, wire: new WireCache() };
        copies.set(rep, copy);
      }
      return copy;
    },
  };
}
