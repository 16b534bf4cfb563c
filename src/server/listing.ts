/**
 * Directory listings for folders without index.html (`--listing`): reading the folder with the
 * resolver's confinement rules (I/O), and formatting it as HTML or JSON (pure).
 *
 * @module
 */

import { formatSize } from "../units.ts";
import { classifyFsError } from "./fs_errors.ts";
import { escapeHtml } from "../http/head.ts";
import { MAX_LISTING_ENTRIES, MAX_LISTING_SCAN_ENTRIES } from "../limits.ts";
import type { DirSource, Listing, ListingEntry, ListingResult } from "./opener.ts";
import { IS_WINDOWS } from "../platform.ts";
import { normalizePath } from "./resolver.ts";

export type { Listing, ListingEntry } from "./opener.ts";

/** What ordering an entry needs: its name and whether it is a directory. */
type Sortable = Pick<ListingEntry, "name" | "directory">;

/**
 * Reads a directory for listing. Entries are shown only if a request for them could succeed:
 * dotfiles are hidden unless the root allows them, names the resolver would refuse are skipped,
 * and links are followed only to places inside the root (listing others would reveal the size
 * and time of an outside file). With more than {@linkcode MAX_LISTING_ENTRIES} entries, the
 * first ones in the listing's own order are kept, not an arbitrary directory-order subset: a
 * bounded heap keeps the best so far while the folder is read, and only the entries shown are
 * described (stat, and for links the proof of where they lead).
 *
 * @param source The open directory (see `opener.ts`).
 * @param segments Its decoded URL segments.
 * @param dotfiles Whether dotfiles are listed.
 * @returns The listing, or why the directory cannot be read.
 */
export async function readListing(
  source: DirSource,
  segments: readonly string[],
  dotfiles: boolean,
): Promise<ListingResult> {
  try {
    return await selectEntries(source, segments, dotfiles);
  } catch (error) {
    try {
      return classifyFsError(error);
    } catch {
      return { kind: "forbidden" };
    }
  } finally {
    // Only now: under the kernel strategy, entries are described through the open directory.
    source.close();
  }
}

async function selectEntries(
  source: DirSource,
  segments: readonly string[],
  dotfiles: boolean,
): Promise<ListingResult> {
  const best = new BoundedHeap<Sortable>(MAX_LISTING_ENTRIES, (a, b) => compareEntries(b, a));
  let truncated = false;
  let scanned = 0;
  for await (const dirent of source.entries()) {
    if (++scanned > MAX_LISTING_SCAN_ENTRIES) {
      truncated = true;
      break;
    }
    const check = normalizePath("/" + encodeURIComponent(dirent.name), {
      dotfiles,
      windows: IS_WINDOWS,
    });
    if (check.kind !== "path") continue;
    // A link's own type says nothing of its target: a cheap stat orders it, the proof comes
    // later for the entries actually shown.
    const directory = dirent.isSymlink ? source.isDirectory(dirent.name) : dirent.isDirectory;
    if (directory === null || (!dirent.isSymlink && !dirent.isFile && !dirent.isDirectory)) {
      continue;
    }
    if (!best.offer({ name: dirent.name, directory })) truncated = true;
  }
  const entries: ListingEntry[] = [];
  for (const candidate of sortEntries(best.items())) {
    const entry = source.describe(candidate.name);
    if (entry !== null) entries.push(entry);
  }
  return { kind: "listing", listing: { segments, entries, truncated } };
}

/**
 * The `limit` smallest items seen, by `compare`, in a binary max-heap: offering one more costs
 * one comparison when it cannot be among them, O(log limit) when it can.
 */
class BoundedHeap<T> {
  readonly #limit: number;
  /** Negative when the first argument ranks higher in the heap (larger = worse entry). */
  readonly #higher: (a: T, b: T) => number;
  readonly #items: T[] = [];

  constructor(limit: number, higher: (a: T, b: T) => number) {
    this.#limit = limit;
    this.#higher = higher;
  }

