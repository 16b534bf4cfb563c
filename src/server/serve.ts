/**
 * The server: the one place that names the order of things.
 *
 *   socket → connection (parser) → answer: method → resolver → responder → socket
 *                                        └──────────── logs watch every response ──┘
 *
 * It accepts connections, runs the one timer that enforces every connection's deadline, and
 * stops gracefully: no new connections, idle ones closed, in-flight responses finished within
 * a bound, logs flushed.
 *
 * @module
 */

import { isLoopbackAddress, unmapAddress } from "../http/authority.ts";
import { writeAll } from "../io/full_io.ts";
import type { RequestHead } from "../http/request.ts";
import {
  ACCEPT_RETRY_MS,
  DEFAULT_LOG_KEEP,
  MIN_SEND_BYTES_PER_S,
  SHUTDOWN_GRACE_S,
  STUCK_WORK_GRACE_S,
  SWEEP_INTERVAL_MS,
} from "../limits.ts";
import { type Endpoint } from "../log/format.ts";
import { type LogSink } from "../log/sink.ts";
import { LogWriter } from "../log/writer.ts";
import { ACCESS_LOG_STDOUT, type AccessLogFormat } from "../log/access.ts";
import { logTextOptions } from "../log/pending.ts";
import { type CacheStats, FileCache } from "./cache.ts";
import {
  Connection,
  type ConnectionInfo,
  type ConnectionOptions,
  type Handler,
} from "./connection.ts";
import { errorPage } from "./error_pages.ts";
import { shellSettings } from "./fallbacks.ts";
import { type Confinement, detectConfinement, type Supervisor } from "./opener.ts";
import type { Root } from "./resolver.ts";
import { Listeners, type TlsPair } from "./listeners.ts";
import { type SocketEnds, SocketReaper } from "./socket_reaper.ts";
import { hasAllPermissions, IS_WINDOWS } from "../platform.ts";
import { checkRules, type CompiledRules, compileRules, loadGlobs, type Rules } from "./rules.ts";
import { type AuthSettings, loadPasswordLibraries, PasswordGate } from "./auth.ts";
import { type Cidr, isInRanges, parseCidr } from "../http/forwarded.ts";
import {
  EMPTY_SNAPSHOT,
  formatMetrics,
  mergeSnapshots,
  Metrics,
  type MetricsSnapshot,
} from "./metrics.ts";
import { formatBasicChallenge } from "../http/basic_auth.ts";
import {
  type AnswerContext,
  answerHttpsRedirect,
  answerRequest,
  codingSettings,
  withRuleHeaders,
} from "./router.ts";

