/**
 * Settings from three places besides the command line (pure): a TOML file (`--config FILE`),
 * `SOCKSERVE_*` environment variables, and the defaults. Each becomes a {@linkcode Layer} in the
 * shape node:util's parseArgs gives the command line, so one validation serves all of them; the
 * layers are merged command line > environment > file > defaults, and every value remembers where
 * it came from, for error messages and `sockserve config --print`.
 *
 * @module
 */

import { dirname, isAbsolute, join } from "node:path";
import type * as TomlModule from "npm:smol-toml@^1.9.1";
import { fail, type OptionSpec, suggest, type UsageError } from "./common.ts";

/**
 * smol-toml, once {@linkcode loadToml} has imported it: only a command that reads a config file
 * or prints settings needs it, and a server that loads no npm package at all holds ~4 MB less
 * resident memory (Deno's npm support stays untouched).
 */
let toml: typeof TomlModule | null = null;

/** Imports the TOML library; reading a config file or printing settings needs it first. */
export async function loadToml(): Promise<void> {
  toml ??= await import("npm:smol-toml@^1.9.1");
}

/** smol-toml, which {@linkcode loadToml} must have imported (a bug otherwise, not bad input). */
function tomlLibrary(): typeof TomlModule {
  if (toml === null) throw new Error("Config files need the TOML library: call loadToml()");
  return toml;
}

/** Option values as parseArgs returns them: a string, a boolean or a list of strings. */
export type OptionValue = string | boolean | readonly string[];

/** Where a value came from. */
export type Origin =
  | { readonly kind: "command line" }
  | { readonly kind: "environment"; readonly variable: string }
  | {
    readonly kind: "file";
    readonly file: string;
    readonly line: number;
    readonly column: number;
  };

/** Option values from one place, with the origin of each. */
export interface Layer {
  readonly values: Readonly<Record<string, OptionValue>>;
  readonly origins: Readonly<Record<string, Origin>>;
}

/** A config file read into a layer, plus its rule tables (checked by the rules module). */
export interface ConfigFile {
  readonly layer: Layer;
  /** The `[[headers]]`, `[[redirects]]` and `[[rewrites]]` tables as parsed, unchecked. */
  readonly tables: Readonly<Record<string, unknown>>;
  /** Finds a value's line and column from its key path, e.g. `["headers", 2, "glob"]`. */
  readonly locate: (path: readonly (string | number)[]) => Origin;
}

/** The table names a config file may hold besides the options. */
export const RULE_TABLES = ["headers", "redirects", "rewrites"] as const;

/** Options that only make sense on the command line. */
const COMMAND_LINE_ONLY = new Set(["help", "version", "config"]);

/** Options whose values are numbers; TOML may give them as numbers (`port = 9000`). */
const NUMERIC = new Set([
  "port",
  "https-redirect-port",
  "hsts",
  "header-timeout",
  "body-timeout",
  "idle-timeout",
  "workers",
  "max-connections",
  "log-keep",
]);

/**
 * Options that name files or folders: in a config file they are relative to the file's own
 * folder (as in cargo's config), so `sockserve --config /etc/site.toml` works from anywhere.
 */
const PATH_OPTIONS = new Set([
  "root",
  "document-root",
  "log-dir",
  "tls-cert",
  "tls-key",
  "auth-file",
  "access-log",
]);

/** The prefix of sockserve's environment variables. */
export const ENV_PREFIX = "SOCKSERVE_";

/** Variables with the prefix that are not options (the config file's own, the test harness's). */
const ENV_NOT_OPTIONS = new Set(["SOCKSERVE_CONFIG", "SOCKSERVE_BIN"]);

/**
 * The environment variable of an option: `--tls-cert` → `SOCKSERVE_TLS_CERT`.
 *
 * @param option The option's long name.
 * @returns The variable's name.
 */
export function envVariable(option: string): string {
  return ENV_PREFIX + option.toUpperCase().replaceAll("-", "_");
}

