/**
 * Content codings (RFC 9110 §8.4): which codings sockserve can send, reading Accept-Encoding
 * (§12.5.3) exactly, choosing the coding of a response, the entity-tag of each coded form
 * (§8.8.3), whether a media type is worth compressing (mime-db's `compressible` flag), and
 * whether a Cache-Control value forbids transforming the content (RFC 9111 §5.2.2.6).
 *
 * Pure: a field value in, a decision out.
 *
 * @module
 */

import { MAX_REMEMBERED_ACCEPT_ENCODINGS } from "../limits.ts";
import { COMPRESSIBLE_TYPES, INCOMPRESSIBLE_TYPES } from "./media_db.ts";

/** A content coding sockserve can send (RFC 9110 §8.4.1; zstd: RFC 8878). */
export type ContentCoding = "br" | "zstd" | "gzip";

/** A coding or none: `identity` is the representation as stored (RFC 9110 §12.5.3). */
export type Coding = ContentCoding | "identity";

/**
 * Every coding sockserve can send, best first: on equal weights the smallest result wins (brotli
 * and zstd beat gzip on text; brotli edges out zstd at the levels used).
 */
export const CONTENT_CODINGS: readonly ContentCoding[] = ["br", "zstd", "gzip"];

/** Weights are compared as whole thousandths: a qvalue has at most three decimals. */
const WEIGHT_SCALE = 1000;

/** What an Accept-Encoding field says, as weights in thousandths (0 means "not acceptable"). */
export interface AcceptedCodings {
  /** Codings named in the field, lower case, `x-gzip` read as `gzip`. */
  readonly listed: ReadonlyMap<string, number>;
  /** The weight of `*` (any coding not listed), or null when absent. */
  readonly any: number | null;
}

/** tchar (RFC 9110 §5.6.2), the characters of a token such as a coding name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * qvalue (RFC 9110 §12.4.2): `0` with up to three decimals, or `1` with up to three zeros. The
 * `q` is case-insensitive like every ABNF literal (RFC 5234 §2.3); no spaces around `=`.
 */
const WEIGHT = /^[qQ]=(?:(0)(?:\.(\d{0,3}))?|(1)(?:\.0{0,3})?)$/;

/**
 * Reads a qvalue as thousandths, exactly: `0.501` is 501, `1.000` is 1000.
 *
 * @param text The parameter, e.g. `q=0.5`.
 * @returns Thousandths, or null when malformed (`q=1.5`, `q=0.5001`, `q = 1`).
 */
export function parseWeight(text: string): number | null {
  const match = WEIGHT.exec(text);
  if (match === null) return null;
  if (match[3] !== undefined) return WEIGHT_SCALE;
  return Number((match[2] ?? "").padEnd(3, "0"));
}

/**
 * Parses Accept-Encoding (RFC 9110 §12.5.3): `#( codings [ weight ] )`.
 *
 * Coding names are case-insensitive (§8.4.1) and `x-gzip` is `gzip` (§8.4.1.3). A member that does
 * not follow the grammar (a malformed or repeated weight, another parameter) is left out, as if
 * it had not been sent. A coding named twice counts with its lowest weight, so a refusal
 * (`q=0`) is never overridden by a later mention.
 *
 * @param value The field value (repeated fields already joined with ", ").
 * @returns The weights.
 * @example
 * ```ts
 * parseAcceptEncoding("gzip;q=0.501, BR;q=0.502"); // listed: gzip → 501, br → 502
 * ```
 */
export function parseAcceptEncoding(value: string): AcceptedCodings {
  const listed = new Map<string, number>();
  let any: number | null = null;
  for (const member of value.split(",")) {
    const parts = member.split(";").map((part) => part.trim());
    const name = parts[0].toLowerCase();
    if (name === "" || !TOKEN.test(name) || parts.length > 2) continue;
    const weight = parts.length === 2 ? parseWeight(parts[1]) : WEIGHT_SCALE;
    if (weight === null) continue;
    if (name === "*") {
      any = Math.min(any ?? weight, weight);
      continue;
    }
    const coding = name === "x-gzip" ? "gzip" : name;
    listed.set(coding, Math.min(listed.get(coding) ?? weight, weight));
  }
  return { listed, any };
}

/** Accept-Encoding values already parsed: browsers send a few fixed strings, request after request. */
const parsedAccepts = new Map<string, AcceptedCodings>();

/** {@linkcode parseAcceptEncoding}, remembered for the values seen last (results are read-only). */
function acceptedCodings(value: string): AcceptedCodings {
  let accepted = parsedAccepts.get(value);
  if (accepted === undefined) {
    accepted = parseAcceptEncoding(value);
    // A client that sends a new value every time gets no memory, not unbounded memory.
    if (parsedAccepts.size >= MAX_REMEMBERED_ACCEPT_ENCODINGS) parsedAccepts.clear();
    parsedAccepts.set(value, accepted);
  }
  return accepted;
}