/** What a user of {@linkcode serve} chooses: the folder, the address, the logs and the rules. */
export interface ServeSettings {
  /** The folder to serve. */
  readonly root: string;
  /**
   * Address(es) to listen on, all on one port: `localhost` means 127.0.0.1 and ::1, and `::`
   * serves IPv4 too (see `listeners.ts`).
   */
  readonly host: string | readonly string[];
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** Folder for `HTTPResponses.txt` and `SocketOutput.csv`; it must exist. */
  readonly logDir: string;
  /** Seconds to receive a complete request head. */
  readonly headerTimeoutS: number;
  /** Seconds to receive a whole request body once its head is in. @default headerTimeoutS */
  readonly bodyTimeoutS?: number;
  /** Seconds a keep-alive connection may idle. */
  readonly idleTimeoutS: number;
  /** `1.0` closes every connection after one response. */
  readonly protocol: "1.0" | "1.1";
  /** Let a loopback client stop the server with `GET /STOP`. */
  readonly allowStop: boolean;
  /** No access lines. */
  readonly quiet: boolean;
  /** Connection events on the console. */
  readonly verbose: boolean;
  /** Colour console output. */
  readonly colour: boolean;
  /** The access log: a file, `-` for stdout, or null for none. @default null */
  readonly accessLog?: string | null;
  /** The access log's format. @default "combined" */
  readonly accessLogFormat?: AccessLogFormat;
  /** Rotate each log file before it would pass this many bytes; null never. @default null */
  readonly logMaxSize?: number | null;
  /** Rotated files kept per log (FILE.1 … FILE.N). @default DEFAULT_LOG_KEEP */
  readonly logKeep?: number;
  /** Serve dotfiles and list them. @default false */
  readonly dotfiles?: boolean;
  /** List directories without index.html. @default false */
  readonly listing?: boolean;
  /** Cache-Control for file responses. @default null */
  readonly cacheControl?: string | null;
  /** Add `Access-Control-Allow-Origin: *`. @default false */
  readonly cors?: boolean;
  /**
   * Answer any Host even when listening on loopback (behind a reverse proxy that forwards the
   * public Host). @default false
   */
  readonly anyHost?: boolean;
  /**
   * Open connections at most; further ones wait in the kernel's accept queue until one closes,
   * so descriptors never run out. @default Infinity
   */
  readonly maxConnections?: number;
  /** Serve HTTPS with this certificate and key (PEM, checked by `tls.ts`). @default null */
  readonly tls?: TlsPair | null;
  /**
   * With `tls`: also listen for plain HTTP on this port and answer every request with a 308 to
   * its HTTPS address. @default null
   */
  readonly httpsRedirectPort?: number | null;
  /**
   * With `tls`: send `Strict-Transport-Security: max-age=N` on HTTPS responses for domain names
   * (never for `localhost` or IP addresses). @default null
   */
  readonly hstsMaxAgeS?: number | null;
  /**
   * Compress compressible files of 512 B to 1 MiB on the fly with br, zstd or gzip, as the
   * request's Accept-Encoding prefers (not with a `no-transform` Cache-Control). @default false
   */
  readonly compress?: boolean;
  /**
   * Serve `FILE.br`, `FILE.zst` or `FILE.gz` beside `FILE` to clients that accept that coding,
   * when it is not older than `FILE`. @default false
   */
  readonly precompressed?: boolean;
  /**
   * Ask for HTTP Basic credentials (RFC 7617) before anything else but the Host policy: users
   * with bcrypt hashes, and the realm. @default null
   */
  readonly auth?: AuthSettings | null;
  /**
   * Single-page app: a GET or HEAD for a route that names nothing (its last segment has no dot
   * or ends in `.html`) gets this file, a path from the root such as `/index.html`, with 200 and
   * `Cache-Control: no-cache`. @default null
   */
  readonly spa?: string | null;
  /**
   * Clean URLs: `/about` serves `about.html` when nothing is named `about`, and `/about.html`
   * (or `/docs/index.html`) answers 301 to `/about` (`/docs/`). @default false
   */
  readonly cleanUrls?: boolean;
  /**
   * Header, redirect and rewrite rules (`-H`, the config file), checked by `checkRules`; they
   * are checked again here, and a refused one throws a TypeError. @default no rules
   */
  readonly rules?: Rules | null;
  /**
   * Reverse proxies whose forwarding fields are believed (RFC 7239 §8.1): addresses or CIDR
   * ranges as text (`127.0.0.0/8`, `::1/128`). A request from one of them is logged as coming
   * from the client its `X-Forwarded-For` (else `Forwarded`) field names. @default none
   */
  readonly trustedProxies?: readonly string[];
  /**
   * Answer GET and HEAD of this path with the Prometheus text format to loopback and trusted
   * peers (others get what the path would get without it). @default null
   */
  readonly metrics?: string | null;
  /**
   * Give SocketOutput.csv a last column, `forwarded_client` (the startup decides: only with
   * trusted proxies, and only for a file that is new or already has it). @default false
   */
  readonly csvForwardedColumn?: boolean;
}

/**
 * Everything {@linkcode serve} needs: the settings, plus what sockserve's own supervisor and
 * workers pass in (port sharing, connection ids, a log relay, a supervisor's proofs).
 */
