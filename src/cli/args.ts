/**
 * The command line: argv → a validated command (pure), and the help text.
 *
 * @module
 */

import { bracketHost, unbracketHost } from "../http/authority.ts";
import { hasNoTransform } from "../http/content_coding.ts";
import { LOOPBACK_CIDRS, parseCidr } from "../http/forwarded.ts";
import { parseArgs } from "node:util";
import { type GetCommand, parseGetArgs } from "../client/args.ts";
import { type CertParse, parseCertArgs } from "./cert_args.ts";
import { parseAuthValue } from "./htpasswd.ts";
import { type HashPasswordParse, parseHashPasswordArgs } from "./hash_password.ts";
import type { AuthUser } from "../server/auth.ts";
import {
  type ConfigFile,
  formatSettings,
  keyPathText,
  type Layer,
  mergeLayers,
  type OptionValue,
  type Origin,
  originText,
  readConfigText,
  readEnvironment,
} from "./config.ts";
import {
  DEFAULT_HOST,
  DEFAULT_LOG_DIR,
  DEFAULT_PORT,
  DEFAULT_ROOT,
  fail,
  MAX_PORT,
  normalizeArgs,
  parseSeconds,
  type UsageError,
} from "./common.ts";

export { DEFAULT_HOST, DEFAULT_LOG_DIR, DEFAULT_PORT, DEFAULT_ROOT } from "./common.ts";
import type { ServeOptions } from "../server/serve.ts";
import { ACCESS_LOG_FORMATS, type AccessLogFormat } from "../log/access.ts";
import { parseByteSize } from "../units.ts";
import { DEFAULT_SPA_FILE, spaFileProblem } from "../server/fallbacks.ts";
import {
  checkRules,
  type HeaderRule,
  mergeRules,
  NO_RULES,
  parseHeaderOption,
  type Rules,
} from "../server/rules.ts";
import {
  DEFAULT_HEADER_TIMEOUT_S,
  DEFAULT_HSTS_MAX_AGE_S,
  DEFAULT_IDLE_TIMEOUT_S,
  DEFAULT_LOG_KEEP,
  MAX_CONNECTIONS_LIMIT,
  MAX_HSTS_MAX_AGE_S,
  MAX_LOG_KEEP,
  MAX_LOG_MAX_SIZE_BYTES,
  MAX_TIMEOUT_S,
  MAX_TRUSTED_PROXIES,
  MAX_WORKERS,
  MIN_LOG_MAX_SIZE_BYTES,
} from "../limits.ts";

/** Ports below this are well-known (RFC 6335 §6): binding them usually needs privileges. */
const FIRST_REGISTERED_PORT = 1024;
/** Ports from this one up are dynamic (RFC 6335 §6): nothing else should claim them. */
const FIRST_DYNAMIC_PORT = 49_152;

/** Validated options of `sockserve serve`: the server's options plus what startup decides. */
export interface ServeCommand extends
  Required<
    Omit<
      ServeOptions,
      | "colour"
      | "reusePort"
      | "connectionIds"
      | "logs"
      | "requestStop"
      | "cacheControl"
      | "anyHost"
      | "supervisor"
      | "reapSocket"
      | "maxConnections"
      | "host"
      | "tls"
      | "httpsRedirectPort"
      | "hstsMaxAgeS"
      | "auth"
      | "rules"
      | "csvForwardedColumn"
      | "metricsPeers"
    >
  > {
  readonly kind: "serve";
  /** The addresses to listen on (`--host`, repeatable), without brackets or repeats. */
  readonly hosts: readonly string[];
  /** The certificate file (`--tls-cert`), or null for plain HTTP. */
  readonly tlsCert: string | null;
  /** The key file (`--tls-key`), or null for plain HTTP. */
  readonly tlsKey: string | null;
  /** The plain port that redirects to HTTPS (`--https-redirect-port`), or null. */
  readonly httpsRedirectPort: number | null;
  /** Strict-Transport-Security max-age (`--hsts[=SECONDS]`), or null. */
  readonly hstsMaxAgeS: number | null;
  /** Cache-Control for file responses, or null for none. */
  readonly cacheControl: string | null;
  /** Answer any Host on loopback (`--any-host`). */
  readonly anyHost: boolean;
  /** Isolates serving the port (`--workers`). */
  readonly workers: number;
  /** Open connections at most, all isolates together (`--max-connections`); null: from the fd limit. */
  readonly maxConnections: number | null;
  /** Users given with `--auth USER:HASH`. */
  readonly authUsers: readonly AuthUser[];
  /** The htpasswd file (`--auth-file`), read at startup, or null. */
  readonly authFile: string | null;
  /** The realm of the Basic challenge (`--auth-realm`). */
  readonly authRealm: string;
  /** Whether the port was given (the registered-port notice is only for a chosen port). */
  readonly portGiven: boolean;
  /** Whether `--root` was given (else the default root is in use). */
  readonly rootGiven: boolean;
  /** One-line notices to print before starting (e.g. about the port range). */
  readonly notices: readonly string[];
  /**
   * Header, redirect and rewrite rules: `-H` as header rules for every path. The config file's
   * checked rules join them with `mergeRules(command.rules, fileRules)` (so they win).
   */
  readonly rules: Rules;
}

