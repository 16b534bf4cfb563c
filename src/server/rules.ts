/**
 * Header, redirect and rewrite rules: `-H` on the command line and the `[[headers]]`,
 * `[[redirects]]` and `[[rewrites]]` tables of the config file. In: the rules as plain data
 * (they travel to worker isolates) and, per request, the request path. Out: a redirect, a
 * rewritten path, or the field edits of a response. Pure: the router asks, the server compiles
 * the rules once per isolate.
 *
 * What each stage matches (the README's "Headers, redirects and rewrites" says the same):
 *
 * - Every rule matches the request path decoded once and normalised ({@linkcode requestPath}):
 *   `/a/./b/../caf%C3%A9` is `/a/café`, so an encoding or a dot-segment cannot slip past a rule.
 *   Dot-names are matched like any other (a rule for `/**` covers `/.well-known/`).
 * - Redirects come first and match with a URLPattern (`/old/:id/*`); rewrites come next, once,
 *   and their target is then normalised and resolved like a request (a target above the root is
 *   a 400, a hidden one a 404).
 * - Header rules match the path the client asked for, before any rewrite (the URL a cache keys
 *   on), with a picomatch glob, and apply to every response of that path whatever its status —
 *   304s and errors included — unless the rule names statuses. Responses with no usable path
 *   (a malformed target, a request that could not be parsed) get only the rules for every path
 *   (`/**` or `**`).
 *
 * @module
 */

// @ts-types="npm:@types/picomatch@^4.0.2"
import type picomatchModule from "npm:picomatch@^4.0.3";
import {
  editProblem,
  type FieldEdits,
  fieldNameProblem,
  fieldValueProblem,
} from "../http/field_edits.ts";
import { trimOws } from "../http/fields.ts";
import type { Header } from "../http/head.ts";
import { REASON_PHRASES } from "../http/status.ts";
import { MAX_RULE_ROUTE_PATH_CHARS, MAX_RULE_ROUTES, MAX_RULES } from "../limits.ts";
import { type NormalizedPath, normalizePath } from "./resolver.ts";

/** Fields to set or remove on the responses for the paths a glob matches. */
export interface HeaderRule {
  /** A picomatch glob on the decoded, normalised request path: `/assets/**`, `**\/*.js`. */
  readonly glob: string;
  /** Only responses with one of these statuses; every status when absent. */
  readonly status?: readonly number[];
  /** Field name → value: replaces every field of that name (Vary is merged instead). */
  readonly set?: Readonly<Record<string, string>>;
  /** Field names to delete. */
  readonly remove?: readonly string[];
}

/** The statuses a redirect rule may answer with (RFC 9110 §15.4). */
export type RedirectStatus = 301 | 302 | 303 | 307 | 308;

/** A redirect: requests whose path `from` matches get `to` as their Location. */
export interface RedirectRule {
  /** A URLPattern pathname: `/old/:id/*`. */
  readonly from: string;
  /** A path (`/new/:id`) or an http(s) URL; `:name`, `:0` and `*` insert what `from` captured. */
  readonly to: string;
  /** The status. @default 301 */
  readonly status?: RedirectStatus;
}

/** A rewrite: requests whose path `from` matches are served from `to` instead. */
export interface RewriteRule {
  /** A URLPattern pathname: `/app/*`. */
  readonly from: string;
  /** A path on this server, with the same insertions as a redirect's `to`. */
  readonly to: string;
}

/** Every rule of a server, in the order they apply. Plain data: it is posted to workers. */
export interface Rules {
  /** Header rules, `-H` first: a later rule sees what earlier ones left. */
  readonly headers: readonly HeaderRule[];
  /** Redirects: the first whose `from` matches answers. */
  readonly redirects: readonly RedirectRule[];
  /** Rewrites: the first whose `from` matches, once. */
  readonly rewrites: readonly RewriteRule[];
}

/** No rules at all: the server then does no rule work per request. */
export const NO_RULES: Rules = { headers: [], redirects: [], rewrites: [] };

/** The status a redirect rule gets without one: understood by every client, HTTP/1.0 too. */
export const DEFAULT_REDIRECT_STATUS: RedirectStatus = 301;

/** The glob of `-H` rules: every path. */
export const EVERY_PATH = "/**";

