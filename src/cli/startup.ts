/**
 * Everything that can stop the server before it listens, checked in order, each failure as one
 * line and an exit code: Deno permissions, the root, the log dir, the certificate, the users
 * (`--auth-file`), the listening socket.
 *
 * @module
 */

import { bracketHost, isLoopbackAddress } from "../http/authority.ts";
import { fileURLToPath } from "node:url";
import {
  CSV_HEADER_PEEK_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  FD_RESERVE,
  MAX_AUTH_FILE_BYTES,
  MAX_CONFIG_FILE_BYTES,
} from "../limits.ts";
import { DEFAULT_ROOT, formatServerUrl, SERVE_OPTION_NAMES, type ServeCommand } from "./args.ts";
import { ENV_PREFIX, envVariable } from "./config.ts";
import { bindPlan } from "../server/listeners.ts";
import { CSV_FORWARDED_COLUMN, SOCKETS_FILE } from "../log/format.ts";
import { relativeInside, resolvePath } from "../server/resolver.ts";
import { shellSettings } from "../server/fallbacks.ts";
import { IS_WINDOWS } from "../platform.ts";
import { type CheckedPair, expiryWarning, readTlsPair } from "../server/tls.ts";
import { watchTlsFiles } from "../server/tls_reload.ts";
import { REOPEN_SIGNALS, reopenLogsOnSignals, stopOnSignals } from "../server/signals.ts";
import { dirname } from "node:path";
import type { Server } from "../server/serve.ts";
import type { AuthSettings } from "../server/auth.ts";
import { mergeUsers, parseHtpasswd } from "./htpasswd.ts";
import { canSharePort, hasAllPermissions, serveWithWorkers } from "../server/workers.ts";

/** A failure to start: the one line to print on stderr and the exit code. */
export class StartupError extends Error {
  /** The process exit code: 2 for a usage problem, 1 for a runtime one. */
  readonly exitCode: 1 | 2;

  /**
   * @param message The line to print.
   * @param exitCode The exit code.
   */
  constructor(message: string, exitCode: 1 | 2) {
    super(message);
    this.exitCode = exitCode;
  }
}

/**
 * The default site shipped beside main.ts; `deno compile --include www` embeds it in the binary,
 * where this URL points into the binary's own file system.
 */
export const BUNDLED_ROOT: string = fileURLToPath(new URL("../../www", import.meta.url));

/**
 * sockserve's own folder: a worker isolate loads its modules (and deno.json, node_modules) from
 * it, and Deno checks read access for every module a worker imports.
 */
const WORKER_SOURCE: string = fileURLToPath(new URL("../..", import.meta.url)).replace(
  /[\\/]$/,
  "",
);

/** The folder to serve and why it was chosen (shown by --help). */
export interface RootChoice {
  readonly root: string;
  readonly reason: string;
}

/**
 * Chooses the root: `--root` when given, else `./www` when it exists (or cannot be checked
 * without permission, so the permission error names it), else the bundled default site.
 *
 * @param command The serve options.
 * @returns The root and a one-line reason.
 */
export function chooseRoot(command: Pick<ServeCommand, "root" | "rootGiven">): RootChoice {
  if (command.rootGiven) return { root: command.root, reason: "given with --root" };
  if (Deno.permissions.querySync({ name: "read", path: DEFAULT_ROOT }).state !== "granted") {
    return { root: DEFAULT_ROOT, reason: "the default" };
  }
  try {
    if (Deno.statSync(DEFAULT_ROOT).isDirectory) {
      return { root: DEFAULT_ROOT, reason: "found in the current folder" };
    }
  } catch {
    // Not there: fall back to the bundled site.
  }
  return {
    root: BUNDLED_ROOT,
    reason: "the default site bundled with sockserve; there is no ./www here",
  };
}

/**
 * The `SOCKSERVE_*` variables this process may read, without a permission prompt: all of them
 * with `--allow-env`, else each option's variable that `--allow-env=…` names.
 *
 * @returns The variables and their values.
 */
export function readableEnvironment(): Record<string, string> {
  if (Deno.permissions.querySync({ name: "env" }).state === "granted") {
    return Object.fromEntries(
      Object.entries(Deno.env.toObject()).filter(([name]) => name.startsWith(ENV_PREFIX)),
    );
  }
  const env: Record<string, string> = {};
  for (const variable of ["SOCKSERVE_CONFIG", ...SERVE_OPTION_NAMES.map(envVariable)]) {
    if (Deno.permissions.querySync({ name: "env", variable }).state !== "granted") continue;
    const value = Deno.env.get(variable);
    if (value !== undefined) env[variable] = value;
  }
  return env;
}

