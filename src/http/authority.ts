/**
 * Authorities (RFC 3986 §3.2): the `host[:port]` of a Host field or an absolute-form target,
 * parsed strictly, and the one rule that decides whether a host names this machine.
 *
 * The loopback Host check defends against DNS rebinding, so it must not be fooled by a DNS name
 * that merely looks like an address (`127.0.0.1.nip.io`, `127.attacker.example`): IPv4 literals
 * are exactly four decimal octets, IPv6 literals are parsed, and the only names accepted are
 * `localhost` and `*.localhost` (RFC 6761 §6.3), which browsers resolve to loopback themselves.
 *
 * @module
 */

/** A syntactically valid authority, split into host and port. */
export interface Authority {
  /** The host as written, lower-cased; an IPv6 literal keeps its brackets. */
  readonly host: string;
  /** The port digits, or null when there is no `:port`. */
  readonly port: string | null;
}

/** What a host is, by syntax alone. */
export type HostKind =
  | { readonly kind: "ipv4"; readonly octets: readonly number[] }
  | { readonly kind: "ipv6"; readonly groups: readonly number[] }
  | { readonly kind: "name" };

/** RFC 3986 §3.2.2 reg-name characters besides pct-encoded: unreserved and sub-delims. */
const REG_NAME = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;

/** RFC 3986 §3.2.3: a port is digits only (possibly none). */
const PORT = /^[0-9]*$/;

/** RFC 3986 §3.2.2 IPvFuture: "v" HEXDIG "." then unreserved, sub-delims or ":". */
const IP_FUTURE = /^v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+$/;

/**
 * Parses an authority strictly: `host [":" port]` where host is an IP literal in brackets or a
 * reg-name (which covers IPv4), and port is digits. Userinfo is not allowed (RFC 9110 §4.2.4).
 * An empty authority is valid (RFC 9112 §3.2 lets a client send an empty Host).
 *
 * @param text The authority as received.
 * @returns Host and port, or null when the syntax is invalid (→ 400).
 * @example
 * ```ts
 * parseAuthority("127.0.0.1:8080");   // { host: "127.0.0.1", port: "8080" }
 * parseAuthority("[::1]");            // { host: "[::1]", port: null }
 * parseAuthority("a:1:2");            // null: two ports
 * ```
 */
export function parseAuthority(text: string): Authority | null {
  let host: string;
  let rest: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1) return null;
    host = text.slice(0, close + 1);
    const inner = host.slice(1, -1);
    if (parseIpv6(inner) === null && !IP_FUTURE.test(inner)) return null;
    rest = text.slice(close + 1);
  } else {
    const colon = text.indexOf(":");
    host = colon === -1 ? text : text.slice(0, colon);
    rest = colon === -1 ? "" : text.slice(colon);
    if (!REG_NAME.test(host)) return null;
  }
  if (rest === "") return { host: host.toLowerCase(), port: null };
  if (rest[0] !== ":") return null;
  const port = rest.slice(1);
  return PORT.test(port) ? { host: host.toLowerCase(), port } : null;
}

/**
 * Classifies a host (as in {@linkcode Authority.host}, or a bare address) by syntax.
 *
 * @param host A host, an IPv6 literal with or without brackets.
 * @returns An IPv4 or IPv6 address with its parts, or a name.
 */
export function classifyHost(host: string): HostKind {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const octets = parseIpv4(bare);
  if (octets !== null) return { kind: "ipv4", octets };
  const groups = parseIpv6(bare);
  if (groups !== null) return { kind: "ipv6", groups };
  return { kind: "name" };
}

/**
 * Parses a dotted-decimal IPv4 address: exactly four octets 0–255 in decimal, without leading
 * zeros (which some parsers read as octal), so `127.1`, `0x7f.0.0.1` and `127.0.0.01` are names.
 *
 * @param text The candidate address.
 * @returns The four octets, or null.
 */
export function parseIpv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const octets: number[] = [];
  for (const part of parts) {
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    octets.push(value);
  }
  return octets;
}

/**
 * Parses an IPv6 address (RFC 4291 §2.2): eight 16-bit groups, at most one `::`, and an optional
 * dotted IPv4 tail. A zone id (`%eth0`) is not accepted: it has no meaning in a Host field.
 *
 * @param text The address without brackets.
 * @returns The eight groups, or null.
 */
export function parseIpv6(text: string): number[] | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === "") return [];
    const groups: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (v4 === null) return null;
        groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(piece)) {
        groups.push(parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return groups;
  };
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  if (head === null || tail === null) return null;
  // An IPv4 tail is only allowed at the very end.
  if (halves.length === 2 && halves[0].includes(".")) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  return [...head, ...new Array(missing).fill(0), ...tail];
}

/**
 * Returns whether an address is a loopback address: 127.0.0.0/8, `::1`, or an IPv4-mapped
 * (`::ffff:127.x.y.z`) loopback address. Names are never loopback here.
 *
 * @param ip An address as the kernel reports it, or as written in a Host.
 * @returns Whether only this machine can have it.
 */
export function isLoopbackAddress(ip: string): boolean {
  const host = classifyHost(ip);
  if (host.kind === "ipv4") return host.octets[0] === 127;
  if (host.kind !== "ipv6") return false;
  const g = host.groups;
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return true;
  // ::ffff:a.b.c.d carries an IPv4 address (RFC 4291 §2.5.5.2).
  return g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff && g[6] >> 8 === 127;
}

/**
 * Returns whether a host names this machine: a loopback address literal, `localhost`, or a name
 * under `.localhost` (RFC 6761 §6.3). Nothing else, however much it looks like an address.
 *
 * @param host A host from {@linkcode parseAuthority} (lower-case, brackets kept).
 * @returns Whether it is this machine.
 */
export function isLocalHostName(host: string): boolean {
  const kind = classifyHost(host);
  if (kind.kind !== "name") return isLoopbackAddress(host);
  if (host === "localhost") return true;
  // Each label must be non-empty: ".localhost" and "a..localhost" are not names.
  return host.endsWith(".localhost") &&
    host.slice(0, -".localhost".length).split(".").every((label) => label !== "");
}

/**
 * Returns whether an authority (a Host field or an absolute-form authority) names this
 * machine. A request without one (HTTP/1.0) passes: it cannot come from a browser's page.
 *
 * @param authority The authority, or null.
 * @returns Whether it names this machine; an unparsable authority never does.
 */
export function isLocalAuthority(authority: string | null): boolean {
  if (authority === null) return true;
  // Every request on a connection names the same Host: answer a repeat without parsing.
  if (authority === lastAuthority) return lastIsLocal;
  const parsed = parseAuthority(authority);
  lastIsLocal = parsed !== null && isLocalHostName(parsed.host);
  lastAuthority = authority;
  return lastIsLocal;
}

let lastAuthority: string | null = null;
let lastIsLocal = false;

/**
 * Returns an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) as the IPv4 address it carries, and any
 * other address unchanged.
 *
 * @param ip An address as the kernel reports it.
 * @returns The address to show.
 */
export function unmapAddress(ip: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return match !== null && parseIpv4(match[1]) !== null ? match[1] : ip;
}

/**
 * Formats a host for a URL or an `ip:port` pair: IPv6 literals in brackets (RFC 3986 §3.2.2).
 *
 * @param host An address or name, IPv6 without brackets.
 * @returns The host as it goes before `:port`.
 */
export function bracketHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/**
 * Removes the brackets of an IPv6 literal (`[::1]` → `::1`); anything else is returned as is.
 *
 * @param host A host as written in a URL or on the command line.
 * @returns The bare address or name.
 */
export function unbracketHost(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}
