/**
 * Directory listings for folders without index.html (`--listing`): reading the folder with the
 * resolver's confinement rules (I/O), and formatting it as HTML or JSON (pure).
 *
 * @module
 */

import { formatSize } from "./bytes.ts";
import { escapeHtml } from "./http/head.ts";
import { MAX_LISTING_ENTRIES } from "./limits.ts";
import { IS_WINDOWS } from "./platform.ts";
import { joinInside, normalizePath, realFileInfo, type Root } from "./resolver.ts";

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
  /** Whether entries beyond {@linkcode MAX_LISTING_ENTRIES} were left out. */
  readonly truncated: boolean;
}

/**
 * Reads a directory for listing. Entries are shown only if a request for them could succeed:
 * dotfiles are hidden unless the root allows them, symlinks whose real path leaves the root are
 * left out (listing them would reveal the size and time of an outside file), and names the
 * resolver would refuse are skipped.
 *
 * @param root The served root.
 * @param dirPath The directory's real path (from the resolver).
 * @param segments Its decoded URL segments.
 * @returns The listing.
 */
export async function readListing(
  root: Root,
  dirPath: string,
  segments: readonly string[],
): Promise<Listing> {
  const entries: ListingEntry[] = [];
  let truncated = false;
  for await (const entry of Deno.readDir(dirPath)) {
    const check = normalizePath("/" + encodeURIComponent(entry.name), {
      dotfiles: root.dotfiles,
      windows: IS_WINDOWS,
    });
    if (check.kind !== "path") continue;
    if (entries.length >= MAX_LISTING_ENTRIES) {
      truncated = true;
      break;
    }
    const found = await realFileInfo(root, joinInside(dirPath, [entry.name]));
    if (found.kind !== "found" || !(found.info.isFile || found.info.isDirectory)) continue;
    entries.push({
      name: entry.name,
      directory: found.info.isDirectory,
      size: found.info.isDirectory ? 0 : found.info.size,
      modifiedMs: found.info.mtime?.getTime() ?? null,
    });
  }
  return { segments, entries: sortEntries(entries), truncated };
}

const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

/**
 * Sorts directories first, then names in natural order ("file2" before "file10").
 *
 * @param entries The entries.
 * @returns A sorted copy.
 */
export function sortEntries(entries: readonly ListingEntry[]): ListingEntry[] {
  return [...entries].sort((a, b) =>
    Number(b.directory) - Number(a.directory) || collator.compare(a.name, b.name) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
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