/**
 * Reads a config file named by `--config` or `SOCKSERVE_CONFIG`, after asking Deno (never a
 * prompt), with its size bounded.
 *
 * @param path The file.
 * @returns Its text.
 * @throws Error saying why it cannot be read, in words for one line.
 */
export function readConfigFile(path: string): string {
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
    throw new Error(`read access is not granted: add --allow-read=${path}`);
  }
  let file;
  try {
    file = Deno.openSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error("no such file");
    if (error instanceof Deno.errors.PermissionDenied) throw new Error("permission denied");
    throw error;
  }
  try {
    if (!file.statSync().isFile) throw new Error("not a file");
    const buffer = new Uint8Array(MAX_CONFIG_FILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = file.readSync(buffer.subarray(length));
      if (n === null) break;
      length += n;
    }
    if (length > MAX_CONFIG_FILE_BYTES) {
      throw new Error(`larger than ${MAX_CONFIG_FILE_BYTES / 1024} KiB`);
    }
    return new TextDecoder("utf-8", { fatal: true }).decode(buffer.subarray(0, length));
  } catch (error) {
    if (error instanceof TypeError) throw new Error("not UTF-8 text");
    throw error;
  } finally {
    file.close();
  }
}

/**
 * Checks that Deno grants what serving needs, so a missing flag is named instead of failing
 * later on the first request.
 *
 * @param command The serve options.
 * @throws StartupError naming the flag to add.
 */
export function checkPermissions(command: ServeCommand): void {
  const missing = (descriptor: Deno.PermissionDescriptor) =>
    Deno.permissions.querySync(descriptor).state !== "granted";
  if (missing({ name: "read", path: command.root })) {
    throw new StartupError(
      `Read access to "${command.root}" is not granted: add --allow-read=${command.root}`,
      2,
    );
  }
  if (command.workers > 1 && missing({ name: "read", path: WORKER_SOURCE })) {
    throw new StartupError(
      `--workers loads sockserve's modules in each isolate: add --allow-read=${WORKER_SOURCE}`,
      2,
    );
  }
  if (missing({ name: "write", path: command.logDir })) {
    throw new StartupError(
      `Write access to "${command.logDir}" is not granted: add --allow-write=${command.logDir}`,
      2,
    );
  }
  // The access log (unless it is stdout) is written by name, and rotated beside itself: renaming
  // FILE to FILE.1 needs write access to its folder, not just to the file.
  const accessLog = command.accessLog === "-" ? null : command.accessLog;
  if (accessLog !== null) {
    const needed = command.logMaxSize === null ? accessLog : dirname(accessLog);
    if (missing({ name: "write", path: needed })) {
      throw new StartupError(
        `Write access to "${needed}" (--access-log) is not granted: add --allow-write=${needed}`,
        2,
      );
    }
  }
  for (const file of [command.tlsCert, command.tlsKey, command.authFile]) {
    if (file !== null && missing({ name: "read", path: file })) {
      throw new StartupError(
        `Read access to "${file}" is not granted: add --allow-read=${file}`,
        2,
      );
    }
  }
  // Deno names IPv6 hosts in brackets, as URLs do. An optional companion (::1 for localhost)
  // is used only if granted.
  const required = bindPlan(command.hosts).filter((b) => !b.optional).map((b) =>
    bracketHost(b.hostname)
  );
  for (const host of required) {
    let netMissing: boolean;
    try {
      netMissing = missing({ name: "net", host });
    } catch {
      throw new StartupError(`Host "${host}" is not a valid address.`, 2);
    }
    if (netMissing) {
      throw new StartupError(
        `Network access to "${host}" is not granted: add --allow-net=${required.join(",")}`,
        2,
      );
    }
  }
}

/**
 * Reads and checks the certificate and key (`--tls-cert`, `--tls-key`), and refuses a key the
 * server itself would hand out: one inside the served root.
 *
 * @param command The serve options.
 * @returns The checked pair, or null without HTTPS.
 * @throws StartupError with exit code 2 and the reason in one line.
 */