export interface ServeOptions extends ServeSettings {
  /** Share the port with other isolates (SO_REUSEPORT; Linux, `--unstable-net`). @default false */
  readonly reusePort?: boolean;
  /** Connection ids are `offset + step * n`, so workers never hand out the same id. */
  readonly connectionIds?: { readonly offset: number; readonly step: number };
  /** Where responses are logged; by default a {@linkcode LogWriter} on `logDir`. */
  readonly logs?: LogSink;
  /** What `GET /STOP` does; by default it stops this server. */
  readonly requestStop?: () => void;
  /**
   * The supervisor isolate that proves opened files are inside the root (a serving worker with
   * scoped permissions); without it the server uses the strongest strategy it can itself.
   */
  readonly supervisor?: Supervisor;
  /**
   * Frees the socket of a TLS connection the server abandoned (see `socket_reaper.ts`); by
   * default this isolate does it itself when it holds every permission.
   */
  readonly reapSocket?: (ends: SocketEnds) => void;
  /**
   * With `metrics`: what the rest of the server has counted (other isolates, the log writer of
   * the main isolate), added to this isolate's counts in every scrape. By default, the log
   * writer's figures when this server owns it.
   */
  readonly metricsPeers?: () => Promise<MetricsSnapshot>;
}

/** A running server. */
export interface Server {
  /** The first address listened on (the real port when 0 was asked). */
  readonly addr: Deno.NetAddr;
  /** Every address listened on, as `host:port` (IPv6 in brackets). */
  readonly addresses: readonly string[];
  /** The plain HTTP port that redirects to HTTPS, or null. */
  readonly redirectPort: number | null;
  /** Resolves when the server has stopped and the logs are flushed. */
  readonly finished: Promise<void>;
  /** Stops gracefully; resolves like `finished`. */
  stop(): Promise<void>;
  /** How opened files are proven to be inside the root (see `opener.ts`). */
  readonly confinement: Confinement;
  /** Responses served so far (all isolates, when this server owns the log writer). */
  responseCount(): number;
  /**
   * Serves new TLS handshakes with another certificate (already checked); open connections keep
   * theirs. Rejects, keeping the old one, when the TLS library refuses the new pair.
   */
  reloadTls(pair: TlsPair): Promise<void>;
  /** This isolate's own counts (`--metrics`), for the main isolate to add up; null when off. */
  metricsSnapshot(): MetricsSnapshot | null;
  /** This isolate's hot-file cache counts (tests, diagnostics); null where it serves nothing. */
  cacheStats(): CacheStats | null;
  /**
   * Reopens every log file (SIGUSR1, SIGHUP): writes what is pending and opens the files by
   * name again, so a file renamed away (logrotate) is finished and a new one begun.
   */
  reopenLogs(): Promise<void>;
}

/**
 * Starts serving a folder. The root and log dir must already exist (see `startup.ts`).
 *
 * @param options Where and how to serve.
 * @returns The running server.
 * @throws Deno.errors.AddrInUse and other errors of `Deno.listen`.
 */
