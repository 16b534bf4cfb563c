/**
 * Response heads as text: the status line and header block, exactly as they go on the wire and
 * into `HTTPResponses.txt`.
 *
 * @module
 */

import { REASON_PHRASES, type Status } from "./status.ts";

/** A header field as a name and value, in the order it is sent. */
export type Header = readonly [name: string, value: string];

/**
 * Formats a response head: status line, fields, and the empty line that ends it (RFC 9112 §4).
 *
 * @param version The version to put in the status line.
 * @param status The status code.
 * @param headers Fields in sending order; values must already be free of CR and LF.
 * @returns The head, ending with CRLF CRLF.
 * @example
 * ```ts
 * formatHead("HTTP/1.1", 404, [["Content-Length", "0"]]);
 * // "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
 * ```
 */
export function formatHead(version: string, status: Status, headers: readonly Header[]): string {
  let head = `${version} ${status} ${REASON_PHRASES[status]}\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  return head + "\r\n";
}

/**
 * Escapes text for an HTML body or attribute value.
 *
 * @param text Untrusted text.
 * @returns The text with `& < > " '` replaced by entities.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
