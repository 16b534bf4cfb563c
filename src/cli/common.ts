/**
 * What both command lines share (`sockserve [serve]` and `sockserve get`): defaults, the port
 * range, the one-line usage error, and the parsing of seconds.
 *
 * @module
 */

import { MAX_TIMEOUT_S } from "../limits.ts";

/** Port used when none is given. */
export const DEFAULT_PORT = 8080;
/** Folder served when none is given. */
export const DEFAULT_ROOT = "./www";
/** Folder the logs go to when none is given. */
export const DEFAULT_LOG_DIR = "./logs";
/** Address listened on when none is given: this machine only. */
export const DEFAULT_HOST = "127.0.0.1";

/** Highest TCP port (RFC 6335 §6). */
export const MAX_PORT = 65_535;

/** A command line that cannot be run: one line for stderr, and exit code 2. */
export interface UsageError {
  readonly kind: "error";
  readonly message: string;
  readonly exitCode: 2;
}

/**
 * Builds a usage error.
 *
 * @param message The line to print.
 * @returns The error command.
 */
export function fail(message: string): UsageError {
  return { kind: "error", message, exitCode: 2 };
}

/**
 * Parses a number of seconds above 0 and up to {@linkcode MAX_TIMEOUT_S}.
 *
 * @param text The option's value, if given.
 * @param fallback The default.
 * @returns The seconds, or null when the value is invalid.
 */
export function parseSeconds(text: string | undefined, fallback: number): number | null {
  if (text === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(text)) return null;
  const seconds = Number(text);
  return seconds > 0 && seconds <= MAX_TIMEOUT_S ? seconds : null;
}

/** How an option is written and what it takes, as node:util's parseArgs describes it. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
}

/**
 * Puts a command line into the one shape parseArgs reads without surprises, before it parses:
 *
 * - a value option and its value become `--name=value`, so a value that starts with `-` (a
 *   negative number, say) reaches the validation that can explain what is wrong with it;
 * - the seeds' spellings are accepted: `aliases` maps them (`-document_root`, `-port`,
 *   `--document_root`) to the real option;
 * - a single dash with several letters (`-dport`, `-p8080`, `-qv`) is refused instead of being
 *   read as `-d port`: one clear line with what was probably meant;
 * - an unknown option gets one line with the closest known option, if one is close;
 * - an option whose value is optional (`--hsts[=SECONDS]`) takes a value only after `=`, and
 *   written bare gets the value `bareValues` gives it.
 *
 * @param args The arguments.
 * @param options The options, as given to parseArgs.
 * @param aliases Other spellings → option names.
 * @param help What to point at in errors, e.g. `--help`.
 * @param bareValues Options with an optional value → the value they mean when written bare.
 * @returns The normalised arguments, or a usage error.
 * @example
 * ```ts
 * normalizeArgs(["-port", "-1"], { port: { type: "string", short: "p" } }, { "-port": "port" }, "--help");
 * // ["--port=-1"]
 * ```
 */
export function normalizeArgs(
  args: readonly string[],
  options: Readonly<Record<string, OptionSpec>>,
  aliases: Readonly<Record<string, string>>,
  help: string,
  bareValues: Readonly<Record<string, string>> = {},
): string[] | UsageError {
  const byShort = new Map(
    Object.entries(options).filter(([, o]) => o.short).map(([name, o]) => [o.short!, name]),
  );
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    if (!arg.startsWith("-") || arg === "-" || /^-\d/.test(arg)) {
      out.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const written = eq === -1 ? arg : arg.slice(0, eq);
    let name: string | undefined;
    if (written in aliases) name = aliases[written];
    else if (written.startsWith("--")) name = written.slice(2);
    else if (written.length === 2) name = byShort.get(written[1]);
    else {return fail(
        `Unknown option ${written}: one dash takes one letter${
          meantShort(written, options, byShort)
        } (see ${help})`,
      );}
    const spec = name === undefined ? undefined : options[name];
    if (name === undefined || spec === undefined) {
      const guess = suggest(written.replace(/^-+/, ""), Object.keys(options));
      return fail(
        `Unknown option ${written}` + (guess ? `; did you mean --${guess}?` : "") +
          ` (see ${help})`,
      );
    }
    if (spec.type === "boolean") {
      if (eq !== -1) return fail(`--${name} takes no value (see ${help})`);
      out.push(`--${name}`);
      continue;
    }
    if (eq !== -1) {
      out.push(`--${name}=${arg.slice(eq + 1)}`);
      continue;
    }
    if (name in bareValues) {
      out.push(`--${name}=${bareValues[name]}`);
      continue;
    }
    if (i + 1 >= args.length) return fail(`--${name} needs a value (see ${help})`);
    out.push(`--${name}=${args[++i]}`);
  }
  return out;
}

/** What a single-dash word most likely meant: `-p8080` → `-p 8080`, `-qv` → `-q -v`, `-dport` → `--port`. */
function meantShort(
  written: string,
  options: Readonly<Record<string, OptionSpec>>,
  byShort: ReadonlyMap<string, string>,
): string {
  const letters = written.slice(1);
  const first = byShort.get(letters[0]);
  const guess = suggest(letters, Object.keys(options));
  if (guess !== null) return `; did you mean --${guess}?`;
  if (first !== undefined && options[first].type === "string") {
    return `; did you mean -${letters[0]} ${letters.slice(1)}?`;
  }
  if ([...letters].every((l) => options[byShort.get(l) ?? ""]?.type === "boolean")) {
    return `; did you mean ${[...letters].map((l) => `-${l}`).join(" ")}?`;
  }
  return "";
}

/**
 * Returns the known word closest to `word` (edit distance at most a third of its length, at
 * least 2), or null when none is close enough to suggest.
 *
 * @param word What was written.
 * @param known The words that exist.
 * @returns The suggestion, or null.
 */
export function suggest(word: string, known: readonly string[]): string | null {
  const w = word.toLowerCase().replace(/_/g, "-");
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = candidate.startsWith(w) && w.length >= 2 ? 0.5 : editDistance(w, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(w.length / 3)) ? best : null;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}
