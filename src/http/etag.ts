/**
 * Entity tags (RFC 9110 §8.8.3): making a strong validator from file identity, and reading the
 * entity-tag lists of If-Match and If-None-Match.
 *
 * @module
 */

/** What identifies one version of a file: enough to change whenever its bytes may have. */
export interface FileIdentity {
  readonly size: number;
  /** Modification time in ms since the epoch (sub-second precision where the OS has it). */
  readonly mtimeMs: number | null;
  /** Inode number where the OS has one: a replaced file gets a new tag even with equal size and time. */
  readonly ino: number | null;
}

/**
 * Makes a strong ETag from file identity: `"<ino>-<size>-<mtime>"` in hex.
 *
 * @param identity Size, mtime and inode.
 * @returns The quoted entity-tag.
 * @example
 * ```ts
 * makeETag({ size: 1024, mtimeMs: 1700000000000, ino: 42 }); // "\"2a-400-18bcfe56800\""
 * ```
 */
export function makeETag(identity: FileIdentity): string {
  const parts = [identity.ino ?? 0, identity.size, Math.round(identity.mtimeMs ?? 0)];
  return `"${parts.map((n) => n.toString(16)).join("-")}"`;
}

/** One member of an If-Match / If-None-Match list. */
export interface EntityTag {
  readonly weak: boolean;
  /** The opaque tag including its quotes. */
  readonly tag: string;
}

/** A parsed If-Match / If-None-Match value: `*`, a list of tags, or unparseable. */
export type EntityTagList = "*" | readonly EntityTag[] | null;

/**
 * Parses `"*" / #entity-tag` (RFC 9110 §13.1.1).
 *
 * @param value The field value (repeated fields already joined with ", ").
 * @returns `*`, the tags, or `null` when the value is malformed.
 */
export function parseEntityTags(value: string): EntityTagList {
  const text = value.trim();
  if (text === "*") return "*";
  const tags: EntityTag[] = [];
  // entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc excludes DQUOTE, so no escapes exist.
  const member = /\s*(W\/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)/y;
  let at = 0;
  while (at < text.length) {
    if (text[at] === "," || text[at] === " " || text[at] === "\t") {
      at++;
      continue;
    }
    member.lastIndex = at;
    const match = member.exec(text);
    if (!match) return null;
    tags.push({ weak: match[1] !== undefined, tag: match[2] });
    at = member.lastIndex;
  }
  return tags;
}

/**
 * Strong comparison: both tags strong and identical (RFC 9110 §8.8.3.2).
 */
export function strongMatch(a: EntityTag, current: string): boolean {
  return !a.weak && a.tag === current;
}

/**
 * Weak comparison: the opaque tags are identical, weak or not (RFC 9110 §8.8.3.2).
 */
export function weakMatch(a: EntityTag, current: string): boolean {
  return a.tag === current;
}
