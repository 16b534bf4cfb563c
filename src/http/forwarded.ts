/**
 * Who a request came from when a trusted reverse proxy relayed it (pure): CIDR ranges of trusted
 * proxies, the `X-Forwarded-For` list and the RFC 7239 `Forwarded` field, and the choice of the
 * client from them (RFC 7239 §8.1: only hops added by trusted proxies can be believed, so the
 * list is read from the right and the first hop not itself trusted is the client).
 *
 * In: the peer address, the request's fields, the trusted ranges. Out: the client as a string
 * (an address, or the `unknown` / `_obfuscated` identifier a proxy wrote), or null for "the peer
 * is the client". Malformed fields never fail a request: they fall back to the peer.
 *
 * @module
 */

import { parseIpv4, parseIpv6, unmapAddress } from "./authority.ts";
import { MAX_FORWARDED_HOPS } from "../limits.ts";
import type { FieldReader } from "./request_fields.ts";

/** An address range: the first `prefix` bits of `bytes` (4 bytes for IPv4, 16 for IPv6). */
export interface Cidr {
  readonly bytes: readonly number[];
  readonly prefix: number;
}

/** What `--trusted-proxy loopback` means: 127.0.0.0/8 and ::1. */
export const LOOPBACK_CIDRS: readonly string[] = ["127.0.0.0/8", "::1/128"];

/**
 * Parses an address (`10.0.0.1`, `::1`) or a range (`10.0.0.0/8`, `2001:db8::/32`). An IPv4-mapped
 * IPv6 range (`::ffff:10.0.0.0/104`) is the IPv4 range it carries, as peers are unmapped too.
 *
 * @param text The range as written.
 * @returns The range, or null when it is not one (host bits set are allowed and ignored).
 */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf("/");
  const address = slash === -1 ? text : text.slice(0, slash);
  const v6 = parseIpv6(address);
  const bytes = v6 === null ? parseIpv4(address) : v6.flatMap((g) => [g >> 8, g & 0xff]);
  if (bytes === null) return null;
  const max = bytes.length * 8;
  let prefix = max;
  if (slash !== -1) {
    const bits = text.slice(slash + 1);
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(bits) || Number(bits) > max) return null;
    prefix = Number(bits);
  }
  if (bytes.length === 16 && prefix >= 96 && isMapped(bytes)) {
    return { bytes: bytes.slice(12), prefix: prefix - 96 };
  }
  return { bytes, prefix };
}

/**
 * The bytes of an address: 4 for IPv4, 16 for IPv6, an IPv4-mapped IPv6 address as its IPv4
 * bytes; null for anything else.
 */
function addressBytes(address: string): number[] | null {
  const v4 = parseIpv4(address);
  if (v4 !== null) return v4;
  const v6 = parseIpv6(address);
  if (v6 === null) return null;
  const bytes = v6.flatMap((group) => [group >> 8, group & 0xff]);
  return isMapped(bytes) ? bytes.slice(12) : bytes;
}