/**
 * Reads a TOML config file's text into a layer. Keys are the long option names
 * (`port = 9000`, `tls-cert = "cert.pem"`, `host = ["127.0.0.1", "::1"]`, `compress = true`);
 * paths are relative to the file's folder; the rule tables are passed on as parsed.
 *
 * @param text The file's text.
 * @param file The file's name, for messages (`FILE:LINE:COL key: reason`).
 * @param options The options a key may name.
 * @param bareValues Options with an optional value → what `true` means (`spa = true`).
 * @returns The layer and tables, or a usage error naming the line and column.
 */
export function readConfigText(
  text: string,
  file: string,
  options: Readonly<Record<string, OptionSpec>>,
  bareValues: Readonly<Record<string, string>> = {},
): ConfigFile | UsageError {
  let document: Record<string, unknown>;
  const { parse, TomlError } = tomlLibrary();
  try {
    document = parse(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const reason = error.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
    return fail(`${file}:${error.line}:${error.column} ${reason}`);
  }
  const locate = (path: readonly (string | number)[]): Origin => ({
    kind: "file",
    file,
    ...locateKey(text, path),
  });
  const at = (path: readonly (string | number)[], reason: string) => {
    const where = locate(path) as Extract<Origin, { kind: "file" }>;
    return fail(`${file}:${where.line}:${where.column} ${keyPathText(path)}: ${reason}`);
  };
  const values: Record<string, OptionValue> = {};
  const origins: Record<string, Origin> = {};
  const tables: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document)) {
    if ((RULE_TABLES as readonly string[]).includes(key)) {
      tables[key] = value;
      continue;
    }
    const spec = options[key];
    if (spec === undefined || COMMAND_LINE_ONLY.has(key)) {
      if (COMMAND_LINE_ONLY.has(key)) return at([key], "only on the command line");
      const guess = suggest(key, [...Object.keys(options), ...RULE_TABLES]);
      return at([key], `unknown key${guess === null ? "" : ` (did you mean ${guess}?)`}`);
    }
    // `spa = true` is `--spa` written bare; `false` is not giving it.
    if (key in bareValues && typeof value === "boolean") {
      if (value) {
        values[key] = bareValues[key];
        origins[key] = locate([key]);
      }
      continue;
    }
    const converted = tomlToOption(value, spec, NUMERIC.has(key));
    if (typeof converted === "object" && "reason" in converted) {
      return at([key], converted.reason);
    }
    values[key] = PATH_OPTIONS.has(key) && typeof converted === "string" &&
        converted !== "" && converted !== "-" && !isAbsolute(converted)
      ? join(dirname(file), converted)
      : converted;
    origins[key] = locate([key]);
  }
  return { layer: { values, origins }, tables, locate };
}

/** Converts one TOML value to what parseArgs would have given, or says what type was wanted. */
function tomlToOption(
  value: unknown,
  spec: OptionSpec,
  numeric: boolean,
): OptionValue | { readonly reason: string } {
  const wanted = spec.type === "boolean" ? "true or false" : numeric ? "a number" : "a string";
  const one = (item: unknown): string | boolean | null => {
    if (spec.type === "boolean") return typeof item === "boolean" ? item : null;
    if (typeof item === "string") return item;
    // A number is what a numeric option holds; `workers = "auto"` stays a string.
    if (numeric && typeof item === "number" && Number.isFinite(item)) return String(item);
    return null;
  };
  if (spec.multiple) {
    const items = Array.isArray(value) ? value : [value];
    const converted = items.map(one);
    if (converted.some((c) => c === null)) {
      return { reason: `expected ${wanted} or a list of them, got ${describe(value)}` };
    }
    return converted as string[];
  }
  const converted = one(value);
  return converted === null ? { reason: `expected ${wanted}, got ${describe(value)}` } : converted;
}

/** Names a TOML value's type for a message. */
function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date) return "a date";
  if (typeof value === "object" && value !== null) return "a table";
  if (typeof value === "number" || typeof value === "bigint") return "a number";
  if (typeof value === "boolean") return `${value}`;
  return `a ${typeof value}`;
}

