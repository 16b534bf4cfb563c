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
import { contentTypeFor } from "../http/media_types.ts";
import { formatPage } from "./page_style.ts";

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
  for (const candidate of [...best.items()].sort(compareEntries)) {
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

/** Names in natural order ("file2" before "file10"), then by code point so no two tie. */
function compareNames(a: Sortable, b: Sortable): number {
  return collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** The listing order: directories first, then names in natural order, then by code point. */
function compareEntries(a: Sortable, b: Sortable): number {
  return Number(b.directory) - Number(a.directory) || compareNames(a, b);
}

/** What a listing page can be sorted by: `?sort=name|size|date`. */
export type SortKey = "name" | "size" | "date";

/** How a listing is ordered: a column and a direction (`?order=asc|desc`). */
export interface ListingOrder {
  readonly sort: SortKey;
  readonly order: "asc" | "desc";
}

/** The order without a query: names ascending, as `readListing` selects them. */
export const DEFAULT_LISTING_ORDER: ListingOrder = { sort: "name", order: "asc" };

/** Each sort key's comparison of two entries of the same type; ties fall back to the name. */
const COMPARE_BY: Record<SortKey, (a: ListingEntry, b: ListingEntry) => number> = {
  name: compareNames,
  size: (a, b) => a.size - b.size || compareNames(a, b),
  // An entry without a time sorts as the oldest; comparisons, not subtraction, as it is -Infinity.
  date: (a, b) => {
    const x = a.modifiedMs ?? -Infinity;
    const y = b.modifiedMs ?? -Infinity;
    return x < y ? -1 : x > y ? 1 : compareNames(a, b);
  },
};

/**
 * Reads the listing order from a request's query: `sort` is `name`, `size` or `date`, `order`
 * is `asc` or `desc`. Anything else, missing or repeated-and-unknown, falls back to the default
 * for that parameter: a link with a bad query still lists the folder.
 *
 * @param query The query without its `?`, still percent-encoded; null when there is none.
 * @returns The order to list in.
 * @example
 * ```ts
 * parseListingOrder("sort=size&order=desc"); // { sort: "size", order: "desc" }
 * parseListingOrder("sort=evil"); // { sort: "name", order: "asc" }
 * ```
 */
export function parseListingOrder(query: string | null): ListingOrder {
  if (query === null) return DEFAULT_LISTING_ORDER;
  const params = new URLSearchParams(query);
  const sort = params.get("sort");
  return {
    sort: sort === "size" || sort === "date" ? sort : DEFAULT_LISTING_ORDER.sort,
    order: params.get("order") === "desc" ? "desc" : DEFAULT_LISTING_ORDER.order,
  };
}

/**
 * Sorts entries for a listing: directories always first, then by the order's column (names in
 * natural order, "file2" before "file10"; ties by name), reversed for `desc`.
 *
 * @param entries The entries.
 * @param order Column and direction; names ascending by default.
 * @returns A sorted copy.
 */
export function sortEntries<T extends ListingEntry>(
  entries: readonly T[],
  order: ListingOrder = DEFAULT_LISTING_ORDER,
): T[] {
  const compare = COMPARE_BY[order.sort];
  const sign = order.order === "desc" ? -1 : 1;
  return [...entries].sort((a, b) =>
    Number(b.directory) - Number(a.directory) || sign * compare(a, b)
  );
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
 * The query that asks for an order, as HTML attribute text: empty for the default, so plain
 * links stay plain. Built from the parsed order only, never from the request's own text.
 */
function orderQuery(order: ListingOrder): string {
  return order.sort === DEFAULT_LISTING_ORDER.sort && order.order === DEFAULT_LISTING_ORDER.order
    ? ""
    : `?sort=${order.sort}&amp;order=${order.order}`;
}

/**
 * The link to the folder `levels` above this one (0: this one), keeping the order. Only `../`
 * steps: the listing is always at a path ending in `/` (the resolver redirects to it), so no
 * name has to go into these links at all.
 */
function upLink(levels: number, query: string): string {
  return (levels === 0 ? "./" : "../".repeat(levels)) + query;
}

/** Marks the breadcrumb of the folder being shown (WAI-ARIA breadcrumb pattern). */
const CURRENT = ' aria-current="page"';

/** Breadcrumbs: Home, then each folder of the path, the last marked as the current page. */
function formatBreadcrumbs(segments: readonly string[], query: string): string {
  const last = segments.length;
  const crumbs = [`<a href="${upLink(last, query)}"${last === 0 ? CURRENT : ""}>Home</a>`];
  segments.forEach((segment, i) => {
    const current = i === last - 1 ? CURRENT : "";
    crumbs.push(`<a href="${upLink(last - 1 - i, query)}"${current}>${escapeHtml(segment)}</a>`);
  });
  return `<nav class="crumbs" aria-label="Breadcrumbs">${crumbs.join("")}</nav>`;
}

/** The column heads, each a link that sorts by it; the current column says which way. */
const COLUMNS: readonly { readonly key: SortKey; readonly label: string }[] = [
  { key: "name", label: "Name" },
  { key: "size", label: "Size" },
  { key: "date", label: "Modified (UTC)" },
];

/**
 * A column head: a link to sort by it. On the current column the link flips the direction;
 * elsewhere names start ascending, sizes and dates descending (largest, newest first).
 */
function formatColumnHead(key: SortKey, label: string, current: ListingOrder): string {
  const active = current.sort === key;
  const flipped = current.order === "asc" ? "desc" : "asc";
  const next: ListingOrder = {
    sort: key,
    order: active ? flipped : key === "name" ? "asc" : "desc",
  };
  const link = orderQuery(next) || "./";
  if (!active) return `<th><a href="${link}">${label}</a></th>`;
  const [sort, arrow] = current.order === "asc"
    ? ["ascending", "\u2191"]
    : ["descending", "\u2193"];
  return `<th aria-sort="${sort}"><a href="${link}">${label} ${arrow}</a></th>`;
}

/** File-type hints shown before a name, by media type: the first rule that matches names it. */
const KIND_RULES: readonly (readonly [RegExp, string])[] = [
  [/^image\//, "img"],
  [/^video\//, "vid"],
  [/^audio\//, "aud"],
  [/^application\/pdf\b/, "pdf"],
  [/^font\//, "font"],
  [/^text\/html\b/, "html"],
  [
    /^application\/(zip|gzip|x-tar|x-7z-compressed|x-bzip2?|x-xz|vnd\.rar|x-rar-compressed|zstd|java-archive)\b/,
    "zip",
  ],
  [/^(text\/(css|javascript)|application\/(javascript|json|xml|wasm|[^;]*\+(json|xml)))\b/, "code"],
  [/^text\//, "txt"],
];

/**
 * Names the kind of an entry for its hint: `dir` for folders, else by the media type the server
 * would send for its name (`img`, `vid`, `aud`, `pdf`, `font`, `html`, `zip`, `code`, `txt`),
 * `file` when nothing more is known.
 *
 * @param entry A name and whether it is a folder.
 * @returns A label of at most four letters.
 */
export function kindOf(entry: Pick<ListingEntry, "name" | "directory">): string {
  if (entry.directory) return "dir";
  const type = contentTypeFor(entry.name);
  return KIND_RULES.find(([rule]) => rule.test(type))?.[1] ?? "file";
}

/**
 * Formats a listing as an HTML page in the site's style: breadcrumbs, then a table sortable by
 * name, size and date through links with a query (no script), directories first, sizes for
 * people, a type hint per entry. Names are escaped, links percent-encoded, and nothing of the
 * request but the validated order is reflected.
 *
 * @param listing The listing.
 * @param order The order to show it in (see {@linkcode parseListingOrder}).
 * @returns The page.
 */
export function formatListingHtml(
  listing: Listing,
  order: ListingOrder = DEFAULT_LISTING_ORDER,
): string {
  const query = orderQuery(order);
  const path = escapeHtml(displayPath(listing));
  const rows: string[] = [];
  if (listing.segments.length > 0) {
    rows.push(`<tr><td><i>dir</i><a href="../${query}">../</a></td><td></td><td></td></tr>`);
  }
  for (const entry of sortEntries(listing.entries, order)) {
    const name = escapeHtml(entry.name) + (entry.directory ? "/" : "");
    const link = escapeHtml(href(entry)) + (entry.directory ? query : "");
    rows.push(
      `<tr><td><i>${kindOf(entry)}</i><a href="${link}">${name}</a></td>` +
        `<td>${entry.directory ? "\u2014" : formatSize(entry.size)}</td>` +
        `<td>${formatTime(entry.modifiedMs)}</td></tr>`,
    );
  }
  const heads = COLUMNS.map((c) => formatColumnHead(c.key, c.label, order)).join("");
  return formatPage({
    title: `Index of ${path}`,
    nav: formatBreadcrumbs(listing.segments, query),
    heading: `Index of ${path}`,
    main:
      `<table><thead><tr>${heads}</tr></thead>\n<tbody>\n${rows.join("\n")}\n</tbody></table>\n` +
      truncationNote(listing, order),
  });
}

/** Says that entries were left out, and that a size or date order only sorts those shown. */
function truncationNote(listing: Listing, order: ListingOrder): string {
  if (!listing.truncated) return "";
  const shown = listing.entries.length;
  const sorted = order.sort === "name" ? "" : ` Sorting by ${order.sort} orders these ${shown}.`;
  const note = `Only the first ${shown} entries, folders first and by name, are shown.`;
  return `<footer>${note}${sorted}</footer>\n`;
}

/**
 * Formats a listing as JSON: `{ path, truncated, entries: [{ name, type, size, modified, href }] }`,
 * entries in the same order as the HTML page.
 *
 * @param listing The listing.
 * @param order The order of the entries (see {@linkcode parseListingOrder}).
 * @returns The JSON text.
 */
export function formatListingJson(
  listing: Listing,
  order: ListingOrder = DEFAULT_LISTING_ORDER,
): string {
  return JSON.stringify(
    {
      path: displayPath(listing),
      truncated: listing.truncated,
      entries: sortEntries(listing.entries, order).map((entry) => ({
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
