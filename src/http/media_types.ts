/**
 * Content-Type for a file name, from mime-db's answers as mime-types gives them, kept in the
 * generated table `media_db.ts` (`deno task media-types`): the libraries stay the source of
 * truth, and serving isolates do not load mime-db's JSON or the CommonJS loader it needs.
 *
 * @module
 */

import { CONTENT_TYPES } from "./media_db.ts";

/** The type sent when a file's extension is unknown: "download it", never "render it". */
export const FALLBACK_CONTENT_TYPE = "application/octet-stream";

/** Extension (lower case) → Content-Type, read from the table on first use. */
let byExtension: Map<string, string> | null = null;

function contentTypes(): Map<string, string> {
  if (byExtension === null) {
    byExtension = new Map();
    for (const line of CONTENT_TYPES.split("\n")) {
      const tab = line.indexOf("\t");
      const value = line.slice(0, tab);
      for (const extension of line.slice(tab + 1).split(" ")) byExtension.set(extension, value);
    }
  }
  return byExtension;
}

/**
 * Returns the Content-Type for a file name, with `charset=utf-8` on text types.
 *
 * @param fileName A file name or path; only its extension matters.
 * @returns The header value.
 * @example
 * ```ts
 * contentTypeFor("index.html"); // "text/html; charset=utf-8"
 * ```
 */
export function contentTypeFor(fileName: string): string {
  const name = fileName.slice(Math.max(fileName.lastIndexOf("/"), fileName.lastIndexOf("\\")) + 1);
  // A name needs its dot: a bare word ("f") or a dotfile (".bashrc") has no extension.
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return FALLBACK_CONTENT_TYPE;
  return contentTypes().get(name.slice(dot + 1).toLowerCase()) ?? FALLBACK_CONTENT_TYPE;
}