/**
 * Reads `SOCKSERVE_*` variables into a layer: `SOCKSERVE_PORT=9001`, `SOCKSERVE_COMPRESS=true`;
 * a repeatable option takes one value per line (and `SOCKSERVE_HOST` also takes commas). An empty
 * variable counts as unset.
 *
 * @param env The variables (only those sockserve may read).
 * @param options The options a variable may name.
 * @param bareValues Options with an optional value → what `true` means (`SOCKSERVE_SPA=true`).
 * @returns The layer and notices about unknown variables, or a usage error.
 */
export function readEnvironment(
  env: Readonly<Record<string, string>>,
  options: Readonly<Record<string, OptionSpec>>,
  bareValues: Readonly<Record<string, string>> = {},
): { readonly layer: Layer; readonly notices: readonly string[] } | UsageError {
  const byVariable = new Map(
    Object.keys(options).filter((o) => !COMMAND_LINE_ONLY.has(o)).map((o) => [envVariable(o), o]),
  );
  const values: Record<string, OptionValue> = {};
  const origins: Record<string, Origin> = {};
  const notices: string[] = [];
  for (const [variable, text] of Object.entries(env)) {
    if (!variable.startsWith(ENV_PREFIX) || ENV_NOT_OPTIONS.has(variable) || text === "") continue;
    const option = byVariable.get(variable);
    if (option === undefined) {
      const guess = suggest(variable.slice(ENV_PREFIX.length), Object.keys(options));
      notices.push(
        `Ignoring ${variable}: no such option${
          guess === null ? "" : ` (did you mean ${envVariable(guess)}?)`
        }.`,
      );
      continue;
    }
    const spec = options[option];
    const flag = option in bareValues ? parseBoolean(text) : null;
    if (flag === false) continue;
    if (flag === true) values[option] = bareValues[option];
    else if (spec.type === "boolean") {
      const flag = parseBoolean(text);
      if (flag === null) return fail(`${variable}: expected true or false, got "${text}"`);
      values[option] = flag;
    } else if (spec.multiple) {
      values[option] = text.split(option === "host" ? /[\n,]/ : /\n/).map((s) => s.trim())
        .filter((s) => s !== "");
    } else {
      values[option] = text;
    }
    origins[option] = { kind: "environment", variable };
  }
  return { layer: { values, origins }, notices };
}

/** The spellings of a boolean in an environment variable. */
function parseBoolean(text: string): boolean | null {
  const word = text.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(word)) return true;
  if (["0", "false", "no", "off"].includes(word)) return false;
  return null;
}

/**
 * Merges layers, later ones winning key by key (a repeatable option is replaced, not appended:
 * `--host` on the command line means exactly those hosts).
 *
 * @param layers Lowest precedence first.
 * @returns The merged layer.
 */
export function mergeLayers(...layers: readonly Layer[]): Layer {
  const values: Record<string, OptionValue> = {};
  const origins: Record<string, Origin> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.values)) {
      values[key] = value;
      origins[key] = layer.origins[key];
    }
  }
  return { values, origins };
}

/**
 * Says where a value came from, for messages: `sockserve.toml:3:1`, `SOCKSERVE_PORT`,
 * `command line`.
 *
 * @param origin The origin.
 * @returns The text.
 */
export function originText(origin: Origin): string {
  switch (origin.kind) {
    case "file":
      return `${origin.file}:${origin.line}:${origin.column}`;
    case "environment":
      return origin.variable;
    default:
      return "command line";
  }
}

/**
 * Finds where a key path is written in a TOML text (pure, line-based): a top-level key, the n-th
 * `[[table]]` and a key in it, or a key in a `[table]`. The parser has checked the text already,
 * so this only needs to find the spot; when a path is written in a way it does not follow
 * (inline tables, dotted keys), it falls back to the nearest enclosing key it did find.
 *
 * @param text The TOML text.
 * @param path The key path, e.g. `["port"]` or `["headers", 2, "glob"]`.
 * @returns The 1-based line and column.
 */
