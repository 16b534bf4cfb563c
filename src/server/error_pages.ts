/**
 * Error pages: the one funnel every error response goes through, whichever layer decided it —
 * the parser (400, 413, 414, 431, 501, 505), the connection (408, 500), the router (401, 403,
 * 404, 405, 406, 421, 503) or the responder (412, 416). The built-in page is small, generic HTML with the
 * detail escaped; a site's own `<status>.html` replaces its body when the root has one.
 *
 * @module
 */

import { escapeHtml, type Header } from "../http/head.ts";
import { type ErrorStatus, REASON_PHRASES } from "../http/status.ts";
import { MAX_ERROR_PAGE_BYTES } from "../limits.ts";
import { SERVER_NAME } from "../version.ts";
import type { FileCache } from "./cache.ts";
import { type Confinement, openInside, stillInside, type Supervisor } from "./opener.ts";
import { normalizePath, resolvePath, type Root } from "./resolver.ts";
import type { Representation } from "./representation.ts";
import type { Reply } from "./responder.ts";
import { formatPage } from "./page_style.ts";

const encoder = new TextEncoder();

/** A built-in error reply, marked so the funnel can give it the site's own page. */
export interface ErrorReply extends Reply {
  readonly error: { readonly status: ErrorStatus; readonly options: ErrorOptions };
}

/**
 * Returns whether a reply is a built-in error page (from {@linkcode errorReply}).
 *
 * @param reply Any reply.
 * @returns Whether {@linkcode errorPage} may replace its body.
 */
export function isErrorReply(reply: Reply): reply is ErrorReply {
  return (reply as Partial<ErrorReply>).error !== undefined;
}

/** Options for {@linkcode errorReply}. */
export interface ErrorOptions {
  /** The request method: HEAD gets the same fields and no body. */
  readonly method?: string;
  /** A sentence for the page; it is HTML-escaped. */
  readonly detail?: string;
  /** Extra fields, e.g. `Allow` for 405. */
  readonly headers?: readonly Header[];
  /** Close the connection after the reply. */
  readonly close?: boolean;
}

/** What each error page says when the caller gives no detail. */
const DEFAULT_DETAIL: Record<ErrorStatus, string> = {
  400: "The request could not be understood.",
  401: "This site needs a user name and password.",
  403: "You do not have permission to read this resource.",
  404: "Nothing is served at this address.",
  405: "This method is not allowed here; use GET or HEAD.",
  406: "This resource is not available in any content coding the request accepts.",
  408: "The request took too long to arrive.",
  412: "A precondition of the request failed.",
  413: "The request body is too large.",
  414: "The request target is too long.",
  416: "The requested range cannot be satisfied.",
  417: "The expectation of the request cannot be met.",
  421: "This server only answers requests addressed to this machine.",
  431: "The request header fields are too large.",
  500: "The server failed to answer this request.",
  501: "This method is not implemented.",
  503: "The server is shutting down.",
  505: "Only HTTP/1.0 and HTTP/1.1 are supported.",
};

/**
 * Builds the HTML page of an error status: the one funnel all error responses go through. It
 * has the site's look (the shared stylesheet, inline) and a link home; the only text it shows
 * beyond the status is the detail, escaped.
 *
 * @param status The error status.
 * @param detail A sentence to show; escaped here.
 * @returns The page.
 */
export function formatErrorPage(
  status: ErrorStatus,
  detail: string = DEFAULT_DETAIL[status],
): string {
  const title = `${status} ${REASON_PHRASES[status]}`;
  return formatPage({
    title,
    nav: `<nav><a href="/">Home</a></nav>`,
    heading: title,
    main: `<p>${escapeHtml(detail)}</p>\n<footer>${SERVER_NAME}</footer>`,
  });
}

/**
 * Builds an error reply with a small HTML body.
 *
 * @param status The error status.
 * @param options Method, detail text, extra fields, close.
 * @returns The reply.
 */
export function errorReply(status: ErrorStatus, options: ErrorOptions = {}): ErrorReply {
  const page = encoder.encode(formatErrorPage(status, options.detail));
  return {
    error: { status, options },
    status,
    headers: [
      ...(options.headers ?? []),
      ["Content-Type", "text/html; charset=utf-8"],
      ["Content-Length", String(page.length)],
    ],
    body: options.method === "HEAD" ? { kind: "none" } : { kind: "bytes", bytes: page },
    close: options.close,
  };
}

/** Where a site's own error pages come from: its root, read like any file it serves. */
export interface ErrorPageSource {
  readonly root: Root;
  readonly confinement: Confinement;
  readonly supervisor: Supervisor | undefined;
  readonly cache: FileCache;
}

/**
 * The funnel: the error reply for `status`, with the site's own `<status>.html` as its body when
 * the root has one (at most {@linkcode MAX_ERROR_PAGE_BYTES}; found by the resolver, opened and
 * proven like any file, kept in the hot-file cache), else the built-in page.
 *
 * @param source The root and how to open files in it; null for built-in pages only.
 * @param status The error status.
 * @param options Method, detail, extra fields, close.
 * @returns The reply.
 */
export async function errorPage(
  source: ErrorPageSource | null,
  status: ErrorStatus,
  options: ErrorOptions = {},
): Promise<Reply> {
  const bytes = source === null ? null : await customPage(source, status).catch(() => null);
  if (bytes === null) {
    // The site has no page of its own: the built-in one, unmarked, as it has been looked for.
    const { error: _looked, ...builtIn } = errorReply(status, options);
    return builtIn;
  }
  return {
    status,
    headers: [
      ...(options.headers ?? []),
      ["Content-Type", "text/html; charset=utf-8"],
      ["Content-Length", String(bytes.length)],
    ],
    body: options.method === "HEAD" ? { kind: "none" } : { kind: "bytes", bytes },
    close: options.close,
  };
}

/** The bytes of the site's own page for a status, or null. */
async function customPage(
  source: ErrorPageSource,
  status: ErrorStatus,
): Promise<Uint8Array | null> {
  const key = `${status}.html`;
  const cached = source.cache.lookup(key);
  if (cached !== null) return pageBytes(cached.source);
  const path = normalizePath(`/${key}`);
  if (path.kind !== "path") return null;
  const found = await resolvePath(source.root, path);
  if (found.kind !== "file") return null;
  const opened = await openInside(source.root, found.path, source);
  if (opened.kind !== "open") return null;
  if (opened.file.stat.size > MAX_ERROR_PAGE_BYTES) {
    opened.file.close();
    return null;
  }
  const { stat } = opened.file;
  const representation = await source.cache.admit(
    key,
    found.path,
    found.candidate,
    opened.file,
    source.confinement === "identity"
      ? () => stillInside(source.root, found.path, stat)
      : undefined,
  );
  return representation === null ? null : pageBytes(representation.source);
}

/** A page's bytes when they are in memory (pages above the cache's file size are not used). */
function pageBytes(source: Representation["source"]): Uint8Array | null {
  return source.kind === "memory" && source.bytes.length <= MAX_ERROR_PAGE_BYTES
    ? source.bytes
    : null;
}