/** Where in the rules a value was refused: keys and indexes, e.g. `["headers", 2, "glob"]`. */
export type RulePath = readonly (string | number)[];

/** The result of {@linkcode checkRules}. */
export type RulesCheck =
  | { readonly ok: true; readonly rules: Rules }
  | { readonly ok: false; readonly at: RulePath; readonly reason: string };

/**
 * picomatch's options for every glob: dot-names match like other names (a rule for `/**` must
 * not skip `/.well-known/`), POSIX paths whatever the OS (backslash escapes), and an unclosed
 * bracket is an error instead of a literal `[`.
 */
const GLOB_OPTIONS: picomatchModule.PicomatchOptions = {
  dot: true,
  windows: false,
  strictBrackets: true,
};

/**
 * picomatch, once {@linkcode loadGlobs} has imported it: it is CommonJS, and Deno's CommonJS
 * loader alone costs ~4 MB of resident memory that a server without header rules need not hold.
 */
let picomatch: typeof picomatchModule | null = null;

/**
 * Imports the glob library. Checking or compiling header rules needs it first: the command line
 * loads it when it reads a config file, `serve()` when it has header rules.
 */
export async function loadGlobs(): Promise<void> {
  picomatch ??= (await import("npm:picomatch@^4.0.3")).default as typeof picomatchModule;
}

/** picomatch, which {@linkcode loadGlobs} must have imported (a bug otherwise, not bad input). */
function globs(): typeof picomatchModule {
  if (picomatch === null) throw new Error("Header rules need the glob library: call loadGlobs()");
  return picomatch;
}

/** Redirect statuses, for checking. */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Statuses a header rule may name: those sockserve sends (1xx never carries rule fields). */
const RULE_STATUSES: ReadonlySet<number> = new Set(
  Object.keys(REASON_PHRASES).map(Number).filter((s) => s >= 200),
);

/** What a URI may hold unencoded (RFC 3986 §2): a rule's `to` must keep to it. */
const URI_CHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@/%?#]/;

/** A refusal inside {@linkcode checkRules}: thrown by the checks, returned as a value. */
class Refused {
  constructor(readonly at: RulePath, readonly reason: string) {}
}

/**
 * Checks rules as a TOML parser returns them (`{ headers: [{ glob, set, … }], redirects: […],
 * rewrites: […] }`, a missing list is empty) and returns them as plain {@linkcode Rules}. Every
 * glob and pattern is compiled, every field name and value checked, every insertion in a `to`
 * checked against what its `from` captures.
 *
 * @param input The parsed tables.
 * @returns The rules, or where and why they are refused.
 * @example
 * ```ts
 * checkRules({ headers: [{ glob: "/a/**", set: { "Content-Length": "1" } }] });
 * // { ok: false, at: ["headers", 0, "set", "Content-Length"], reason: "Content-Length cannot be set: …" }
 * ```
 */
export function checkRules(input: unknown): RulesCheck {
  try {
    const top = table(input, [], ["headers", "redirects", "rewrites"]);
    return {
      ok: true,
      rules: {
        headers: list(top.headers, ["headers"]).map((rule, i) =>
          checkHeaderRule(rule, ["headers", i])
        ),
        redirects: list(top.redirects, ["redirects"]).map((rule, i) =>
          checkRedirectRule(rule, ["redirects", i])
        ),
        rewrites: list(top.rewrites, ["rewrites"]).map((rule, i) =>
          checkRewriteRule(rule, ["rewrites", i])
        ),
      },
    };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, at: error.at, reason: error.reason };
    throw error;
  }
}

/**
 * Reads one `-H 'Name: value'` option: a header rule that sets the field on every response.
 *
 * @param text The option's value.
 * @returns The rule, or why it is refused.
 * @example
 * ```ts
 * parseHeaderOption("X-Frame-Options: DENY");
 * // { ok: true, rule: { glob: "/**", set: { "X-Frame-Options": "DENY" } } }
 * ```
 */