export function locateKey(
  text: string,
  path: readonly (string | number)[],
): { readonly line: number; readonly column: number } {
  const lines = text.split(/\r?\n/);
  let best = { line: 1, column: 1 };
  let table: string | null = null; // the table the current lines belong to
  const seen = new Map<string, number>(); // array-of-tables headers counted so far
  let index = -1; // index of the current [[table]]
  for (let i = 0; i < lines.length; i++) {
    const header = /^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?/.exec(lines[i]);
    if (header !== null) {
      table = unquote(header[2]);
      if (header[1] === "[[") {
        index = seen.get(table) ?? 0;
        seen.set(table, index + 1);
      } else index = -1;
      if (table === path[0] && (index === path[1] || (index === -1 && path.length >= 1))) {
        best = { line: i + 1, column: lines[i].indexOf("[") + 1 };
      }
      continue;
    }
    const key = /^(\s*)("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=/.exec(lines[i]);
    if (key === null) continue;
    const name = unquote(key[2]);
    const column = key[1].length + 1;
    if (table === null && path.length >= 1 && name === path[0]) {
      return { line: i + 1, column };
    }
    if (table === path[0]) {
      const rest = index === -1 ? path.slice(1) : index === path[1] ? path.slice(2) : null;
      if (rest !== null && rest.length > 0 && name === rest[0]) return { line: i + 1, column };
    }
  }
  return best;
}

/** A TOML key without its quotes. */
function unquote(key: string): string {
  return /^(["']).*\1$/.test(key) ? key.slice(1, -1) : key;
}

/**
 * Writes a key path the way TOML readers think of it: `headers[2].glob`.
 *
 * @param path The path.
 * @returns The text.
 */
export function keyPathText(path: readonly (string | number)[]): string {
  return path.map((part, i) => typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`)
    .join("");
}

/**
 * Formats the merged settings as a TOML file that says where each value came from
 * (`sockserve config --print`): options set somewhere are written out, the others are listed as
 * comments with their default, and the rule tables follow as they were read.
 *
 * @param settings Every option with its effective value and origin ("default" when unset).
 * @param tables The rule tables, or an empty record.
 * @param tablesFrom Where the tables came from.
 * @returns The text, ending with a newline.
 */
export function formatSettings(
  settings: readonly {
    readonly option: string;
    readonly value: OptionValue | null;
    readonly origin: Origin | "default";
  }[],
  tables: Readonly<Record<string, unknown>>,
  tablesFrom: string | null,
): string {
  const lines = [
    "# sockserve's settings: command line > environment (SOCKSERVE_*) > config file > defaults",
  ];
  const entries = settings.map(({ option, value, origin }) => ({
    line: value === null ? `# ${entryText(option, value)}` : entryText(option, value),
    from: origin === "default" ? "default" : originText(origin),
  }));
  const width = Math.max(...entries.map((e) => e.line.length));
  for (const { line, from } of entries) lines.push(`${line.padEnd(width + 2)}# ${from}`);
  const present = RULE_TABLES.filter((t) => Array.isArray(tables[t]) && tables[t].length > 0);
  if (present.length > 0) {
    lines.push("", `# rules from ${tablesFrom}`);
    lines.push(
      tomlLibrary().stringify(Object.fromEntries(present.map((t) => [t, tables[t]]))).trimEnd(),
    );
  }
  return lines.join("\n") + "\n";
}

/** One `key = value` line (TOML escaping by smol-toml); an unset option shows "(not set)". */
function entryText(option: string, value: OptionValue | null): string {
  if (value === null) return `${option} (not set)`;
  const typed = NUMERIC.has(option) && typeof value === "string" && /^\d+(\.\d+)?$/.test(value)
    ? Number(value)
    : value;
  return tomlLibrary().stringify({ [option]: typed }).trim();
}