/**
 * Chooses the coding of a response (RFC 9110 §12.5.3): the available coding the client weighs
 * highest, ties broken by {@linkcode CONTENT_CODINGS} order; identity when no coding is
 * acceptable, or when identity is weighed higher than every coding. Without the field, identity
 * (no coding is wanted by a client that says nothing). Identity is acceptable unless the field
 * refuses it by `identity;q=0`, or by `*;q=0` without naming identity.
 *
 * @param value The Accept-Encoding value, or undefined when the request has none.
 * @param available The codings this response could be sent in.
 * @returns The coding, or null when nothing acceptable is available (→ 406).
 * @example
 * ```ts
 * negotiateCoding("gzip, br", ["br", "zstd", "gzip"]);       // "br"
 * negotiateCoding("identity;q=0", []);                        // null
 * ```
 */
export function negotiateCoding(
  value: string | undefined,
  available: readonly ContentCoding[],
): Coding | null {
  if (value === undefined) return "identity";
  const { listed, any } = acceptedCodings(value);
  let best: ContentCoding | null = null;
  let bestWeight = 0;
  for (const coding of CONTENT_CODINGS) {
    if (!available.includes(coding)) continue;
    const weight = listed.get(coding) ?? any ?? 0;
    if (weight > bestWeight) {
      best = coding;
      bestWeight = weight;
    }
  }
  const identity = listed.get("identity") ?? any;
  // Not named and no `*`: identity is acceptable, but after any coding the client asked for.
  if (identity === null) return best ?? "identity";
  if (best !== null && bestWeight >= identity) return best;
  return identity > 0 ? "identity" : null;
}

/**
 * Makes the entity-tag of a coded form of a representation (RFC 9110 §8.8.3: a strong tag
 * names one sequence of bytes, so each coding needs its own).
 *
 * @param etag The identity representation's quoted strong tag.
 * @param coding The coding.
 * @returns The tag with `-<coding>` inside its quotes.
 * @example
 * ```ts
 * codedETag('"2a-400-18bcfe56800"', "br"); // "\"2a-400-18bcfe56800-br\""
 * ```
 */
export function codedETag(etag: string, coding: ContentCoding): string {
  return `${etag.slice(0, -1)}-${coding}"`;
}

/**
 * Media types that are text by construction (as the `compressible` package decides for types
 * mime-db does not mark); mime-db's flag overrides it where the two differ.
 */
const TEXT_LIKE = /^text\/|\+(?:json|text|xml)$/;

/** mime-db's exceptions to {@linkcode TEXT_LIKE} (from the generated table `media_db.ts`). */
const COMPRESSIBLE = new Set(COMPRESSIBLE_TYPES.split("\n").filter((type) => type !== ""));
const INCOMPRESSIBLE = new Set(INCOMPRESSIBLE_TYPES.split("\n").filter((type) => type !== ""));

/**
 * The type sockserve sends for a file it cannot name: mime-db marks it compressible (for
 * `.bin`, `.exe`, `.iso`…), but here it mostly stands for content nobody described, `FILE.br`
 * and `FILE.zst` among them, so it is never compressed.
 */
const UNKNOWN_TYPE = "application/octet-stream";

/** Answers already given: a server sees a handful of media types, all from mime-db. */
const compressibleCache = new Map<string, boolean>();

/**
 * Returns whether a media type is worth compressing: mime-db's `compressible` flag, else true for
 * `text/*` and `+json`, `+text`, `+xml` types (as the `compressible` package decides); never
 * `application/octet-stream`, the type of unknown content.
 *
 * @param contentType A Content-Type value; parameters are ignored.
 * @returns Whether to compress it.
 * @example
 * ```ts
 * isCompressible("text/html; charset=utf-8"); // true
 * isCompressible("image/png");                // false
 * ```
 */
export function isCompressible(contentType: string): boolean {
  let answer = compressibleCache.get(contentType);
  if (answer === undefined) {
    const type = contentType.split(";")[0].trim().toLowerCase();
    answer = type !== UNKNOWN_TYPE && !INCOMPRESSIBLE.has(type) &&
      (COMPRESSIBLE.has(type) || TEXT_LIKE.test(type));
    compressibleCache.set(contentType, answer);
  }
  return answer;
}

/**
 * Returns whether a Cache-Control value carries `no-transform` (RFC 9111 §5.2.2.6), which
 * forbids changing the content coding along the way.
 *
 * @param cacheControl The field value, or null.
 * @returns Whether it has the directive (names are case-insensitive).
 */
export function hasNoTransform(cacheControl: string | null | undefined): boolean {
  if (!cacheControl) return false;
  return cacheControl.split(",").some((directive) =>
    directive.split("=")[0].trim().toLowerCase() === "no-transform"
  );
}