/** Whether 16 bytes are `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2). */
function isMapped(bytes: readonly number[]): boolean {
  return bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Returns whether an address lies in any of the ranges (IPv4-mapped addresses as IPv4).
 *
 * @param ranges Parsed ranges.
 * @param ip An address; a name or garbage is in no range.
 * @returns Whether it is in one.
 */
export function isInRanges(ranges: readonly Cidr[], ip: string): boolean {
  const bytes = addressBytes(ip);
  if (bytes === null) return false;
  return ranges.some((range) => range.bytes.length === bytes.length && inRange(range, bytes));
}

/** Whether the first `prefix` bits of both agree. */
function inRange({ bytes: net, prefix }: Cidr, bytes: readonly number[]): boolean {
  const whole = prefix >> 3;
  for (let i = 0; i < whole; i++) if (net[i] !== bytes[i]) return false;
  const rest = prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (net[whole] & mask) === (bytes[whole] & mask);
}

/**
 * One hop of a forwarding list: an address, an identifier that hides one (RFC 7239 §6.2
 * `unknown`, §6.3 `_obfuscated`), or something unreadable.
 */
export type Hop =
  | { readonly kind: "address"; readonly ip: string }
  | { readonly kind: "hidden"; readonly token: string }
  | { readonly kind: "garbage" };

/** RFC 7239 §6.3: obfnode = "_" 1*( ALPHA / DIGIT / "." / "_" / "-"). */
const OBFUSCATED = /^_[A-Za-z0-9._-]+$/;
/** RFC 7239 §6: node-port = port / obfport; port = 1*5DIGIT. */
const NODE_PORT = /^(?:[0-9]{1,5}|_[A-Za-z0-9._-]+)$/;

/**
 * Reads one node (RFC 7239 §6): `192.0.2.1`, `192.0.2.1:80`, `[2001:db8::1]`,
 * `[2001:db8::1]:4711`, `unknown`, `_hidden`, each maybe with a port. X-Forwarded-For lists also
 * carry a bare IPv6 address (`2001:db8::1`), which is read too. The port is dropped.
 *
 * @param text The node as written (unquoted).
 * @returns The hop.
 */
export function parseNode(text: string): Hop {
  let name = text;
  if (name.startsWith("[")) {
    const close = name.indexOf("]");
    if (close === -1) return GARBAGE;
    const after = name.slice(close + 1);
    if (after !== "" && !(after.startsWith(":") && NODE_PORT.test(after.slice(1)))) return GARBAGE;
    const v6 = name.slice(1, close);
    return parseIpv6(v6) === null
      ? GARBAGE
      : { kind: "address", ip: unmapAddress(v6.toLowerCase()) };
  }
  if (parseIpv6(name) !== null) return { kind: "address", ip: unmapAddress(name.toLowerCase()) };
  const colon = name.lastIndexOf(":");
  if (colon !== -1) {
    if (!NODE_PORT.test(name.slice(colon + 1))) return GARBAGE;
    name = name.slice(0, colon);
  }
  if (parseIpv4(name) !== null) return { kind: "address", ip: name };
  if (name.toLowerCase() === "unknown") return { kind: "hidden", token: "unknown" };
  if (OBFUSCATED.test(name)) return { kind: "hidden", token: name };
  return GARBAGE;
}

const GARBAGE: Hop = { kind: "garbage" };

/**
 * Parses an `X-Forwarded-For` value: a comma-separated list of nodes, the client first and each
 * proxy appending the address it received from.
 *
 * @param value The field value (repeated fields already joined with ", ").
 * @returns The hops, left to right; an empty element is a garbage hop.
 */
export function parseXForwardedFor(value: string): Hop[] {
  return value.split(",").map((element) => parseNode(element.trim()));
}

/** RFC 9110 §5.6.2 tchar. */
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * Parses a `Forwarded` value (RFC 7239 §4): elements separated by commas, pairs by semicolons,
 * names case-insensitive, values a token or a quoted-string (RFC 9110 §5.6.4, with `\`
 * escapes). Each element's `for=` is its hop; an element without one is `unknown` (§5.2: the
 * proxy did not say).
 *
 * @param value The field value (repeated fields already joined with ", ").
 * @returns The hops left to right, or null when the value does not parse (then no hop of it can
 *   be believed: a quote opened by the client may swallow what a proxy appended).
 */
export function parseForwarded(value: string): Hop[] | null {
  const hops: Hop[] = [];
  let i = 0;
  let hop: Hop | null = null;
  const skipSpace = () => {
    while (value[i] === " " || value[i] === "\t") i++;
  };
  while (true) {
    skipSpace();
    if (i < value.length && value[i] !== "," && value[i] !== ";") {
      const nameStart = i;
      while (i < value.length && TCHAR.test(value[i])) i++;
      const name = value.slice(nameStart, i).toLowerCase();
      if (name === "" || value[i] !== "=") return null;
      i++;
      let text = "";
      if (value[i] === '"') {
        i++;
        while (i < value.length && value[i] !== '"') {
          if (value[i] === "\\") i++;
          if (i < value.length) text += value[i++];
        }
        if (value[i] !== '"') return null;
        i++;
      } else {
        const start = i;
        while (i < value.length && TCHAR.test(value[i])) i++;
        text = value.slice(start, i);
        if (text === "") return null;
      }
      // RFC 7239 §4: each parameter at most once per element.
      if (name === "for") {
        if (hop !== null) return null;
        hop = parseNode(text);
      }
      skipSpace();
    }
    if (i >= value.length || value[i] === ",") {
      hops.push(hop ?? { kind: "hidden", token: "unknown" });
      hop = null;
      if (i >= value.length) return hops;
      i++;
    } else if (value[i] === ";") {
      i++;
    } else {
      return null;
    }
  }
}

/**
 * Chooses the client from the hops (RFC 7239 §8.1): walk from the right, skipping addresses of
 * trusted proxies; the first untrusted address is the client. An `unknown` or obfuscated hop
 * stops the walk — nothing left of it can be checked — and is the client as written. If every
 * hop is trusted, the left-most is. A garbage hop, or more than {@linkcode MAX_FORWARDED_HOPS}
 * trusted hops, gives no answer.
 *
 * @param hops The hops, left to right.
 * @param trusted Whether an address belongs to a trusted proxy.
 * @returns The client, or null for "use the peer".
 */
export function chooseClient(
  hops: readonly Hop[],
  trusted: (ip: string) => boolean,
): string | null {
  const last = Math.max(0, hops.length - MAX_FORWARDED_HOPS);
  for (let i = hops.length - 1; i >= last; i--) {
    const hop = hops[i];
    if (hop.kind === "garbage") return null;
    if (hop.kind === "hidden") return hop.token;
    if (!trusted(hop.ip) || i === 0) return hop.ip;
  }
  return null;
}

/**
 * The client of a request that came from a trusted proxy: from `X-Forwarded-For` when the
 * request has one, else from `Forwarded` (RFC 7239); null when neither names one.
 *
 * X-Forwarded-For comes first although Forwarded is the standard, because it is the field the
 * proxies people run append to by default (nginx's `$proxy_add_x_forwarded_for`, HAProxy's
 * `option forwardfor`, Caddy, Traefik, Envoy, cloud load balancers), while they pass a client's
 * own `Forwarded` through untouched: preferring Forwarded would let any client behind them name
 * itself. A proxy that writes only Forwarded must drop the client's X-Forwarded-For.
 *
 * @param headers The request's fields (lower-case names).
 * @param trusted Whether an address belongs to a trusted proxy.
 * @returns The client, or null for "use the peer".
 */
export function forwardedClient(
  headers: FieldReader,
  trusted: (ip: string) => boolean,
): string | null {
  const xff = headers.get("x-forwarded-for");
  if (xff !== undefined) return chooseClient(parseXForwardedFor(xff), trusted);
  const forwarded = headers.get("forwarded");
  if (forwarded === undefined) return null;
  const hops = parseForwarded(forwarded);
  return hops === null ? null : chooseClient(hops, trusted);
}