export function parseHeaderOption(
  text: string,
): { readonly ok: true; readonly rule: HeaderRule } | {
  readonly ok: false;
  readonly reason: string;
} {
  const colon = text.indexOf(":");
  if (colon === -1) return { ok: false, reason: "write it as 'Name: value'" };
  const name = text.slice(0, colon);
  const value = trimOws(text.slice(colon + 1));
  const problem = fieldNameProblem(name) ??
    (value === "" ? "give a value (a config file rule can remove a field)" : null) ??
    fieldValueProblem(value) ?? editProblem(name, "set");
  if (problem !== null) return { ok: false, reason: problem };
  return { ok: true, rule: { glob: EVERY_PATH, set: { [name]: value } } };
}

/**
 * Joins two sets of rules, `first`'s before `second`'s in each list: for the command line's
 * `-H` rules and the config file's, the file's per-path rules come later and so win.
 *
 * @param first The earlier rules.
 * @param second The later rules.
 * @returns Both.
 */
export function mergeRules(first: Rules, second: Rules): Rules {
  return {
    headers: [...first.headers, ...second.headers],
    redirects: [...first.redirects, ...second.redirects],
    rewrites: [...first.rewrites, ...second.rewrites],
  };
}

// ── Checking ─────────────────────────────────────────────────────────────────────────────────

function checkHeaderRule(input: unknown, at: RulePath): HeaderRule {
  const rule = table(input, at, ["glob", "status", "set", "remove"]);
  const glob = required(rule.glob, [...at, "glob"]);
  const problem = globProblem(glob);
  if (problem !== null) throw new Refused([...at, "glob"], problem);
  const status = rule.status === undefined
    ? undefined
    : checkStatuses(rule.status, [...at, "status"]);
  const set = rule.set === undefined ? undefined : checkSet(rule.set, [...at, "set"]);
  const remove = rule.remove === undefined
    ? undefined
    : checkRemove(rule.remove, [...at, "remove"]);
  if (Object.keys(set ?? {}).length === 0 && (remove ?? []).length === 0) {
    throw new Refused(at, "a header rule needs set or remove");
  }
  for (const [i, name] of (remove ?? []).entries()) {
    const both = Object.keys(set ?? {}).find((n) => n.toLowerCase() === name.toLowerCase());
    if (both !== undefined) {
      throw new Refused([...at, "remove", i], `${name} is both set and removed`);
    }
  }
  return {
    glob,
    ...(status === undefined ? {} : { status }),
    ...(set === undefined ? {} : { set }),
    ...(remove === undefined ? {} : { remove }),
  };
}

/**
 * Says why a glob is refused, or null. It must start where paths start (`/`, or `**` for any
 * depth): a glob like `*.js` would never match and is surely a mistake.
 */
function globProblem(glob: string): string | null {
  if (glob !== "**" && !glob.startsWith("/") && !glob.startsWith("**/")) {
    return 'a glob matches the whole path: start it with "/" or "**/"';
  }
  const compile = globs();
  try {
    compile(glob, GLOB_OPTIONS);
  } catch (error) {
    return `not a glob: ${firstLine(error)}`;
  }
  return null;
}

function checkStatuses(input: unknown, at: RulePath): number[] {
  if (!Array.isArray(input) || input.length === 0) {
    throw new Refused(at, "status must be a list of status codes, e.g. [200, 304]");
  }
  return input.map((value, i) => {
    const status = integer(value);
    if (status === null || !RULE_STATUSES.has(status)) {
      throw new Refused([...at, i], `sockserve never answers with ${JSON.stringify(value)}`);
    }
    if (input.indexOf(value) !== i) throw new Refused([...at, i], `${status} is listed twice`);
    return status;
  });
}

function checkSet(input: unknown, at: RulePath): Record<string, string> {
  const fields = table(input, at, null);
  const set: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value !== "string") throw new Refused([...at, name], "a field value is a string");
    const problem = fieldNameProblem(name) ?? fieldValueProblem(value) ?? editProblem(name, "set");
    if (problem !== null) throw new Refused([...at, name], problem);
    if (seen.has(name.toLowerCase())) throw new Refused([...at, name], `${name} is set twice`);
    seen.add(name.toLowerCase());
    set[name] = value;
  }
  return set;
}

function checkRemove(input: unknown, at: RulePath): string[] {
  if (!Array.isArray(input)) throw new Refused(at, "remove must be a list of field names");
  return input.map((name, i) => {
    if (typeof name !== "string") throw new Refused([...at, i], "a field name is a string");
    const problem = fieldNameProblem(name) ?? editProblem(name, "remove");
    if (problem !== null) throw new Refused([...at, i], problem);
    return name;
  });
}

