/**
 * Content-Type for a file name, from the mime-db database via `mime-types`.
 *
 * @module
 */

// @ts-types="@types/mime-types"
// The full specifiers (as declared in deno.json "imports") make mod.ts importable from other
// programs, whose own import maps know nothing of sockserve's.
// @ts-types="npm:@types/mime-types@^3.0.1"
import mime from "npm:mime-types@^3.0.2";

/** The type sent when a file's extension is unknown: "download it", never "render it". */
export const FALLBACK_CONTENT_TYPE = "application/octet-stream";

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
  // mime-types reads a bare word as an extension ("f" → Fortran), so a name needs its dot.
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return FALLBACK_CONTENT_TYPE;
  return mime.contentType(name.slice(dot)) || FALLBACK_CONTENT_TYPE;
}
