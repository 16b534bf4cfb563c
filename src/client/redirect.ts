/**
 * Redirects for `sockserve get -L` (pure): what enters is a response's status and fields and the
 * target that was asked; what leaves is the next target, or why it is not followed.
 *
 * Location values are resolved strictly by RFC 3986 §5.2 (not by the WHATWG URL rules browsers
 * use, which repair invalid references and read `http:g` as relative): a value that is not a
 * valid URI-reference is refused rather than guessed at.
 *
 * @module
 */

import { bracketHost, classifyHost, parseAuthority, unbracketHost } from "../http/authority.ts";
import type { Header } from "../http/head.ts";
import { MAX_PORT } from "../cli/common.ts";

/** Status codes whose Location `get -L` follows (RFC 9110 §15.4.2–§15.4.9). */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Where one request goes: an http origin and a request-target in origin-form. */
export interface Target {
  /** Host name or address, IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
  /** The request-target, starting with `/`. */
  readonly path: string;
}

/** What to do with a response when following redirects. */
export type RedirectPlan =
  | { readonly kind: "final" }
  | {
    readonly kind: "follow";
    readonly target: Target;
    /** The absolute URL followed, as get spells it (no fragment, no port 80), for messages. */
    readonly url: string;
    /** The Location field as received. */
    readonly location: string;
  }
  | { readonly kind: "refuse"; readonly reason: string };

/** Options of {@linkcode planRedirect}. */
export interface RedirectPolicy {
  /** The first target: only its origin is followed unless `anyHost`. */
  readonly origin: Target;
  /** Follow redirects to other hosts and ports too (`--location-any-host`). */
  readonly anyHost: boolean;
}

/** The five components of a URI reference (RFC 3986 §3); null when absent. */
interface UriParts {
  readonly scheme: string | null;
  readonly authority: string | null;
  readonly path: string;
  readonly query: string | null;
  readonly fragment: string | null;
}

/** RFC 3986 Appendix B: splits any string into the five components. */
const URI_SPLIT = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s;

/** RFC 3986 §3.1. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

/** RFC 3986 §2: unreserved, reserved and pct-encoded; everything else must be encoded. */
const URI_CHARACTERS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;

/** Splits any string into the five components without judging them (RFC 3986 Appendix B). */
function splitUri(text: string): UriParts {
  const [, scheme = null, authority = null, path, query = null, fragment = null] = URI_SPLIT
    .exec(text)!;
  return { scheme, authority, path, query, fragment };
}

/**
 * Splits a URI reference into its components, or returns null when it is not a valid
 * URI-reference (RFC 3986 §4.1): characters outside the grammar, a bad scheme, a second `#`,
 * or brackets outside the authority.
 */