function checkRedirectRule(input: unknown, at: RulePath): RedirectRule {
  const rule = table(input, at, ["from", "to", "status"]);
  const from = required(rule.from, [...at, "from"]);
  const pattern = compilePattern(from, [...at, "from"]);
  const to = required(rule.to, [...at, "to"]);
  const target = parseTarget(to, true, [...at, "to"]);
  checkInsertions(target, patternGroups(from), [...at, "to"]);
  if (target.origin === "" && pattern.test({ pathname: placeholderPath(target) })) {
    throw new Refused([...at, "to"], "this target matches from again: every request would loop");
  }
  let status: RedirectStatus | undefined;
  if (rule.status !== undefined) {
    const n = integer(rule.status);
    if (n === null || !REDIRECT_STATUSES.has(n)) {
      throw new Refused([...at, "status"], "a redirect's status is 301, 302, 303, 307 or 308");
    }
    status = n as RedirectStatus;
  }
  return { from, to, ...(status === undefined ? {} : { status }) };
}

function checkRewriteRule(input: unknown, at: RulePath): RewriteRule {
  const rule = table(input, at, ["from", "to"]);
  const from = required(rule.from, [...at, "from"]);
  compilePattern(from, [...at, "from"]);
  const to = required(rule.to, [...at, "to"]);
  const target = parseTarget(to, false, [...at, "to"]);
  checkInsertions(target, patternGroups(from), [...at, "to"]);
  // A target that climbs out whatever is inserted is a 400 for every request: say so now.
  const literal = normalizePath(placeholderPath(target), { dotfiles: true });
  if (literal.kind === "bad") throw new Refused([...at, "to"], literal.reason.toLowerCase());
  return { from, to };
}

/** Compiles a `from`, refusing what cannot be a pathname pattern on a decoded path. */
function compilePattern(from: string, at: RulePath): URLPattern {
  if (!from.startsWith("/")) {
    throw new Refused(at, 'a pattern matches the whole path: start it with "/"');
  }
  // Patterns match the decoded path: an escape in one would never match what it spells.
  if (from.includes("%")) {
    throw new Refused(at, "write characters as they are (é, space), not percent-escapes");
  }
  try {
    return new URLPattern({ pathname: from });
  } catch (error) {
    throw new Refused(at, `not a URL pattern: ${firstLine(error).replace(/^.*?: /, "")}`);
  }
}

function checkInsertions(target: Target, groups: PatternGroups, at: RulePath): void {
  for (const part of target.parts) {
    if (typeof part === "string") continue;
    const known = /^\d+$/.test(part.group)
      ? Number(part.group) < groups.unnamed
      : groups.named.has(part.group);
    if (!known) {
      throw new Refused(at, `${part.written} inserts a group that from does not capture`);
    }
  }
}

/** A table (plain object); with `keys`, one with no other keys. */
function table(
  input: unknown,
  at: RulePath,
  keys: readonly string[] | null,
): Record<string, unknown> {
  if (
    typeof input !== "object" || input === null || Array.isArray(input) ||
    Object.getPrototypeOf(input) !== Object.prototype && Object.getPrototypeOf(input) !== null
  ) {
    throw new Refused(at, "expected a table");
  }
  const record = input as Record<string, unknown>;
  if (keys !== null) {
    for (const key of Object.keys(record)) {
      if (!keys.includes(key) && record[key] !== undefined) {
        throw new Refused([...at, key], `unknown key; expected one of ${keys.join(", ")}`);
      }
    }
  }
  return record;
}

function list(input: unknown, at: RulePath): unknown[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) throw new Refused(at, `expected an array of tables ([[${at[0]}]])`);
  if (input.length > MAX_RULES) throw new Refused(at, `at most ${MAX_RULES} rules`);
  return input;
}

function required(input: unknown, at: RulePath): string {
  if (input === undefined) throw new Refused(at, "missing");
  if (typeof input !== "string") throw new Refused(at, "expected a string");
  if (input === "") throw new Refused(at, "must not be empty");
  return input;
}

