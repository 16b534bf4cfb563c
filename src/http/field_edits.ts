/**
 * Editing the fields of a response (`-H` and the config file's header rules): which fields an
 * operator may set or remove, the syntax of a field name and value (RFC 9110 §5), and applying
 * a list of edits to a response's fields — `set` replaces every field of that name, `remove`
 * deletes them, and `Vary` is merged as a list instead of replaced. Pure.
 *
 * @module
 */

import { MAX_RULE_FIELD_VALUE_BYTES } from "../limits.ts";
import { listMembers, TCHAR } from "./fields.ts";
import type { Header } from "./head.ts";

/** One rule's changes to a response's fields, in the order they apply. */
export interface FieldEdits {
  /** Fields to set: every field of the same name (any case) is replaced by this one. */
  readonly set: readonly Header[];
  /** Lower-case names of fields to delete. */
  readonly remove: readonly string[];
}

/** What an edit does to a field: `set` gives it a value, `remove` deletes it. */
export type EditKind = "set" | "remove";

/**
 * Fields sockserve writes itself from what it sends, or that belong to one connection: letting
 * a rule change them would break the framing of the message or lie about its bytes. Lower-case
 * name → why.
 */
const FORBIDDEN: ReadonlyMap<string, string> = new Map([
  ["content-length", "it frames the message, so sockserve sets it (RFC 9112 §6.2)"],
  ["transfer-encoding", "it frames the message, so sockserve sets it (RFC 9112 §6.1)"],
  ["content-encoding", "it names the coding of the bytes sent, so sockserve sets it (§8.4)"],
  ["content-range", "it describes the part sent, so sockserve sets it (RFC 9110 §14.4)"],
  ["connection", "it is hop-by-hop and sockserve decides it (RFC 9110 §7.6.1)"],
  ["keep-alive", "it is hop-by-hop (RFC 9110 §7.6.1)"],
  ["proxy-connection", "it is hop-by-hop (RFC 9110 §7.6.1)"],
  ["te", "it is hop-by-hop (RFC 9110 §7.6.1)"],
  ["trailer", "it announces trailer fields and sockserve sends none (RFC 9110 §6.6.2)"],
  ["upgrade", "it is hop-by-hop and sockserve speaks HTTP/1.1 only (RFC 9110 §7.8)"],
  ["date", "the connection writes the current time on every response (RFC 9110 §6.6.1)"],
  ["server", "the connection writes it on every response"],
  ["location", "use a redirect rule"],
  ["strict-transport-security", "use --hsts, which keeps it off localhost and IP addresses"],
]);

/** Fields that may be removed but not set: sockserve's own conditional answers depend on them. */
const REMOVE_ONLY: ReadonlyMap<string, string> = new Map([
  ["etag", "304 and 412 are decided with sockserve's own validator (RFC 9110 §13.1)"],
  ["last-modified", "304 and 412 are decided with sockserve's own validator (RFC 9110 §13.1)"],
]);

/** Fields that may be set but not removed. */
const SET_ONLY: ReadonlyMap<string, string> = new Map([
  ["vary", "caches would mix representations; a set Vary is merged instead (RFC 9110 §12.5.5)"],
  ["content-type", "a body needs its media type (RFC 9110 §8.3)"],
]);

/**
 * Says why a field name is not a valid name (RFC 9110 §5.1: a token), or null.
 *
 * @param name The name as written.
 * @returns The reason, or null when it is a token.
 */
export function fieldNameProblem(name: string): string | null {
  if (name === "") return "a field name must not be empty";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff || TCHAR[c] === 0) {
      return `field name ${JSON.stringify(name)} has ${
        JSON.stringify(name[i])
      }: only letters, digits and !#$%&'*+-.^_\`|~ (RFC 9110 §5.1)`;
    }
  }
  return null;
}