export async function loadCertificate(command: ServeCommand): Promise<CheckedPair | null> {
  if (command.tlsCert === null || command.tlsKey === null) return null;
  const files = { certFile: command.tlsCert, keyFile: command.tlsKey };
  const verdict = await readTlsPair(files);
  if (!verdict.ok) throw new StartupError(verdict.message, 2);
  try {
    const [realRoot, realKey] = await Promise.all([
      Deno.realPath(command.root),
      Deno.realPath(command.tlsKey),
    ]);
    if (relativeInside(realRoot, realKey) !== null) {
      throw new StartupError(
        `${command.tlsKey} is inside the served root ${command.root}: anyone could download ` +
          `the private key; move it out.`,
        2,
      );
    }
  } catch (error) {
    if (error instanceof StartupError) throw error;
    // Not comparable (no read access to the root's real path): the read above succeeded.
  }
  const warning = expiryWarning(verdict, files, new Date());
  if (warning !== null) console.error(warning);
  return verdict;
}

/**
 * Reads the users of `--auth-file` (htpasswd, bcrypt only) and joins them with those of `--auth`,
 * refusing a file inside the served root, where anyone allowed in could download every hash.
 *
 * @param command The serve options.
 * @returns The realm and users, or null when anyone may read.
 * @throws StartupError with exit code 2 and the reason in one line (FILE:LINE for a bad line).
 */
export async function loadAuth(command: ServeCommand): Promise<AuthSettings | null> {
  const file = command.authFile;
  if (file === null) {
    return command.authUsers.length === 0
      ? null
      : { realm: command.authRealm, users: command.authUsers };
  }
  let bytes: Uint8Array;
  try {
    if ((await Deno.stat(file)).size > MAX_AUTH_FILE_BYTES) {
      throw new StartupError(`${file} is larger than ${MAX_AUTH_FILE_BYTES} bytes`, 2);
    }
    bytes = await Deno.readFile(file);
  } catch (error) {
    if (error instanceof StartupError) throw error;
    throw new StartupError(`Cannot read --auth-file "${file}": ${(error as Error).message}`, 2);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new StartupError(`${file} is not UTF-8 text`, 2);
  }
  const parsed = parseHtpasswd(text, file);
  if ("kind" in parsed) throw new StartupError(parsed.message, 2);
  const users = mergeUsers(command.authUsers, { users: parsed, file });
  if ("kind" in users) throw new StartupError(users.message, 2);
  const [realRoot, realFile] = await Promise.all([
    Deno.realPath(command.root),
    Deno.realPath(file),
  ]).catch(() => [null, null]);
  if (realRoot !== null && realFile !== null && relativeInside(realRoot, realFile) !== null) {
    throw new StartupError(
      `${file} is inside the served root ${command.root}: it could be downloaded with every ` +
        `password hash in it; move it out.`,
      2,
    );
  }
  return { realm: command.authRealm, users };
}

/**
 * Returns the warning for passwords sent in the clear: Basic credentials are only base64, so
 * without HTTPS anyone on the network path can read them (RFC 7617 §4). Loopback stays on this
 * machine (and a reverse proxy there may terminate TLS), so it gets none.
 *
 * @param hosts The listen addresses.
 * @param secure Whether the server speaks HTTPS.
 * @returns The warning line, or null.
 */
export function authTransportWarning(hosts: readonly string[], secure: boolean): string | null {
  const exposed = hosts.find((host) => host !== "localhost" && !isLoopbackAddress(host));
  if (secure || exposed === undefined) return null;
  return `Warning: --auth without HTTPS on ${bracketHost(exposed)}: passwords cross the ` +
    `network readable by anyone on the way; add --tls-cert and --tls-key.`;
}

/**
 * Checks the root is an existing directory and creates the log dir.
 *
 * @param command The serve options.
 * @throws StartupError with exit code 2.
 */
export async function prepareFolders(command: ServeCommand): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(command.root);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new StartupError(`Directory ${command.root} does not exist.`, 2);
    }
    throw new StartupError(`Cannot open "${command.root}": ${(error as Error).message}`, 2);
  }
  if (!info.isDirectory) throw new StartupError(`"${command.root}" is not a directory.`, 2);
  try {
    await Deno.mkdir(command.logDir, { recursive: true });
  } catch (error) {
    throw new StartupError(
      `Cannot create log dir "${command.logDir}": ${(error as Error).message}`,
      2,
    );
  }
  const warning = await logDirWarning(command.root, command.logDir);
  if (warning !== null) console.error(warning);
}

/**
 * Checks the `--spa` file is a regular file inside the root, found the way a request for it is
 * (links followed only inside the root, dotfiles hidden), so a typo fails at start rather than
 * turning every missing route into a 404.
 *
 * @param command The serve options, with the root chosen.
 * @throws StartupError with exit code 2 and the reason in one line.
 */