/** An integer from a TOML parse (a number, or a bigint when the parser is asked for them). */
function integer(value: unknown): number | null {
  if (typeof value === "bigint") return Number(value);
  return typeof value === "number" && Number.isInteger(value) ? value : null;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

// ── Patterns and targets ─────────────────────────────────────────────────────────────────────

/** The groups a URLPattern pathname captures: `:name`s, and unnamed `*` and `(…)` as 0, 1, …. */
interface PatternGroups {
  readonly named: ReadonlySet<string>;
  readonly unnamed: number;
}

/** A name as URLPattern reads it after `:` (its "valid name code points"). */
const GROUP_NAME = /[$_\p{ID_Start}][$\u200C\u200D\p{ID_Continue}]*/uy;

/**
 * Lists the groups of a pathname pattern, reading it as URLPattern's tokenizer does: `\x`
 * escapes, `:name` with an optional `(regexp)`, an unnamed `(regexp)`, and a `*` that is a
 * wildcard unless it follows a group (then it repeats that group).
 *
 * @param pattern A pattern URLPattern accepted.
 * @returns Its group names and the count of unnamed groups.
 */
export function patternGroups(pattern: string): PatternGroups {
  const named = new Set<string>();
  let unnamed = 0;
  // After a group (or a `}`), one `*`, `+` or `?` is its modifier, not a new group.
  let modifiable = false;
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i];
    if (c === ":") {
      GROUP_NAME.lastIndex = i + 1;
      const name = GROUP_NAME.exec(pattern)?.[0] ?? "";
      named.add(name);
      const end = i + 1 + name.length;
      i = pattern[end] === "(" ? skipRegexp(pattern, end) : end;
      modifiable = true;
    } else if (c === "(") {
      unnamed++;
      i = skipRegexp(pattern, i);
      modifiable = true;
    } else if (c === "*" && !modifiable) {
      unnamed++;
      i++;
      modifiable = true;
    } else {
      modifiable = c === "}";
      i += c === "\\" ? 2 : 1;
    }
  }
  return { named, unnamed };
}

/** Returns the index after the `)` that closes the regexp group opening at `open`. */
function skipRegexp(pattern: string, open: number): number {
  let depth = 0;
  for (let i = open; i < pattern.length; i++) {
    if (pattern[i] === "\\") i++;
    else if (pattern[i] === "(") depth++;
    else if (pattern[i] === ")" && --depth === 0) return i + 1;
  }
  return pattern.length;
}

/** A `to` ready to fill in: literal text and insertions, after an origin for absolute URLs. */
interface Target {
  /** `https://host[:port]` for an absolute URL (never filled in), `""` for a path. */
  readonly origin: string;
  readonly parts: readonly (string | { readonly group: string; readonly written: string })[];
}

/**
 * Reads a `to`: a path starting with one `/`, or (redirects only) an http(s) URL whose scheme
 * and authority are literal. Insertions: `:name` and `:0`, `:1` … for the groups of `from`, and
 * each `*` for the next unnamed group. The rest must be URI characters (RFC 3986 §2), with
 * valid percent-escapes.
 */