/** What the command line asks for. */
export type Command =
  | ServeCommand
  | GetCommand
  | { readonly kind: "get-help" }
  | Exclude<CertParse, UsageError>
  | { readonly kind: "config-print"; readonly text: string; readonly notices: readonly string[] }
  | { readonly kind: "config-help" }
  | Exclude<HashPasswordParse, UsageError>
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | UsageError;

/** Every option of `sockserve [serve]`, as parseArgs reads them. */
const SERVE_OPTIONS = {
  port: { type: "string", short: "p" },
  root: { type: "string", short: "d" },
  "document-root": { type: "string" },
  host: { type: "string", multiple: true },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "https-redirect-port": { type: "string" },
  hsts: { type: "string" },
  "log-dir": { type: "string" },
  "access-log": { type: "string" },
  "access-log-format": { type: "string" },
  "log-max-size": { type: "string" },
  "log-keep": { type: "string" },
  config: { type: "string" },
  "header-timeout": { type: "string" },
  "body-timeout": { type: "string" },
  "idle-timeout": { type: "string" },
  protocol: { type: "string" },
  "allow-stop": { type: "boolean" },
  listing: { type: "boolean" },
  dotfiles: { type: "string" },
  "cache-control": { type: "string" },
  cors: { type: "boolean" },
  "any-host": { type: "boolean" },
  compress: { type: "boolean" },
  precompressed: { type: "boolean" },
  auth: { type: "string", multiple: true },
  "auth-file": { type: "string" },
  "auth-realm": { type: "string" },
  spa: { type: "string" },
  "clean-urls": { type: "boolean" },
  workers: { type: "string" },
  "max-connections": { type: "string" },
  header: { type: "string", short: "H", multiple: true },
  "trusted-proxy": { type: "string", multiple: true },
  metrics: { type: "string" },
  quiet: { type: "boolean", short: "q" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

/** The long names of every option of `sockserve [serve]`. */
export const SERVE_OPTION_NAMES: readonly string[] = Object.keys(SERVE_OPTIONS);

/**
 * The spellings of the programs sockserve grew from (`server.py -document_root DIR -port N`):
 * single-dash long options and an underscore.
 */
const SEED_ALIASES: Readonly<Record<string, string>> = {
  "-document_root": "root",
  "--document_root": "root",
  "-document-root": "root",
  "-port": "port",
  "-root": "root",
  "-host": "host",
};

/** Where settings other than argv come from; the caller does the I/O. */
export interface CliSources {
  /** The `SOCKSERVE_*` variables sockserve may read (others are ignored). */
  readonly env?: Readonly<Record<string, string>>;
  /** Reads a config file's text; throws an Error whose message says why it cannot. */
  readonly readFile?: (path: string) => string;
}

/**
 * Parses and validates the command line, with the config file and the environment under it.
 *
 * @param args `Deno.args`.
 * @param cpuCount What `--workers auto` means.
 * @param sources The environment and the config file reader (none: argv alone).
 * @returns The command, or an error with its one-line message and exit code 2.
 * @example
 * ```ts
 * parseCli(["8000"]); // { kind: "serve", port: 8000, root: "./www", … }
 * ```
 */
export function parseCli(
  args: readonly string[],
  cpuCount: number = navigator.hardwareConcurrency,
  sources: CliSources = {},
): Command {
  // `deno task serve -- -p 9000` passes the "--" on (npm habit): it separates nothing here.
  const rest = args[0] === "--" ? args.slice(1) : args;
  if (rest[0] === "get") return parseGetArgs(rest.slice(1));
  if (rest[0] === "cert") return parseCertArgs(rest.slice(1));
  if (rest[0] === "hash-password") return parseHashPasswordArgs(rest.slice(1));
  if (rest[0] === "config") return parseConfigCommand(rest.slice(1), cpuCount, sources);
  const settings = gatherSettings(rest, sources);
  if (!("layer" in settings)) return settings;
  return validateSettings(settings, cpuCount);
}

/** Settings from every source, merged, before validation. */
interface Settings {
  readonly layer: Layer;
  readonly file: ConfigFile | null;
  readonly configPath: string | null;
  readonly notices: readonly string[];
}

/**
 * `sockserve config --print [options]`: the settings the same options would serve with, and
 * where each came from.
 */
function parseConfigCommand(
  args: readonly string[],
  cpuCount: number,
  sources: CliSources,
): Command {
  const print = args.indexOf("--print");
  if (args.includes("--help") || args.includes("-h")) return { kind: "config-help" };
  if (print === -1) return fail("sockserve config needs --print (see sockserve config --help)");
  const settings = gatherSettings(args.filter((_, i) => i !== print), sources);
  if (!("layer" in settings)) return settings.kind === "error" ? settings : { kind: "config-help" };
  const command = validateSettings(settings, cpuCount);
  if (command.kind === "error") return command;
  const shown = Object.keys(SERVE_OPTIONS).filter((o) => !NOT_SETTINGS.has(o)).map((option) => {
    const value = settings.layer.values[option];
    const shownValue = option === "auth" && Array.isArray(value) ? value.map(hideHash) : value;
    return value === undefined
      ? { option, value: DEFAULT_VALUES[option] ?? null, origin: "default" as const }
      : { option, value: shownValue as OptionValue, origin: settings.layer.origins[option] };
  });
  const file = settings.file;
  return {
    kind: "config-print",
    text: formatSettings(shown, file?.tables ?? {}, settings.configPath),
    notices: command.notices,
  };
}

/** Options that are not settings (what to do, not how to serve). */
const NOT_SETTINGS = new Set(["help", "version", "config", "document-root"]);

/** A bcrypt hash is not a password, but it need not be shown either: `user:<hash>`. */
function hideHash(entry: string): string {
  const colon = entry.indexOf(":");
  return colon === -1 ? entry : `${entry.slice(0, colon)}:<hash>`;
}

/** What each option is when nothing sets it, as `config --print` shows it. */
const DEFAULT_VALUES: Readonly<Record<string, OptionValue>> = {
  port: String(DEFAULT_PORT),
  root: DEFAULT_ROOT,
  host: [DEFAULT_HOST],
  "log-dir": DEFAULT_LOG_DIR,
  "access-log-format": "combined",
  "log-keep": String(DEFAULT_LOG_KEEP),
  "header-timeout": String(DEFAULT_HEADER_TIMEOUT_S),
  "idle-timeout": String(DEFAULT_IDLE_TIMEOUT_S),
  protocol: "1.1",
  dotfiles: "deny",
  workers: "1",
  "allow-stop": false,
  listing: false,
  cors: false,
  "any-host": false,
  compress: false,
  precompressed: false,
  "clean-urls": false,
  quiet: false,
  verbose: false,
};

/** Parses argv as parseArgs sees it (the type of its values is the type every layer fills). */
function parseServeArgs(args: string[]) {
  return parseArgs({ args, allowPositionals: true, strict: true, options: SERVE_OPTIONS });
}

/** Option values of `sockserve serve`, from any layer. */
type ServeValues = ReturnType<typeof parseServeArgs>["values"];

/**
 * Reads argv, then the config file (`--config`, else `SOCKSERVE_CONFIG`) and the environment,
 * and merges them: command line > environment > file.
 */
function gatherSettings(
  args: readonly string[],
  sources: CliSources,
): Settings | UsageError | { readonly kind: "help" } | { readonly kind: "version" } {
  const normalized = normalizeArgs(args, SERVE_OPTIONS, SEED_ALIASES, "--help", BARE_VALUES);
  if (!Array.isArray(normalized)) return normalized;
  let parsed;
  try {
    parsed = parseServeArgs(normalized);
  } catch (error) {
    // normalizeArgs has caught what parseArgs would word confusingly; this is a safety net.
    return fail(`${(error as Error).message.split("\n")[0]} (see --help)`);
  }
  const values: Record<string, OptionValue> = { ...parsed.values };
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  const positionals = [...parsed.positionals];
  if (positionals[0] === "serve") positionals.shift();
  if (positionals.length > 1 || (positionals.length === 1 && !/^\d+$/.test(positionals[0]))) {
    return fail(`Unexpected argument "${positionals.at(-1)}" (see --help)`);
  }
  if (positionals.length === 1 && values.port !== undefined) {
    return fail("Give the port once: as -p N or as a bare number, not both");
  }
  if (positionals.length === 1) values.port = positionals[0];
  const argv: Layer = {
    values,
    origins: Object.fromEntries(Object.keys(values).map((k) => [k, COMMAND_LINE])),
  };

  const env = sources.env ?? {};
  const environment = readEnvironment(env, SERVE_OPTIONS, BARE_VALUES);
  if ("kind" in environment) return environment;
  const configPath = (values.config as string | undefined) ?? env.SOCKSERVE_CONFIG ?? null;
  let file: ConfigFile | null = null;
  if (configPath !== null) {
    if (configPath === "") return failOn("config", "--config must name a file");
    let text;
    try {
      text = (sources.readFile ?? noFiles)(configPath);
    } catch (error) {
      return fail(`Cannot read the config file ${configPath}: ${(error as Error).message}`);
    }
    const read = readConfigText(text, configPath, SERVE_OPTIONS, BARE_VALUES);
    if ("kind" in read) return read;
    file = read;
  }
  const layer = mergeLayers(file?.layer ?? EMPTY_LAYER, environment.layer, argv);
  return { layer, file, configPath, notices: environment.notices };
}

/** Options whose value is optional (`--hsts`, `--spa`) → what they mean written bare. */
const BARE_VALUES: Readonly<Record<string, string>> = {
  hsts: String(DEFAULT_HSTS_MAX_AGE_S),
  spa: DEFAULT_SPA_FILE,
};

/** A command line typed by a person. */
const COMMAND_LINE: Origin = { kind: "command line" };
/** No settings. */
const EMPTY_LAYER: Layer = { values: {}, origins: {} };
/** The reader when none is given: config files need the caller's I/O. */
const noFiles = (): never => {
  throw new Error("no file reader");
};

/**
 * Validates merged settings into a serve command; an error about a value from the config file
 * or the environment says where that value was written (`site.toml:3:1 port: …`).
 */
function validateSettings(settings: Settings, cpuCount: number): ServeCommand | UsageError {
  const command = validateServe(settings.layer.values as ServeValues, cpuCount);
  if (command.kind === "error") {
    const origin = command.option === undefined
      ? undefined
      : settings.layer.origins[command.option];
    if (origin === undefined || origin.kind === "command line") return fail(command.message);
    const where = origin.kind === "file"
      ? `${originText(origin)} ${command.option}`
      : originText(origin);
    return fail(`${where}: ${command.message}`);
  }
  const rules = fileRules(settings.file);
  if ("kind" in rules) return rules;
  return {
    ...command,
    // The file's rules come after -H, so its per-path rules win over a field set everywhere.
    rules: mergeRules(command.rules, rules),
    notices: [...settings.notices, ...command.notices],
  };
}

/**
 * Checks the config file's `[[headers]]`, `[[redirects]]` and `[[rewrites]]`; a refused value is
 * named by where it is written (`site.toml:7:1 headers[1].set.Content-Length: …`).
 */
function fileRules(file: ConfigFile | null): Rules | UsageError {
  if (file === null) return NO_RULES;
  const checked = checkRules(file.tables);
  if (checked.ok) return checked.rules;
  return fail(
    `${originText(file.locate(checked.at))} ${keyPathText(checked.at)}: ${checked.reason}`,
  );
}

/** A usage error about one option's value, so its origin can be named. */
type OptionError = UsageError & { readonly option?: string };

/** The access log and rotation settings of a serve command. */
type LoggingSettings = Pick<
  ServeCommand,
  "accessLog" | "accessLogFormat" | "logMaxSize" | "logKeep"
>;

/** Validates --access-log, --access-log-format, --log-max-size and --log-keep. */
function validateLogging(values: ServeValues): LoggingSettings | OptionError {
  const accessLog = values["access-log"] ?? null;
  if (accessLog === "") {
    return failOn("access-log", "--access-log must name a file, or - for standard output");
  }
  const format = values["access-log-format"] ?? "combined";
  if (!(ACCESS_LOG_FORMATS as readonly string[]).includes(format)) {
    return failOn(
      "access-log-format",
      `--access-log-format must be ${ACCESS_LOG_FORMATS.join(", ")}, got "${format}"`,
    );
  }
  const sizeText = values["log-max-size"];
  const logMaxSize = sizeText === undefined ? null : parseByteSize(sizeText);
  if (
    sizeText !== undefined &&
    (logMaxSize === null || logMaxSize < MIN_LOG_MAX_SIZE_BYTES ||
      logMaxSize > MAX_LOG_MAX_SIZE_BYTES)
  ) {
    return failOn(
      "log-max-size",
      `--log-max-size must be a size from 4K to 1024G (like 10M, 512K, 1G), got "${sizeText}"`,
    );
  }
  const keepText = values["log-keep"] ?? String(DEFAULT_LOG_KEEP);
  const logKeep = Number(keepText);
  if (!/^\d+$/.test(keepText) || logKeep < 1 || logKeep > MAX_LOG_KEEP) {
    return failOn(
      "log-keep",
      `--log-keep must be an integer from 1 to ${MAX_LOG_KEEP}, got "${keepText}"`,
    );
  }
  return {
    accessLog,
    accessLogFormat: format as AccessLogFormat,
    logMaxSize,
    logKeep,
  };
}

/** Builds a usage error about an option's value. */
function failOn(option: string, message: string): OptionError {
  return { ...fail(message), option };
}

/** Validates option values (from any layer) into a serve command. */
function validateServe(values: ServeValues, cpuCount: number): ServeCommand | OptionError {
  const portGiven = values.port !== undefined;
  const portText = values.port ?? String(DEFAULT_PORT);
  if (!/^\d+$/.test(portText) || Number(portText) > MAX_PORT) {
    return failOn("port", `Port must be an integer from 0 to ${MAX_PORT}, got "${portText}"`);
  }
  const port = Number(portText);

  if (values.root !== undefined && values["document-root"] !== undefined) {
    return fail("Give the root once: --root or --document-root, not both");
  }
  const rootGiven = values.root !== undefined || values["document-root"] !== undefined;
  const root = values.root ?? values["document-root"] ?? DEFAULT_ROOT;
  if (root === "") return failOn("root", "The root must not be empty");
  const logDir = values["log-dir"] ?? DEFAULT_LOG_DIR;
  if (logDir === "") return failOn("log-dir", "The log dir must not be empty");
  const hosts: string[] = [];
  for (const host of values.host ?? [DEFAULT_HOST]) {
    if (!/^[0-9A-Za-z.:\-]+$/.test(host) && !/^\[[0-9A-Fa-f:.]+\]$/.test(host)) {
      return failOn("host", `Host must be an IP address or a host name, got "${host}"`);
    }
    const bare = unbracketHost(host);
    if (!hosts.includes(bare)) hosts.push(bare);
  }
  const https = parseHttps(values, port);
  if ("kind" in https) return https;
  const auth = parseAuth(values);
  if ("kind" in auth) return auth;

  const headerTimeoutS = parseSeconds(values["header-timeout"], DEFAULT_HEADER_TIMEOUT_S);
  if (headerTimeoutS === null) {
    return failOn(
      "header-timeout",
      `--header-timeout must be a number of seconds above 0, up to ${MAX_TIMEOUT_S}, got "${
        values["header-timeout"]
      }"`,
    );
  }
  // Without --body-timeout the body keeps the header timeout, as before the two were separate.
  const bodyTimeoutS = parseSeconds(values["body-timeout"], headerTimeoutS);
  if (bodyTimeoutS === null) {
    return failOn(
      "body-timeout",
      `--body-timeout must be a number of seconds above 0, up to ${MAX_TIMEOUT_S}, got "${
        values["body-timeout"]
      }"`,
    );
  }
  const idleTimeoutS = parseSeconds(values["idle-timeout"], DEFAULT_IDLE_TIMEOUT_S);
  if (idleTimeoutS === null) {
    return failOn(
      "idle-timeout",
      `--idle-timeout must be a number of seconds above 0, up to ${MAX_TIMEOUT_S}, got "${
        values["idle-timeout"]
      }"`,
    );
  }
  const protocol = values.protocol ?? "1.1";
  if (protocol !== "1.0" && protocol !== "1.1") {
    return failOn("protocol", `--protocol must be 1.0 or 1.1, got "${protocol}"`);
  }

  const dotfiles = values.dotfiles ?? "deny";
  if (dotfiles !== "allow" && dotfiles !== "deny") {
    return failOn("dotfiles", `--dotfiles must be allow or deny, got "${dotfiles}"`);
  }
  const cacheControl = values["cache-control"]?.trim() ?? null;
  // A header value must not smuggle a line break or control byte into every response.
  if (cacheControl !== null && !/^[\x20-\x7e]+$/.test(cacheControl)) {
    return failOn(
      "cache-control",
      `--cache-control must be a non-empty printable ASCII value, got "${cacheControl}"`,
    );
  }

  const workersText = values.workers ?? "1";
  const workers = workersText === "auto" ? cpuCount : Number(workersText);
  if (!/^(\d+|auto)$/.test(workersText) || workers < 1 || workers > MAX_WORKERS) {
    return failOn(
      "workers",
      `--workers must be auto or an integer from 1 to ${MAX_WORKERS}, got "${workersText}"`,
    );
  }

  const maxText = values["max-connections"];
  const maxConnections = maxText === undefined ? null : Number(maxText);
  if (
    maxText !== undefined &&
    (!/^\d+$/.test(maxText) || maxConnections! < 1 || maxConnections! > MAX_CONNECTIONS_LIMIT)
  ) {
    return failOn(
      "max-connections",
      `--max-connections must be an integer from 1 to ${MAX_CONNECTIONS_LIMIT}, got "${maxText}"`,
    );
  }
  const compress = values.compress ?? false;
  // RFC 9111 §5.2.2.6: no-transform forbids changing the coding; say so rather than ignore it.
  const compressNotices = compress && hasNoTransform(cacheControl)
    ? ["--compress has no effect: --cache-control has no-transform, which forbids compressing."]
    : [];
  const spa = values.spa ?? null;
  const spaProblem = spa === null ? null : spaFileProblem(spa);
  if (spaProblem !== null) {
    return failOn(
      "spa",
      `--spa takes a file from the root after "=" (--spa=/app.html): ${spaProblem}, got "${spa}"`,
    );
  }
  const headerRules = parseHeaderOptions(values.header ?? []);
  if (!Array.isArray(headerRules)) return headerRules;
  const proxies = parseProxyOptions(values);
  if ("kind" in proxies) return proxies;
  const logging = validateLogging(values);
  if ("kind" in logging) return logging;
  // Behind a reverse proxy on this machine every client looks local: /STOP would be anyone's.
  if (values["allow-stop"] && values["any-host"]) {
    return fail(
      "--allow-stop cannot be combined with --any-host: behind a proxy every client looks local",
    );
  }

  return {
    kind: "serve",
    port,
    root,
    hosts,
    ...https,
    ...auth,
    logDir,
    ...logging,
    headerTimeoutS,
    bodyTimeoutS,
    idleTimeoutS,
    protocol,
    allowStop: values["allow-stop"] ?? false,
    quiet: values.quiet ?? false,
    verbose: values.verbose ?? false,
    listing: values.listing ?? false,
    dotfiles: dotfiles === "allow",
    cacheControl,
    cors: values.cors ?? false,
    anyHost: values["any-host"] ?? false,
    compress,
    precompressed: values.precompressed ?? false,
    spa,
    cleanUrls: values["clean-urls"] ?? false,
    workers,
    maxConnections,
    rootGiven,
    portGiven,
    rules: { ...NO_RULES, headers: headerRules },
    ...proxies,
    // The default port needs no warning: only a port the user chose does.
    notices: [
      ...(portGiven ? portNotices(port) : []),
      ...(https.httpsRedirectPort === null ? [] : portNotices(https.httpsRedirectPort)),
      ...compressNotices,
    ],
  };
}

/**
 * Reads every `-H 'Name: value'` into a header rule for every path. Naming a field twice is
 * refused rather than letting one value silently win.
 */
function parseHeaderOptions(texts: readonly string[]): HeaderRule[] | OptionError {
  const rules: HeaderRule[] = [];
  const names = new Set<string>();
  for (const text of texts) {
    const parsed = parseHeaderOption(text);
    if (!parsed.ok) return failOn("header", `-H ${JSON.stringify(text)}: ${parsed.reason}`);
    const name = Object.keys(parsed.rule.set!)[0];
    if (names.has(name.toLowerCase())) {
      return failOn(
        "header",
        `-H names ${name} twice: give it once (a list value joins with ", ")`,
      );
    }
    names.add(name.toLowerCase());
    rules.push(parsed.rule);
  }
  return rules;
}

/** The reverse-proxy and metrics part of a serve command. */
type ProxyOptions = Pick<ServeCommand, "trustedProxies" | "metrics">;

/**
 * Validates `--trusted-proxy CIDR|loopback` (repeatable; `loopback` is 127.0.0.0/8 and ::1) and
 * `--metrics PATH` (a plain absolute path, answered before the resolver).
 */
function parseProxyOptions(
  values: { readonly "trusted-proxy"?: readonly string[]; readonly metrics?: string },
): ProxyOptions | OptionError {
  const trustedProxies: string[] = [];
  for (const text of values["trusted-proxy"] ?? []) {
    const ranges = text === "loopback" ? LOOPBACK_CIDRS : [text];
    if (text !== "loopback" && parseCidr(text) === null) {
      return failOn(
        "trusted-proxy",
        `--trusted-proxy takes an address, a CIDR range (10.0.0.0/8, 2001:db8::/32) or ` +
          `loopback, got "${text}"`,
      );
    }
    for (const range of ranges) if (!trustedProxies.includes(range)) trustedProxies.push(range);
  }
  if (trustedProxies.length > MAX_TRUSTED_PROXIES) {
    return failOn(
      "trusted-proxy",
      `--trusted-proxy takes at most ${MAX_TRUSTED_PROXIES} ranges; give wider ones`,
    );
  }
  const metrics = values.metrics ?? null;
  // The path is compared with the request's path as sent: no query, no dot segments, no escapes.
  if (
    metrics !== null &&
    (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@\/-]*$/.test(metrics) || /(^|\/)\.\.?(\/|$)/.test(metrics))
  ) {
    return failOn(
      "metrics",
      `--metrics takes a path such as /metrics (no query, dot segments or escapes), got "${metrics}"`,
    );
  }
  return { trustedProxies, metrics };
}

/** The HTTPS part of a serve command. */
type HttpsOptions = Pick<ServeCommand, "tlsCert" | "tlsKey" | "httpsRedirectPort" | "hstsMaxAgeS">;

/** Validates `--tls-cert`, `--tls-key`, `--https-redirect-port` and `--hsts` together. */
function parseHttps(
  values: {
    readonly "tls-cert"?: string;
    readonly "tls-key"?: string;
    readonly "https-redirect-port"?: string;
    readonly hsts?: string;
  },
  port: number,
): HttpsOptions | OptionError {
  const tlsCert = values["tls-cert"] ?? null;
  const tlsKey = values["tls-key"] ?? null;
  if ((tlsCert === null) !== (tlsKey === null)) {
    return failOn("tls-cert", "--tls-cert and --tls-key go together: give both, as PEM files");
  }
  if (tlsCert === "" || tlsKey === "") {
    return failOn("tls-cert", "--tls-cert and --tls-key must name files");
  }
  const redirectText = values["https-redirect-port"];
  const hstsText = values.hsts;
  if (tlsCert === null && redirectText !== undefined) {
    return failOn(
      "https-redirect-port",
      "--https-redirect-port needs HTTPS: give --tls-cert and --tls-key too",
    );
  }
  if (tlsCert === null && hstsText !== undefined) {
    return failOn("hsts", "--hsts needs HTTPS: give --tls-cert and --tls-key too");
  }
  let httpsRedirectPort: number | null = null;
  if (redirectText !== undefined) {
    if (!/^\d+$/.test(redirectText) || Number(redirectText) > MAX_PORT) {
      return failOn(
        "https-redirect-port",
        `--https-redirect-port must be an integer from 0 to ${MAX_PORT}, got "${redirectText}"`,
      );
    }
    httpsRedirectPort = Number(redirectText);
    if (httpsRedirectPort !== 0 && httpsRedirectPort === port) {
      return failOn(
        "https-redirect-port",
        `--https-redirect-port must differ from the HTTPS port ${port}`,
      );
    }
  }
  let hstsMaxAgeS: number | null = null;
  if (hstsText !== undefined) {
    if (!/^\d+$/.test(hstsText) || Number(hstsText) > MAX_HSTS_MAX_AGE_S) {
      return failOn(
        "hsts",
        `--hsts takes seconds from 0 to ${MAX_HSTS_MAX_AGE_S} after "=" (--hsts=31536000), ` +
          `got "${hstsText}"`,
      );
    }
    hstsMaxAgeS = Number(hstsText);
  }
  return { tlsCert, tlsKey, httpsRedirectPort, hstsMaxAgeS };
}

/** The realm a Basic challenge names without `--auth-realm`. */
export const DEFAULT_AUTH_REALM = "sockserve";

/** The authentication part of a serve command. */
type AuthOptions = Pick<ServeCommand, "authUsers" | "authFile" | "authRealm">;

/**
 * Validates `--auth` (repeatable), `--auth-file` and `--auth-realm`; the file is read at
 * startup. A password where a hash belongs is refused without being echoed.
 */
function parseAuth(
  values: {
    readonly auth?: readonly string[];
    readonly "auth-file"?: string;
    readonly "auth-realm"?: string;
  },
): AuthOptions | OptionError {
  const authUsers: AuthUser[] = [];
  for (const value of values.auth ?? []) {
    const user = parseAuthValue(value);
    if ("kind" in user) return failOn("auth", user.message);
    if (authUsers.some((u) => u.user === user.user)) {
      return failOn("auth", `--auth names "${user.user}" twice; give each user once`);
    }
    authUsers.push(user);
  }
  const authFile = values["auth-file"] ?? null;
  if (authFile === "") return failOn("auth-file", "--auth-file must name a file");
  const realm = values["auth-realm"];
  if (realm !== undefined && authUsers.length === 0 && authFile === null) {
    return failOn("auth-realm", "--auth-realm needs --auth or --auth-file");
  }
  // A quoted-string may hold only visible ASCII here (RFC 9110 §5.6.4), and no line break.
  if (realm !== undefined && !/^[\x20-\x7e]+$/.test(realm)) {
    return failOn("auth-realm", `--auth-realm must be non-empty printable ASCII, got "${realm}"`);
  }
  return { authUsers, authFile, authRealm: realm ?? DEFAULT_AUTH_REALM };
}

/**
 * Returns the notice for a port in the well-known or registered range (RFC 6335 §6).
 *
 * @param port The port.
 * @returns Zero or one line.
 */
export function portNotices(port: number): string[] {
  if (port === 0) return [];
  if (port < FIRST_REGISTERED_PORT) {
    return [`Well-known port number ${port} entered - could cause a conflict.`];
  }
  if (port < FIRST_DYNAMIC_PORT) {
    return [`Registered port number ${port} entered - could cause a conflict.`];
  }
  return [];
}

/**
 * Formats the URL a server is reachable at, bracketing IPv6 hosts.
 *
 * @param host The listen address.
 * @param port The real port.
 * @param secure Whether it serves HTTPS.
 * @returns E.g. `http://127.0.0.1:8080/`.
 */
export function formatServerUrl(host: string, port: number, secure = false): string {
  return `${secure ? "https" : "http"}://${bracketHost(host)}:${port}/`;
}