export async function checkSpaFile(
  command: Pick<ServeCommand, "root" | "spa" | "dotfiles">,
): Promise<void> {
  if (command.spa === null) return;
  let shell;
  try {
    shell = shellSettings(command.spa, { dotfiles: command.dotfiles, windows: IS_WINDOWS })!;
  } catch (error) {
    // A name this platform reads as something else (a Windows device, say).
    throw new StartupError(`--spa file ${command.spa} cannot be served here: ${error}`, 2);
  }
  const root = { realPath: await Deno.realPath(command.root), dotfiles: command.dotfiles };
  const found = await resolvePath(root, shell.path);
  if (found.kind === "file") return;
  const what = found.kind === "redirect" || found.kind === "directory"
    ? "is a folder; name its file, such as /index.html"
    : found.kind === "forbidden"
    ? "cannot be read"
    : "is not a file inside the root";
  throw new StartupError(`--spa file ${command.spa} ${what} (root ${command.root}).`, 2);
}

/**
 * Returns a warning when the log dir lies inside the served root, where anyone could download
 * the logs (client addresses, every request); null otherwise, or when it cannot be checked
 * (no read access to the log dir means it is not under the readable root).
 *
 * @param root The served root.
 * @param logDir The log dir.
 * @returns The warning line, or null.
 */
export async function logDirWarning(root: string, logDir: string): Promise<string | null> {
  // Without read access to the log dir it cannot be under the readable root; and asking for a
  // real path there would make Deno prompt in a terminal.
  if (Deno.permissions.querySync({ name: "read", path: logDir }).state !== "granted") return null;
  try {
    const [realRoot, realLogs] = await Promise.all([Deno.realPath(root), Deno.realPath(logDir)]);
    if (relativeInside(realRoot, realLogs) === null) return null;
  } catch {
    return null;
  }
  return `Warning: log dir "${logDir}" is inside the served root "${root}", so anyone can ` +
    `download the logs; choose a --log-dir outside it.`;
}

/**
 * Decides whether SocketOutput.csv gets the `forwarded_client` column: a file sockserve creates
 * does; an existing file does only if its header row already has it, so rows appended to a file
 * of an older version keep its shape (a CSV reader expects every row as wide as the header). A
 * file that cannot be read (scoped flags without read on the log dir) keeps the old shape.
 *
 * @param logDir The log dir.
 * @returns Whether to write the column.
 */
export async function csvTakesForwardedColumn(logDir: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(`${logDir}/${SOCKETS_FILE}`, { read: true });
  } catch (error) {
    return error instanceof Deno.errors.NotFound;
  }
  try {
    const start = new Uint8Array(CSV_HEADER_PEEK_BYTES);
    const n = await file.read(start);
    const header = new TextDecoder().decode(start.subarray(0, n ?? 0)).split("\n")[0];
    // An empty file gets its header row when sockserve first writes to it: the new shape.
    return n === null || header.trim().split(",").at(-1) === CSV_FORWARDED_COLUMN;
  } catch {
    return false;
  } finally {
    file.close();
  }
}

/**
 * Runs every startup check, listens, handles the signals (stop, reopen the logs, reload the
 * certificate), and only then prints the `Serving … at …` line: the banner means ready.
 *
 * @param command The serve options.
 * @param colour Whether console output may be coloured.
 * @param hangUp SIGHUP stops the server, as SIGTERM does, instead of reopening the logs and
 *   reloading the certificate (see `hangUpStops`).
 * @returns The running server.
 * @throws StartupError for every expected failure.
 */