function parseTarget(to: string, absoluteAllowed: boolean, at: RulePath): Target {
  let origin = "";
  let rest = to;
  const scheme = /^https?:\/\//i.exec(to);
  if (scheme !== null && absoluteAllowed) {
    const end = to.slice(scheme[0].length).search(/[/?#]/);
    const authorityEnd = end === -1 ? to.length : scheme[0].length + end;
    let url: URL;
    try {
      url = new URL(to.slice(0, authorityEnd));
    } catch {
      throw new Refused(at, "not a URL");
    }
    // userinfo is a classic phishing disguise (RFC 9110 §4.2.4).
    if (url.username !== "" || url.password !== "" || url.host === "") {
      throw new Refused(at, "a redirect URL needs a host and no user name");
    }
    origin = `${url.protocol}//${url.host}`;
    rest = to.slice(authorityEnd);
    if (rest === "") rest = "/";
  } else if (!to.startsWith("/")) {
    throw new Refused(
      at,
      absoluteAllowed
        ? 'a redirect goes to a path starting with "/" or to an http(s):// URL'
        : 'a rewrite goes to a path on this server, starting with "/"',
    );
  } else if (/^\/[/\\]/.test(to)) {
    throw new Refused(at, 'a path starts with one "/": "//" would name another host');
  }
  if (!absoluteAllowed && /[?#]/.test(rest)) {
    throw new Refused(at, "a rewrite goes to a path: no query or fragment");
  }
  const parts: (string | { group: string; written: string })[] = [];
  let unnamed = 0;
  let text = "";
  for (let i = 0; i < rest.length;) {
    const c = rest[i];
    if (c === "*") {
      parts.push(text, { group: String(unnamed++), written: "*" });
      text = "";
      i++;
      continue;
    }
    if (c === ":") {
      const ref = /^:(\d+|[$_\p{ID_Start}][$\u200C\u200D\p{ID_Continue}]*)/u.exec(rest.slice(i));
      if (ref !== null) {
        parts.push(text, { group: ref[1], written: ref[0] });
        text = "";
        i += ref[0].length;
        continue;
      }
    }
    if (c === "%" && !/^%[0-9A-Fa-f]{2}/.test(rest.slice(i))) {
      throw new Refused(at, 'a "%" starts an escape of two hex digits (%25 for "%" itself)');
    }
    if (!URI_CHAR.test(c)) {
      throw new Refused(
        at,
        `${JSON.stringify(c)} must be percent-encoded: ${encodeURIComponent(c)}`,
      );
    }
    text += c;
    i++;
  }
  parts.push(text);
  return { origin, parts: parts.filter((p) => p !== "") };
}

/** A target's path with every insertion as `x`: what a request captured as `x` would get. */
function placeholderPath(target: Target): string {
  const path = target.parts.map((p) => typeof p === "string" ? p : "x").join("");
  return path.replace(/[?#].*$/s, "");
}

// ── Compiled, per isolate ────────────────────────────────────────────────────────────────────

/** A header rule ready to match. */
export interface HeaderMatcher {
  readonly matches: (path: string) => boolean;
  /** Whether the glob matches every path, so the rule also applies where there is none. */
  readonly everyPath: boolean;
  readonly statuses: ReadonlySet<number> | null;
  readonly edits: FieldEdits;
}

/** A redirect or rewrite ready to match. */
interface CompiledMove {
  readonly pattern: URLPattern;
  readonly target: Target;
  readonly status: RedirectStatus;
}

/** A redirect's answer: the status and the Location, before the request's query is added. */
export interface RedirectTo {
  readonly location: string;
  readonly status: RedirectStatus;
}

/** What the rules make of one request path ({@linkcode routeRequest}). */
export interface Route {
  /** The path rules match, or why the request path is malformed. */
  readonly seen: SeenPath;
  /** The first matching redirect, or null. */
  readonly redirect: RedirectTo | null;
  /** The first matching rewrite's path (percent-encoded, not yet normalised), or null. */
  readonly rewritten: string | null;
  /** The header rules whose glob matches (their status filter is applied per response). */
  readonly headers: readonly HeaderMatcher[];
}

/** Rules compiled in one isolate by {@linkcode compileRules}: matchers, not plain data. */
export interface CompiledRules {
  readonly headers: readonly HeaderMatcher[];
  /** The header rules for every path: all that applies to a response without a path. */
  readonly everyPathHeaders: readonly HeaderMatcher[];
  readonly redirects: readonly CompiledMove[];
  readonly rewrites: readonly CompiledMove[];
  /** Apply Windows file-name rules to request paths. */
  readonly windows: boolean;
  /**
   * What the rules made of recent request paths: a URLPattern costs microseconds per match, so
   * a hot path is matched once, not on every request. Oldest first, at most MAX_RULE_ROUTES.
   */
  readonly routes: Map<string, Route>;
}

/** Options for {@linkcode compileRules}. */
export interface CompileOptions {
  /** Match letters in any case (where file names ignore case). @default false */
  readonly ignoreCase?: boolean;
  /** Apply Windows file-name rules to request paths (see `normalizePath`). @default false */
  readonly windows?: boolean;
}

/**
 * Compiles checked rules (from {@linkcode checkRules}) into matchers: picomatch functions and
 * URLPattern objects, built once per isolate because they cannot be posted to one.
 *
 * @param rules The rules.
 * @param options Case and file-name rules.
 * @returns The compiled rules, or null when there are none (the router then skips rules).
 */
export function compileRules(rules: Rules, options: CompileOptions = {}): CompiledRules | null {
  if (rules.headers.length + rules.redirects.length + rules.rewrites.length === 0) return null;
  const ignoreCase = options.ignoreCase ?? false;
  const headers = rules.headers.map((rule): HeaderMatcher => ({
    matches: globs()(rule.glob, { ...GLOB_OPTIONS, nocase: ignoreCase }),
    everyPath: rule.glob === "**" || rule.glob === EVERY_PATH,
    statuses: rule.status === undefined ? null : new Set(rule.status),
    edits: {
      set: Object.entries(rule.set ?? {}) as Header[],
      remove: (rule.remove ?? []).map((name) => name.toLowerCase()),
    },
  }));
  const move = (rule: RedirectRule | RewriteRule, absolute: boolean): CompiledMove => ({
    pattern: new URLPattern({ pathname: rule.from }, { ignoreCase }),
    target: parseTarget(rule.to, absolute, []),
    status: ("status" in rule ? rule.status : undefined) ?? DEFAULT_REDIRECT_STATUS,
  });
  return {
    headers,
    everyPathHeaders: headers.filter((rule) => rule.everyPath),
    redirects: rules.redirects.map((rule) => move(rule, true)),
    rewrites: rules.rewrites.map((rule) => move(rule, false)),
    windows: options.windows ?? false,
    routes: new Map(),
  };
}

/**
 * What the rules make of a request path: the router's one question per request. The answer
 * depends on the path alone, so it is remembered for the MAX_RULE_ROUTES most recent paths of
 * up to MAX_RULE_ROUTE_PATH_CHARS characters: a hot file costs one map lookup.
 *
 * @param rules The compiled rules.
 * @param rawPath The request's path, percent-encoded as sent (`""` when it has none).
 * @returns The route.
 */
export function routeRequest(rules: CompiledRules, rawPath: string): Route {
  const known = rules.routes.get(rawPath);
  if (known !== undefined) return known;
  const seen = requestPath(rawPath, rules.windows);
  const route: Route = seen.kind === "bad"
    ? { seen, redirect: null, rewritten: null, headers: rules.everyPathHeaders }
    : {
      seen,
      redirect: redirectTarget(rules, seen.text),
      rewritten: rewrite(rules, seen.text),
      headers: rules.headers.filter((rule) => rule.everyPath || rule.matches(seen.text)),
    };
  if (rawPath.length <= MAX_RULE_ROUTE_PATH_CHARS) {
    if (rules.routes.size >= MAX_RULE_ROUTES) {
      rules.routes.delete(rules.routes.keys().next().value!);
    }
    rules.routes.set(rawPath, route);
  }
  return route;
}

/** A request path as rules see it ({@linkcode requestPath}). */
export type SeenPath =
  | { readonly kind: "path"; readonly text: string; readonly path: NormalizedPath }
  | { readonly kind: "bad"; readonly reason: string };

/**
 * The path rules match: the request path decoded once and normalised, dot-segments removed,
 * `/` for the root and a trailing `/` for a directory. Dot-names are kept: whether they are
 * served is decided after the rules.
 *
 * @param rawPath The request's path, percent-encoded as sent (`""` when the target has none).
 * @param windows Apply Windows file-name rules.
 * @returns The path as text and as segments, or why there is none (a malformed path is a 400).
 * @example
 * ```ts
 * requestPath("/a/./b/../caf%C3%A9"); // { kind: "path", text: "/a/café", path: … }
 * ```
 */
export function requestPath(rawPath: string, windows = false): SeenPath {
  if (rawPath === "") return { kind: "bad", reason: "The request has no path" };
  const path = normalizePath(rawPath, { dotfiles: true, windows });
  if (path.kind !== "path") return { kind: "bad", reason: path.kind === "bad" ? path.reason : "" };
  return { kind: "path", text: pathText(path), path };
}

/** A normalised path as text: `/a/b`, or `/a/b/` for a directory. */
function pathText(path: NormalizedPath): string {
  const text = "/" + path.segments.join("/");
  return path.directory && path.segments.length > 0 ? text + "/" : text;
}

/**
 * The first redirect whose pattern matches the path, with its Location: the target with the
 * captured groups inserted (as URLPattern canonically encodes them), the request's query kept
 * (after the target's own query), anything that is not a URI character percent-encoded, and a
 * path never starting with `//` — so a capture can neither break the head nor send the client
 * to another host.
 *
 * @param rules The compiled rules.
 * @param path The decoded, normalised path ({@linkcode requestPath}).
 * @param query The request's query without `?`, or null.
 * @returns The Location and status, or null when no redirect matches.
 */
export function matchRedirect(
  rules: CompiledRules,
  path: string,
  query: string | null,
): RedirectTo | null {
  const found = redirectTarget(rules, path);
  return found === null ? null : { ...found, location: withQuery(found.location, query) };
}

/** The first matching redirect with its Location before the query is added. */
function redirectTarget(rules: CompiledRules, path: string): RedirectTo | null {
  if (rules.redirects.length === 0) return null;
  const input = { pathname: patternInput(path) };
  for (const rule of rules.redirects) {
    const match = rule.pattern.exec(input);
    if (match === null) continue;
    let rest = fill(rule.target, match.pathname.groups);
    if (rule.target.origin === "") rest = rest.replace(/^[/\\]+/, "/");
    return { location: rule.target.origin + rest, status: rule.status };
  }
  return null;
}

/**
 * Adds a request's query to a redirect's Location: after the Location's own query (joined with
 * `&`), before its fragment.
 *
 * @param location The Location from the rule.
 * @param query The request's query without `?`, or null.
 * @returns The Location to send.
 */
export function withQuery(location: string, query: string | null): string {
  if (query === null) return location;
  const hash = location.indexOf("#");
  const before = hash === -1 ? location : location.slice(0, hash);
  const fragment = hash === -1 ? "" : location.slice(hash);
  return `${before}${before.includes("?") ? "&" : "?"}${query}${fragment}`;
}

/**
 * The path the first matching rewrite serves instead, or null. The result is still
 * percent-encoded: the router normalises and resolves it like a request's path.
 *
 * @param rules The compiled rules.
 * @param path The decoded, normalised path ({@linkcode requestPath}).
 * @returns The new path, or null.
 */
export function rewrite(rules: CompiledRules, path: string): string | null {
  if (rules.rewrites.length === 0) return null;
  const input = { pathname: patternInput(path) };
  for (const rule of rules.rewrites) {
    const match = rule.pattern.exec(input);
    if (match !== null) return fill(rule.target, match.pathname.groups);
  }
  return null;
}

/**
 * The edits of every header rule for a response, in rule order, or null when none applies.
 *
 * @param rules The compiled rules.
 * @param path The decoded, normalised request path, or null when there is none (only rules for
 *   every path apply then).
 * @param status The response's status.
 * @returns The edits, or null.
 */
export function headerEdits(
  rules: CompiledRules,
  path: string | null,
  status: number,
): FieldEdits[] | null {
  const matching = path === null
    ? rules.everyPathHeaders
    : rules.headers.filter((rule) => rule.everyPath || rule.matches(path));
  return editsFor(matching, status);
}

/**
 * The edits of the header rules (already matched to the path) that apply to a status.
 *
 * @param rules Header rules whose glob matched, in rule order.
 * @param status The response's status.
 * @returns The edits, or null when none applies.
 */
export function editsFor(rules: readonly HeaderMatcher[], status: number): FieldEdits[] | null {
  let edits: FieldEdits[] | null = null;
  for (const rule of rules) {
    if (rule.statuses === null || rule.statuses.has(status)) (edits ??= []).push(rule.edits);
  }
  return edits;
}

/**
 * A decoded path as URLPattern input: its `%` escaped, as URLPattern percent-encodes the rest
 * itself (and leaves `%` alone), so captures come out encoded exactly once.
 */
function patternInput(path: string): string {
  return path.replaceAll("%", "%25");
}

/** Fills a target in: each insertion gets its capture, made safe for a URI. */
function fill(target: Target, groups: Record<string, string | undefined>): string {
  let out = "";
  for (const part of target.parts) {
    out += typeof part === "string" ? part : uriSafe(groups[part.group] ?? "");
  }
  return out;
}

/** Percent-encodes every character of a capture that a URI may not hold as it is. */
function uriSafe(capture: string): string {
  let out = "";
  for (const c of capture) {
    out += URI_CHAR.test(c) && c !== "?" && c !== "#" ? c : encodeURIComponent(c);
  }
  return out;
}