  /** Offers an item; returns false when something (it or another) had to be left out. */
  offer(item: T): boolean {
    const items = this.#items;
    if (items.length < this.#limit) {
      items.push(item);
      this.#up(items.length - 1);
      return true;
    }
    if (this.#higher(item, items[0]) <= 0) return false; // worse than the worst kept
    items[0] = item;
    this.#down(0);
    return false;
  }

  /** The kept items, in no particular order. */
  items(): readonly T[] {
    return this.#items;
  }

  #up(i: number): void {
    const items = this.#items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#higher(items[i], items[parent]) >= 0) return;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  #down(i: number): void {
    const items = this.#items;
    while (true) {
      const left = 2 * i + 1;
      const right = left + 1;
      let top = i;
      if (left < items.length && this.#higher(items[left], items[top]) < 0) top = left;
      if (right < items.length && this.#higher(items[right], items[top]) < 0) top = right;
      if (top === i) return;
      [items[i], items[top]] = [items[top], items[i]];
      i = top;
    }
  }
}

const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

/** The listing order: directories first, then names in natural order, then by code point. */
function compareEntries(a: Sortable, b: Sortable): number {
  return Number(b.directory) - Number(a.directory) || collator.compare(a.name, b.name) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * Sorts directories first, then names in natural order ("file2" before "file10").
 *
 * @param entries The entries.
 * @returns A sorted copy.
 */
export function sortEntries<T extends Sortable>(entries: readonly T[]): T[] {
  return [...entries].sort(compareEntries);
}

function formatTime(ms: number | null): string {
  return ms === null ? "" : new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

/**
 * Returns whether the client asked for JSON rather than HTML.
 *
 * @param accept The Accept field value, if any.
 * @returns True when `application/json` is acceptable and HTML is not mentioned before it.
 */
export function prefersJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const types = accept.toLowerCase().split(",").map((part) => part.split(";")[0].trim());
  const json = types.indexOf("application/json");
  const html = types.indexOf("text/html");
  return json !== -1 && (html === -1 || json < html);
}

/** The decoded display path of a listing, e.g. `/docs/`. */
function displayPath(listing: Listing): string {
  return listing.segments.length === 0 ? "/" : `/${listing.segments.join("/")}/`;
}

/** The relative link to an entry: percent-encoded, so no name can become a scheme or a query. */
function href(entry: ListingEntry): string {
  return encodeURIComponent(entry.name) + (entry.directory ? "/" : "");
}

/**
 * Formats a listing as an HTML page: names escaped, links percent-encoded, a parent link except
 * at the root.
 *
 * @param listing The listing.
 * @returns The page.
 */
export function formatListingHtml(listing: Listing): string {
  const title = `Index of ${escapeHtml(displayPath(listing))}`;
  const rows: string[] = [];
  if (listing.segments.length > 0) {
    rows.push(`<tr><td><a href="../">../</a></td><td></td><td></td></tr>`);
  }
  for (const entry of listing.entries) {
    const name = escapeHtml(entry.name) + (entry.directory ? "/" : "");
    rows.push(
      `<tr><td><a href="${escapeHtml(href(entry))}">${name}</a></td>` +
        `<td>${entry.directory ? "-" : formatSize(entry.size)}</td>` +
        `<td>${formatTime(entry.modifiedMs)}</td></tr>`,
    );
  }
  const note = listing.truncated
    ? `<p>Only the first ${listing.entries.length} entries are shown.</p>\n`
    : "";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}
td,th{padding:.2rem 1.2rem .2rem 0;text-align:left}td:nth-child(2){text-align:right}</style></head>
<body><h1>${title}</h1>
<table><thead><tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table>
${note}</body></html>
`;
}

/**
 * Formats a listing as JSON: `{ path, truncated, entries: [{ name, type, size, modified, href }] }`.
 *
 * @param listing The listing.
 * @returns The JSON text.
 */
export function formatListingJson(listing: Listing): string {
  return JSON.stringify(
    {
      path: displayPath(listing),
      truncated: listing.truncated,
      entries: listing.entries.map((entry) => ({
        name: entry.name,
        type: entry.directory ? "directory" : "file",
        size: entry.size,
        modified: entry.modifiedMs === null ? null : new Date(entry.modifiedMs).toISOString(),
        href: href(entry),
      })),
    },
    null,
    2,
  ) + "\n";
}