export async function startServer(
  options: ServeCommand,
  colour: boolean,
  hangUp = false,
): Promise<Server> {
  const command = { ...options, root: chooseRoot(options).root };
  // With every permission, the main isolate supervises serving isolates that get only what
  // serving needs (workers.ts); with scoped flags, Deno already holds them and must grant them.
  const supervised = hasAllPermissions();
  if (!supervised) checkPermissions(command);
  await prepareFolders(command);
  await checkSpaFile(command);
  const certificate = await loadCertificate(command);
  const auth = await loadAuth(command);
  const authWarning = auth === null
    ? null
    : authTransportWarning(command.hosts, certificate !== null);
  if (authWarning !== null) console.error(authWarning);
  let workers = command.workers;
  if (workers > 1 && !canSharePort()) {
    console.error(
      `--workers needs Linux's SO_REUSEPORT; serving with one isolate on ${Deno.build.os}.`,
    );
    workers = 1;
  }
  const maxConnections = command.maxConnections ?? defaultMaxConnections();
  let server: Server;
  try {
    server = await serveWithWorkers(
      {
        ...command,
        host: command.hosts,
        colour,
        // Each isolate gets its share of the cap (the kernel spreads connections evenly).
        maxConnections: Math.max(1, Math.floor(maxConnections / workers)),
        tls: certificate?.pair ?? null,
        auth,
        csvForwardedColumn: command.trustedProxies.length > 0 &&
          await csvTakesForwardedColumn(command.logDir),
        // A new certificate gets new sockets beside the old ones: the port never closes.
        reusePort: certificate !== null && canSharePort(),
      },
      { workers, supervised },
    );
  } catch (error) {
    throw listenError(error, command);
  }
  if (server.confinement === "identity" && Deno.build.os === "linux") {
    console.error(
      "Notice: with scoped Deno flags, sockserve can only check opened files against a fresh " +
        "resolution: someone who can rename folders inside the root, racing requests, can get " +
        "files from outside it served (a test attack won on a few percent of requests). " +
        "Run with -A (as deno task serve does) for kernel-proven confinement.",
    );
  }
  if (certificate !== null && !supervised) {
    console.error(
      "Notice: with scoped Deno flags, sockserve cannot free the socket of a TLS handshake a " +
        "client leaves unfinished (Deno keeps it until the client goes): many such clients " +
        "can use up file descriptors. Run with -A (as deno task serve does) to have them freed.",
    );
  }
  // Every signal is handled before the banner says the server is up: whoever waits for the
  // banner (a service manager, logrotate, a test) may signal at once, and SIGHUP, SIGUSR1 and
  // SIGTERM left to their default action would kill the process mid-write.
  const stopSignals = stopOnSignals(() => void server.stop(), hangUp);
  void server.finished.then(stopSignals);
  if (certificate !== null) {
    const reloader = watchTlsFiles({
      files: { certFile: command.tlsCert!, keyFile: command.tlsKey! },
      current: certificate,
      apply: (pair) => server.reloadTls(pair),
      report: (line) => console.error(line),
      onSignal: !hangUp,
    });
    void server.finished.then(() => reloader.stop());
  }
  const stopReopening = reopenLogsOnSignals(
    () => server.reopenLogs(),
    hangUp ? REOPEN_SIGNALS.filter((s) => s !== "SIGHUP") : REOPEN_SIGNALS,
  );
  void server.finished.then(stopReopening);
  const wildcard = command.hosts.find(isWildcard);
  // One write: whoever reads the banner from a pipe gets it whole, never the first line alone.
  console.log(
    formatBanner({
      root: command.root,
      hosts: command.hosts,
      port: server.addr.port,
      networkAddresses: wildcard === undefined ? [] : networkAddresses(wildcard),
      workers,
      supervised,
      logDir: command.logDir,
      verbose: command.verbose,
      certificate: certificate === null
        ? null
        : { subject: certificate.subject, notAfter: certificate.notAfter },
      redirectPort: server.redirectPort,
    }).join("\n"),
  );
  return server;
}

/**
 * The default connection cap: the process's open-file limit less a reserve for files, logs and
 * the runtime, read from /proc/self/limits where Deno allows it; else a fixed default.
 *
 * @returns Open connections at most, all isolates together.
 */
export function defaultMaxConnections(): number {
  if (!hasAllPermissions()) return DEFAULT_MAX_CONNECTIONS;
  try {
    const limits = Deno.readTextFileSync("/proc/self/limits");
    const soft = /^Max open files\s+(\d+)/m.exec(limits);
    if (soft !== null) return Math.max(16, Number(soft[1]) - FD_RESERVE);
  } catch {
    // Not Linux, or not every permission: use the fixed default.
  }
  return DEFAULT_MAX_CONNECTIONS;
}