export async function serve(options: ServeOptions): Promise<Server> {
  if ((options.rules?.headers.length ?? 0) > 0) await loadGlobs();
  const rules = prepareRules(options.rules ?? null);
  const root: Root = { realPath: await Deno.realPath(options.root), dotfiles: options.dotfiles };
  // Before any socket opens: a bad shell path throws here.
  const spa = shellSettings(options.spa, { dotfiles: root.dotfiles, windows: IS_WINDOWS });
  const hosts = hostList(options.host);
  const tls = options.tls ?? null;
  const reusePort = options.reusePort ?? false;
  /** Accept loops start once everything is set up (see the end of this function). */
  const pending: { listener: Deno.Listener; role: SocketRole; ended: () => void }[] = [];
  let startLoop = (listener: Deno.Listener, role: SocketRole): Promise<void> =>
    new Promise((ended) => void pending.push({ listener, role, ended }));
  const listeners = new Listeners(
    { hosts, port: options.port, reusePort, tls },
    (listener) => startLoop(listener, "serve"),
  );
  let redirects: Listeners | null = null;
  if (tls !== null && options.httpsRedirectPort != null) {
    try {
      redirects = new Listeners(
        { hosts, port: options.httpsRedirectPort, reusePort, tls: null },
        (listener) => startLoop(listener, "redirect"),
      );
    } catch (error) {
      listeners.close();
      throw error;
    }
  }
  const logs = options.logs ?? createLogWriter(options);
  const connections = new Set<Connection>();
  /** Settles a stop's wait once the last connection has closed. */
  let lastClosed: (() => void) | null = null;
  const allClosed = () =>
    connections.size === 0 ? Promise.resolve() : new Promise<void>((r) => lastClosed = r);
  const sweeper = setInterval(() => {
    const now = performance.now();
    for (const connection of connections) connection.expire(now);
  }, SWEEP_INTERVAL_MS);

  let stopping: Promise<void> | null = null;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => resolveFinished = resolve);

  function stop(): Promise<void> {
    stopping ??= (async () => {
      listeners.close();
      redirects?.close();
      wakeAcceptLoops();
      for (const connection of connections) connection.stop();
      let grace: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        allClosed(),
        new Promise((resolve) => grace = setTimeout(resolve, SHUTDOWN_GRACE_S * 1000)),
      ]);
      clearTimeout(grace);
      for (const connection of connections) connection.close();
      // Work stuck in the file system (a hung disk) must not hold the stop hostage: wait a
      // little more, then flush the logs and finish anyway.
      let stuck: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        allClosed(),
        new Promise((resolve) => stuck = setTimeout(resolve, STUCK_WORK_GRACE_S * 1000)),
      ]);
      clearTimeout(stuck);
      clearInterval(sweeper);
      reaper?.close();
      await logs.close();
      resolveFinished();
    })();
    return stopping;
  }

  // Counted by every connection's reads: a hot file is revalidated once per batch of arrivals.
  const arrivals = { count: 0 };
  const cache = new FileCache({ arrivals });
  const trustedProxy = trustChecker(options.trustedProxies ?? []);
  const metrics = options.metrics ? new Metrics(options.metrics, tls !== null) : null;
  const ownSnapshot = () =>
    metrics!.snapshot({ openConnections: connections.size, cacheBytes: cache.stats.bytes });
  const peers = options.metricsPeers ??
    (() => Promise.resolve(logs instanceof LogWriter ? writerSnapshot(logs) : EMPTY_SNAPSHOT));
  let misdirectedHinted = false;
  const confinement: Confinement = options.supervisor ? "supervisor" : detectConfinement(root);
  const context: AnswerContext = {
    root,
    listings: { running: 0 },
    confinement,
    supervisor: options.supervisor,
    allowStop: options.allowStop,
    listing: options.listing ?? false,
    fileOptions: { cacheControl: options.cacheControl ?? null },
    cors: options.cors ?? false,
    cache,
    coding: codingSettings(options),
    auth: options.auth
      ? {
        gate: new PasswordGate(await loadPasswordLibraries(), options.auth.users),
        challenge: formatBasicChallenge(options.auth.realm),
      }
      : null,
    cleanUrls: options.cleanUrls ?? false,
    spa,
    rules,
    metrics: metrics === null ? null : {
      counters: metrics,
      // Loopback peers are this machine; trusted proxies relay for the operator's own network.
      allowed: (ip) => isLoopbackAddress(ip) || (trustedProxy?.(ip) ?? false),
      // The others' counts first, then this isolate's, so each part is at least as new as the
      // scrape: counters never go backwards between scrapes, whichever isolate answers.
      exposition: async () => {
        const rest = await peers();
        return formatMetrics(mergeSnapshots(ownSnapshot(), rest));
      },
    },
    requestStop: options.requestStop ?? (() => void stop()),
    localHostsOnly: !options.anyHost &&
      hosts.every((host) => isLoopbackAddress(host) || host === "localhost"),
    hsts: tls !== null && options.hstsMaxAgeS != null ? `max-age=${options.hstsMaxAgeS}` : null,
    onMisdirected: (host) => {
      if (misdirectedHinted) return;
      misdirectedHinted = true;
      // Operators behind a reverse proxy meet this first: say once what to do about it.
      console.error(
        `Answered 421 to Host "${host ?? ""}": on loopback sockserve answers only this ` +
          `machine's names (DNS rebinding); behind a reverse proxy, start it with --any-host.`,
      );
    },
  };
  const answer = (head: RequestHead, info: ConnectionInfo) => answerRequest(head, info, context);
  const connectionOptions: ConnectionOptions = {
    timeouts: {
      headerMs: options.headerTimeoutS * 1000,
      bodyMs: (options.bodyTimeoutS ?? options.headerTimeoutS) * 1000,
      idleMs: options.idleTimeoutS * 1000,
      minSendBytesPerS: MIN_SEND_BYTES_PER_S,
    },
    // The connection's own errors (unparsable requests, timeouts) have no path: only the header
    // rules for every path apply to them.
    errorPage: rules === null
      ? (status, errorOptions) => errorPage(context, status, errorOptions)
      : async (status, errorOptions) =>
        withRuleHeaders(await errorPage(context, status, errorOptions), rules.everyPathHeaders),
    protocol: options.protocol,
    // With --access-log - the access log's lines take the console access lines' place.
    accessLines: !options.quiet && options.accessLog !== ACCESS_LOG_STDOUT,
    accessLog: (options.accessLog ?? null) !== null,
    connectionEvents: options.verbose,
    colour: options.colour,
    trustedProxy,
    metrics,
    arrivals,
    closed: (connection) => {
      const { secure, server, client } = connection.info;
      if (secure && reap !== null && (connection.timedOut || stopping !== null)) {
        reap({ local: server, remote: client });
      }
      connections.delete(connection);
      if (connections.size === 0) lastClosed?.();
      wakeAcceptLoops();
    },
  };

  const ids = options.connectionIds ?? { offset: 0, step: 1 };
  const maxConnections = options.maxConnections ?? Infinity;
  let count = 0;
  /** Accept loops waiting for a free slot (the server was full) or for the stop. */
  let waiting: (() => void)[] = [];
  function wakeAcceptLoops(): void {
    const woken = waiting;
    waiting = [];
    for (const wake of woken) wake();
  }

  // Deno cannot free the socket of a TLS connection closed mid-handshake: reap it (Linux).
  const reaper = tls !== null && options.reapSocket === undefined && hasAllPermissions()
    ? new SocketReaper()
    : null;
  const reap = options.reapSocket ??
    (reaper?.available ? (ends: SocketEnds) => reaper.reap(ends) : null);

  const redirect: Handler = (head, info) =>
    answerHttpsRedirect(head, info, context, listeners.port);

  /** Accepts on one socket until it closes; every socket shares the connection cap. */
  async function acceptLoop(listener: Deno.Listener, role: SocketRole): Promise<void> {
    const handler = role === "serve" ? answer : redirect;
    const secure = tls !== null && role === "serve";
    while (stopping === null) {
      if (connections.size >= maxConnections) {
        // At the cap: leave new clients in the kernel's queue rather than run out of descriptors.
        await new Promise<void>((resolve) => waiting.push(resolve));
        continue;
      }
      let conn: Deno.Conn;
      try {
        // A TLS socket hands the connection over before the handshake, which happens on the
        // first read, under the connection's first deadline (a slow handshake is dropped).
        conn = await listener.accept();
      } catch (error) {
        // A replaced TLS socket (certificate reload) ends its loop here too.
        if (stopping !== null || error instanceof Deno.errors.BadResource) break;
        // Out of file descriptors or a reset during the handshake: not a reason to stop serving.
        console.error(`Cannot accept a connection: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_RETRY_MS));
        continue;
      }
      if (stopping !== null) {
        conn.close();
        break;
      }
      const info: ConnectionInfo = {
        id: ids.offset + ids.step * ++count,
        client: endpointOf(conn.remoteAddr),
        server: endpointOf(conn.localAddr),
        secure,
      };
      if ("setNoDelay" in conn) {
        try {
          (conn as Deno.TcpConn).setNoDelay(true);
        } catch {
          // The peer may already be gone.
        }
      }
      if (secure && metrics?.tls) countHandshake(conn as Deno.TlsConn, metrics.tls);
      const connection = new Connection(conn, info, connectionOptions, handler, logs);
      connections.add(connection);
      // It ends in `closed` (connectionOptions): no promise chain per connection to hold.
      void connection.run();
    }
  }
  startLoop = (listener, role) => acceptLoop(listener, role);
  for (const { listener, role, ended } of pending) void startLoop(listener, role).then(ended);

  return {
    addr: listeners.addr,
    addresses: listeners.addresses,
    redirectPort: redirects?.port ?? null,
    finished,
    stop,
    confinement,
    responseCount: () => logs instanceof LogWriter ? logs.responseCount : 0,
    reopenLogs: () => logs.flush(),
    reloadTls: (pair) => {
      if (tls === null) return Promise.reject(new Error("This server does not serve HTTPS."));
      return listeners.replaceTls(pair);
    },
    metricsSnapshot: () => metrics === null ? null : ownSnapshot(),
    cacheStats: () => cache.stats,
  };
}

/**
 * Compiles `--trusted-proxy` ranges in this isolate into a check of a peer address.
 *
 * @param ranges Addresses and CIDR ranges as text.
 * @returns The check, or null when no proxy is trusted.
 * @throws TypeError naming a range that does not parse.
 */
function trustChecker(ranges: readonly string[]): ((ip: string) => boolean) | null {
  if (ranges.length === 0) return null;
  const parsed: Cidr[] = ranges.map((text) => {
    const cidr = parseCidr(text);
    if (cidr === null) throw new TypeError(`Trusted proxy "${text}" is not an address or range`);
    return cidr;
  });
  return (ip) => isInRanges(parsed, ip);
}

/**
 * Counts a TLS connection's handshake once it ends (Deno runs it on the first read; asking for
 * it here only observes that same handshake).
 */
function countHandshake(
  conn: Deno.TlsConn,
  tls: { handshakes: number; failures: number },
): void {
  conn.handshake().then(() => tls.handshakes++, () => tls.failures++);
}

/**
 * The log writer's part of the metrics: bytes waiting for the disk, console lines dropped.
 *
 * @param writer The writer.
 * @returns A snapshot with only those.
 */
export function writerSnapshot(writer: LogWriter): MetricsSnapshot {
  return {
    ...EMPTY_SNAPSHOT,
    logQueueBytes: writer.queuedBytes,
    logWaits: writer.waits.count,
    logWaitSeconds: writer.waits.seconds,
    consoleDroppedLines: writer.droppedConsoleLines,
  };
}

/**
 * Checks and compiles a server's rules in this isolate (matchers cannot be posted to a worker).
 *
 * @param rules The rules, as plain data.
 * @returns The compiled rules, or null when there are none.
 * @throws TypeError naming the refused rule.
 */
function prepareRules(rules: Rules | null): CompiledRules | null {
  if (rules === null) return null;
  const checked = checkRules(rules);
  if (!checked.ok) {
    throw new TypeError(`Rule ${checked.at.join(".")} is refused: ${checked.reason}`);
  }
  // Where file names ignore case, so do the rules: /ASSETS/a.css is /assets/a.css there.
  return compileRules(checked.rules, { ignoreCase: IS_WINDOWS, windows: IS_WINDOWS });
}

/**
 * Creates the log writer of a server: both files in the log dir, and the console unless quiet
 * (and not verbose).
 *
 * @param options Log dir and console switches.
 * @returns The writer.
 */
export function createLogWriter(
  options: Pick<
    ServeOptions,
    | "logDir"
    | "quiet"
    | "verbose"
    | "accessLog"
    | "accessLogFormat"
    | "logMaxSize"
    | "logKeep"
    | "csvForwardedColumn"
  >,
): LogWriter {
  const text = logTextOptions(options);
  const accessLog = options.accessLog ?? null;
  return new LogWriter(options.logDir, {
    console: text.console || text.accessToConsole ? (text) => writeStdout(text) : null,
    text,
    accessFile: accessLog === ACCESS_LOG_STDOUT ? null : accessLog,
    maxSize: options.logMaxSize ?? null,
    keep: options.logKeep ?? DEFAULT_LOG_KEEP,
  });
}

/** What a socket is for: serving the site, or redirecting plain HTTP to HTTPS. */
type SocketRole = "serve" | "redirect";

/**
 * The listen addresses of a server's settings, as a list.
 *
 * @param host One address or several.
 * @returns The addresses.
 */
export function hostList(host: string | readonly string[]): readonly string[] {
  return typeof host === "string" ? [host] : host;
}

function endpointOf(addr: Deno.Addr): Endpoint {
  const net = addr as Deno.NetAddr;
  // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; logs and checks want a.b.c.d.
  return { ip: unmapAddress(net.hostname), port: net.port };
}

const stdoutEncoder = new TextEncoder();

function writeStdout(text: string): Promise<void> {
  return writeAll(Deno.stdout, stdoutEncoder.encode(text));
}