function parseUriReference(text: string): UriParts | null {
  if (!URI_CHARACTERS.test(text)) return null;
  const parts = splitUri(text);
  if (parts.scheme !== null && !SCHEME.test(parts.scheme)) return null;
  if (/[[\]]/.test(parts.path + (parts.query ?? "")) || /[#[\]]/.test(parts.fragment ?? "")) {
    return null;
  }
  return parts;
}

/**
 * Removes `.` and `..` segments from a path (RFC 3986 §5.2.4), input buffer to output buffer.
 */
function removeDotSegments(path: string): string {
  let input = path;
  let output = "";
  const dropLastSegment = () => {
    output = output.slice(0, Math.max(0, output.lastIndexOf("/")));
  };
  while (input !== "") {
    if (input.startsWith("../")) input = input.slice(3);
    else if (input.startsWith("./")) input = input.slice(2);
    else if (input.startsWith("/./")) input = input.slice(2);
    else if (input === "/.") input = "/";
    else if (input.startsWith("/../")) {
      input = input.slice(3);
      dropLastSegment();
    } else if (input === "/..") {
      input = "/";
      dropLastSegment();
    } else if (input === "." || input === "..") input = "";
    else {
      const end = input.indexOf("/", 1);
      const segment = end === -1 ? input : input.slice(0, end);
      output += segment;
      input = input.slice(segment.length);
    }
  }
  return output;
}

/** Merges a relative path with the base's (RFC 3986 §5.2.3). */
function mergePaths(base: UriParts, path: string): string {
  if (base.authority !== null && base.path === "") return `/${path}`;
  return base.path.slice(0, base.path.lastIndexOf("/") + 1) + path;
}

/** Resolves a reference against an absolute base, the strict way (RFC 3986 §5.2.2). */
function resolveParts(base: UriParts, ref: UriParts): UriParts {
  const fragment = ref.fragment;
  if (ref.scheme !== null) return { ...ref, path: removeDotSegments(ref.path) };
  if (ref.authority !== null) {
    return { ...ref, scheme: base.scheme, path: removeDotSegments(ref.path) };
  }
  const { scheme, authority } = base;
  if (ref.path === "") {
    return { scheme, authority, path: base.path, query: ref.query ?? base.query, fragment };
  }
  const path = removeDotSegments(ref.path.startsWith("/") ? ref.path : mergePaths(base, ref.path));
  return { scheme, authority, path, query: ref.query, fragment };
}

/** Recomposes components into a URI (RFC 3986 §5.3). */
function formatUri(parts: UriParts): string {
  return (parts.scheme !== null ? `${parts.scheme}:` : "") +
    (parts.authority !== null ? `//${parts.authority}` : "") +
    parts.path +
    (parts.query !== null ? `?${parts.query}` : "") +
    (parts.fragment !== null ? `#${parts.fragment}` : "");
}

/**
 * Resolves a URI reference against an absolute base URI (RFC 3986 §5.2, strict).
 *
 * @param base An absolute URI (split, not validated: it is the target get itself asked).
 * @param reference A URI reference, such as a Location field value.
 * @returns The target URI, or null when the base has no scheme or the reference is not valid.
 * @example
 * ```ts
 * resolveReference("http://a/b/c/d;p?q", "../g"); // "http://a/b/g"
 * resolveReference("http://a/b/c/d;p?q", "http:g"); // "http:g" (strict)
 * ```
 */
export function resolveReference(base: string, reference: string): string | null {
  const baseParts = splitUri(base);
  const refParts = parseUriReference(reference);
  if (baseParts.scheme === null || refParts === null) return null;
  return formatUri(resolveParts(baseParts, refParts));
}

/**
 * Formats a target as an absolute http URL.
 *
 * @param target Host, port and request-target.
 * @returns `http://host[:port]/path`, the port left out when it is 80.
 */
export function formatTargetUrl(target: Target): string {
  const port = target.port === 80 ? "" : `:${target.port}`;
  return `http://${bracketHost(target.host)}${port}${target.path}`;
}

/**
 * Returns whether two targets share an origin (RFC 6454 §5: scheme, host, port; the scheme is
 * always http here). Hosts are compared as written, ignoring case, so two spellings of one
 * address count as different origins: the cautious side.
 *
 * @param a One target.
 * @param b The other.
 * @returns Whether host and port are equal.
 */
export function isSameOrigin(a: Target, b: Target): boolean {
  return a.port === b.port &&
    unbracketHost(a.host).toLowerCase() === unbracketHost(b.host).toLowerCase();
}

/**
 * Chooses the method of the request after a redirect (RFC 9110 §15.4.4): a 303 asks for a
 * retrieval, GET (HEAD stays HEAD); the other redirects keep the method. get sends no other
 * methods, so no request body is ever dropped or replayed.
 *
 * @param status The redirect's status.
 * @param method The method just sent.
 * @returns The next method.
 */
export function redirectMethod(status: number, method: "GET" | "HEAD"): "GET" | "HEAD" {
  return status === 303 && method !== "HEAD" ? "GET" : method;
}

/** User fields that carry credentials or name the origin: never sent on to another origin. */
const ORIGIN_BOUND_FIELDS: ReadonlySet<string> = new Set([
  "host",
  "authorization",
  "proxy-authorization",
  "cookie",
]);

/**
 * Chooses the user's `-H` fields to send to a target: all of them on the first origin; on
 * another origin, all but Host and credentials (Authorization, Proxy-Authorization, Cookie), as
 * curl does, so following a redirect never hands a secret to a host the user did not name.
 *
 * @param headers The `-H` fields.
 * @param sameOrigin Whether the target has the first request's origin.
 * @returns The fields to send.
 */
export function fieldsForOrigin(headers: readonly Header[], sameOrigin: boolean): Header[] {
  return sameOrigin
    ? [...headers]
    : headers.filter(([name]) => !ORIGIN_BOUND_FIELDS.has(name.toLowerCase()));
}

/**
 * Quotes a value from the network for a one-line message: quotes and backslashes escaped, and
 * `\xNN` for any byte outside printable ASCII, so nothing a server sent can steer the terminal.
 */
function quote(text: string): string {
  const escaped = text.replace(/["\\]/g, "\\$&").replace(
    /[^\x20-\x7e]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
  return `"${escaped}"`;
}

/**
 * Decides whether a response is a redirect to follow and where to (RFC 9110 §10.2.2, §15.4):
 * a 301, 302, 303, 307 or 308 with one Location, resolved against the target just asked, must
 * be an http URL with a host, no user information and a valid port, on the first origin unless
 * `anyHost`. A redirect without a Location is the final response (there is nowhere to go).
 *
 * @param head The response's status and fields.
 * @param from The target that was asked.
 * @param policy The first origin, and whether other hosts may be followed.
 * @returns `final`, `follow` with the next target, or `refuse` with a one-line reason.
 */
export function planRedirect(
  head: { readonly status: number; readonly fields: readonly (readonly [string, string])[] },
  from: Target,
  policy: RedirectPolicy,
): RedirectPlan {
  if (!REDIRECT_STATUSES.has(head.status)) return { kind: "final" };
  const locations = head.fields.filter(([name]) => name.toLowerCase() === "location");
  if (locations.length === 0) return { kind: "final" };
  const refuse = (
    why: string,
  ) => ({ kind: "refuse", reason: `Not following the redirect: ${why}` } as const);
  if (locations.length > 1) return refuse(`the response has ${locations.length} Location fields`);
  const location = locations[0][1];
  const ref = parseUriReference(location);
  if (ref === null) return refuse(`Location ${quote(location)} is not a valid URI reference`);
  const parts = resolveParts(splitUri(formatTargetUrl(from)), ref);
  const url = formatUri({ ...parts, fragment: null });
  const scheme = parts.scheme!.toLowerCase();
  if (scheme !== "http") {
    return refuse(
      scheme === "https"
        ? `${quote(url)} is https://, and get speaks only plain http://`
        : `${quote(url)} is not an http:// URL`,
    );
  }
  if (parts.authority === null || parts.authority === "") {
    return refuse(`${quote(url)} has no host`);
  }
  if (parts.authority.includes("@")) {
    return refuse(`${quote(url)} carries user information (RFC 9110 §4.2.4)`);
  }
  const authority = parseAuthority(parts.authority);
  const bracketed = authority?.host.startsWith("[") ?? false;
  if (
    authority === null || authority.host === "" || authority.host.includes("%") ||
    (bracketed && classifyHost(authority.host).kind !== "ipv6")
  ) {
    return refuse(`${quote(url)} has no valid host`);
  }
  const port = authority.port === null || authority.port === "" ? 80 : Number(authority.port);
  if (port < 1 || port > MAX_PORT) return refuse(`${quote(url)} has no valid port`);
  const target: Target = {
    host: unbracketHost(authority.host),
    port,
    // RFC 9112 §3.2.1: an empty path is sent as "/"; the fragment is never sent.
    path: (parts.path === "" ? "/" : parts.path) + (parts.query !== null ? `?${parts.query}` : ""),
  };
  const followed = formatTargetUrl(target);
  if (!policy.anyHost && !isSameOrigin(target, policy.origin)) {
    return refuse(
      `${quote(followed)} is on another host or port (add --location-any-host to follow it)`,
    );
  }
  return { kind: "follow", target, url: followed, location };
}