/**
 * Says why a text cannot be a field value sockserve sends, or null. RFC 9110 §5.5 forbids CR,
 * LF and NUL outright (they would split the head: response splitting) and other controls;
 * sockserve also keeps heads ASCII and values free of surrounding whitespace, which a
 * recipient would strip.
 *
 * @param value The value as written.
 * @returns The reason, or null.
 */
export function fieldValueProblem(value: string): string | null {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0x00) {
      return "a field value must not contain CR, LF or NUL (RFC 9110 §5.5)";
    }
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      return "a field value must not contain control characters (RFC 9110 §5.5)";
    }
    if (c > 0x7e) return "a field value must be ASCII: percent-encode or use RFC 8187";
  }
  if (/^[ \t]|[ \t]$/.test(value)) return "a field value must not start or end with whitespace";
  if (value.length > MAX_RULE_FIELD_VALUE_BYTES) {
    return `a field value must be at most ${MAX_RULE_FIELD_VALUE_BYTES} bytes`;
  }
  return null;
}

/**
 * Says why a rule may not set or remove a field, or null when it may.
 *
 * @param name The field name (any case).
 * @param kind Whether the rule sets or removes it.
 * @returns The reason, or null.
 */
export function editProblem(name: string, kind: EditKind): string | null {
  const lower = name.toLowerCase();
  const why = FORBIDDEN.get(lower) ?? (kind === "set" ? REMOVE_ONLY : SET_ONLY).get(lower);
  return why === undefined
    ? null
    : `${name} cannot be ${kind === "set" ? "set" : "removed"}: ${why}`;
}

/**
 * Applies edits to a response's fields, in order: `remove` deletes every field of a name,
 * `set` replaces every field of its name with one field. Two fields are special: a set `Vary`
 * adds its members to the Vary the response already has (one field, no repeats; `*` absorbs
 * the rest, RFC 9110 §12.5.5), and a set `Content-Type` leaves a `multipart/byteranges` reply
 * alone, as that type carries the boundary the body is framed with (RFC 9110 §14.6).
 *
 * @param headers The response's fields.
 * @param edits The edits of every rule that applies, in rule order.
 * @returns The new fields (the input is not changed).
 * @example
 * ```ts
 * applyFieldEdits([["Vary", "Accept-Encoding"]], [{ set: [["Vary", "Origin"]], remove: [] }]);
 * // [["Vary", "Accept-Encoding, Origin"]]
 * ```
 */
export function applyFieldEdits(
  headers: readonly Header[],
  edits: readonly FieldEdits[],
): Header[] {
  let out = [...headers];
  for (const edit of edits) {
    if (edit.remove.length > 0) out = out.filter(([name]) => !edit.remove.includes(lower(name)));
    for (const field of edit.set) {
      const name = lower(field[0]);
      if (name === "vary") {
        const merged = mergeVary(out.filter(([n]) => lower(n) === "vary").map(([, v]) => v), field);
        out = [...out.filter(([n]) => lower(n) !== "vary"), merged];
        continue;
      }
      if (name === "content-type" && isMultipartByteranges(out)) continue;
      out = [...out.filter(([n]) => lower(n) !== name), field];
    }
  }
  return out;
}

/** Merges a set Vary into the values a response has, keeping each member once. */
function mergeVary(existing: readonly string[], field: Header): Header {
  const members: string[] = [];
  const seen = new Set<string>();
  for (const value of [...existing, field[1]]) {
    for (const part of value.split(",")) {
      const member = part.trim();
      const key = listMembers(member)[0];
      if (key === undefined || seen.has(key)) continue;
      seen.add(key);
      members.push(member);
    }
  }
  return [field[0], seen.has("*") ? "*" : members.join(", ")];
}

/** Whether a reply's body is multipart/byteranges (a 206 of several ranges). */
function isMultipartByteranges(headers: readonly Header[]): boolean {
  return headers.some(([n, v]) =>
    lower(n) === "content-type" && /^multipart\/byteranges\b/i.test(v)
  );
}

function lower(text: string): string {
  return text.toLowerCase();
}