/** Maps a failure to listen (in this isolate or a worker's) to its one-line startup error. */
function listenError(error: unknown, command: ServeCommand): StartupError {
  const message = error instanceof Error ? error.message : String(error);
  // A worker reports its error as "Name: message".
  const is = (kind: new (...args: never[]) => Error) =>
    error instanceof kind || message.startsWith(`${kind.name}:`);
  if (/unstable/i.test(message)) {
    return new StartupError(
      "--workers needs Deno's --unstable-net flag (deno run --unstable-net …)",
      2,
    );
  }
  // listeners.ts names the socket that failed at the end of the message.
  const at = /^(.*) \(listening on (.+):(\d+)\)$/s.exec(message);
  const host = at?.[2] ?? bracketHost(command.hosts[0]);
  const port = at?.[3] ?? String(command.port);
  const detail = (at?.[1] ?? message).replace(/^\w+: /, "");
  if (is(Deno.errors.AddrInUse)) {
    return new StartupError(`Port ${port} on ${host} is already in use.`, 1);
  }
  if (is(Deno.errors.PermissionDenied)) {
    return new StartupError(
      `Not allowed to listen on port ${port}: ports below 1024 need privileges.`,
      1,
    );
  }
  // The TLS library's own refusal of a pair our checks let through: still a bad file.
  if (command.tlsCert !== null && /key|cert/i.test(detail)) {
    return new StartupError(
      `The TLS library refused ${command.tlsCert} with ${command.tlsKey}: ${detail}`,
      2,
    );
  }
  return new StartupError(`Cannot listen on ${host}:${port}: ${detail}`, 1);
}

/** What the startup banner says. */
export interface BannerFacts {
  readonly root: string;
  /** The addresses asked for, in order. */
  readonly hosts: readonly string[];
  readonly port: number;
  /** This machine's other addresses, when listening on every interface. */
  readonly networkAddresses: readonly string[];
  readonly workers: number;
  readonly supervised: boolean;
  readonly logDir: string;
  readonly verbose: boolean;
  /** The certificate served (HTTPS), or null. */
  readonly certificate: { readonly subject: string; readonly notAfter: Date } | null;
  /** The plain port redirecting to HTTPS, or null. */
  readonly redirectPort: number | null;
}

/**
 * Formats the startup banner (pure): the URL to open first (for 0.0.0.0 and `::` the loopback
 * one), the other addresses asked for, each network address a phone or another computer can
 * use, the HTTPS redirect and certificate, the worker count and where the two logs are; with
 * `--verbose`, the seed's `Welcome socket created: IP, PORT` line per address.
 *
 * @param facts What to say.
 * @returns The lines.
 */
export function formatBanner(facts: BannerFacts): string[] {
  const { port } = facts;
  const secure = facts.certificate !== null;
  const local = (host: string) => host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  const [first, ...others] = facts.hosts;
  const lines = [`Serving ${facts.root} at ${formatServerUrl(local(first), port, secure)}`];
  for (const host of others) lines.push(`  also at ${formatServerUrl(local(host), port, secure)}`);
  for (const address of facts.networkAddresses) {
    lines.push(`  on the network: ${formatServerUrl(address, port, secure)}`);
  }
  if (facts.redirectPort !== null) {
    lines.push(`  ${formatServerUrl(local(first), facts.redirectPort)} redirects to HTTPS`);
  }
  if (facts.certificate !== null) {
    lines.push(
      `  certificate: ${facts.certificate.subject}, valid until ${
        facts.certificate.notAfter.toISOString().slice(0, 10)
      }`,
    );
  }
  const isolates = `${facts.workers} serving isolate${facts.workers === 1 ? "" : "s"}`;
  lines.push(
    `  ${isolates}${facts.supervised ? ", each allowed to read only the root" : ""}; logs: ` +
      `${facts.logDir}/HTTPResponses.txt and ${facts.logDir}/SocketOutput.csv`,
  );
  if (facts.verbose) {
    for (const host of facts.hosts) lines.push(`Welcome socket created: ${host}, ${port}`);
  }
  return lines;
}

/** Whether a listen address means every interface. */
function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::";
}

/**
 * This machine's addresses other people can reach (not loopback, not link-local), when Deno
 * allows reading them (without the `sys` permission the banner just leaves them out).
 *
 * @param host The wildcard listened on: `0.0.0.0` lists IPv4 only.
 * @returns The addresses.
 */
function networkAddresses(host: string): string[] {
  if (Deno.permissions.querySync({ name: "sys", kind: "networkInterfaces" }).state !== "granted") {
    return [];
  }
  try {
    return Deno.networkInterfaces()
      .filter((i) => (host === "::" || i.family === "IPv4") && !isLoopbackAddress(i.address))
      .filter((i) => !i.address.toLowerCase().startsWith("fe80:"))
      .map((i) => i.address)
      .filter((address, index, all) => all.indexOf(address) === index);
  } catch {
    return [];
  }
}
