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

import { Connection, type ConnectionInfo, type ConnectionOptions } from "./connection.ts";
import type { Header } from "../http/head.ts";
import type { ErrorStatus } from "../http/status.ts";
import {
  BUSY_RETRY_AFTER_S,
  MAX_CONCURRENT_LISTINGS,
  MAX_ERROR_PAGE_BYTES,
  SHUTDOWN_GRACE_S,
  STUCK_WORK_GRACE_S,
} from "../limits.ts";
import { type Refusal, refusalStatus } from "./fs_errors.ts";
import { formatListingHtml, formatListingJson, prefersJson, readListing } from "./listing.ts";
import { type Endpoint, type LogSink, LogWriter } from "../log/logs.ts";
import {
  type Confinement,
  detectConfinement,
  type ListingResult,
  openDirectoryInside,
  openInside,
  stillInside,
  type Supervisor,
} from "./opener.ts";
import { isLocalAuthority, isLoopbackAddress, unmapAddress } from "../http/authority.ts";
import { REGISTERED_METHODS } from "../http/methods.ts";
import { type RequestHead } from "../http/request.ts";
import { IS_WINDOWS } from "../platform.ts";
import { type NormalizedPath, normalizePath, resolvePath, type Root } from "./resolver.ts";
import {
  bytesReply,
  type ErrorOptions,
  errorReply,
  type FileOptions,
  redirectReply,
  type Reply,
  representationReply,
} from "./responder.ts";
import { FileCache } from "./cache.ts";

/** Milliseconds between deadline sweeps: the precision of every timeout. */
const SWEEP_INTERVAL_MS = 250;

/** Pause after a failed accept (e.g. out of file descriptors) so the loop does not spin. */
const ACCEPT_RETRY_MS = 100;

/** The methods sockserve answers (RFC 9110 §9.1: GET and HEAD are the ones a server must). */
const ALLOW = "GET, HEAD, OPTIONS";

/** Everything {@linkcode serve} needs; `main.ts` builds it from the command line. */
export interface ServeOptions {
  /** The folder to serve. */
  readonly root: string;
  /** Address to listen on. @default "127.0.0.1" */
  readonly host: string;
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** Folder for `HTTPResponses.txt` and `SocketOutput.csv`; it must exist. */
  readonly logDir: string;
  /** Seconds to receive a complete request head. */
  readonly headerTimeoutS: number;
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
  /** Serve dotfiles and list them. @default false */
  readonly dotfiles?: boolean;
  /** List directories without index.html. @default false */
  readonly listing?: boolean;
  /** Cache-Control for file responses. @default null */
  readonly cacheControl?: string | null;
  /** Add `Access-Control-Allow-Origin: *`. @default false */
  readonly cors?: boolean;
  /** Share the port with other isolates (SO_REUSEPORT; Linux, `--unstable-net`). @default false */
  readonly reusePort?: boolean;
  /** Connection ids are `offset + step * n`, so workers never hand out the same id. */
  readonly connectionIds?: { readonly offset: number; readonly step: number };
  /** Where responses are logged; by default a {@linkcode LogWriter} on `logDir`. */
  readonly logs?: LogSink;
  /** What `GET /STOP` does; by default it stops this server. */
  readonly requestStop?: () => void;
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
  /**
   * The supervisor isolate that proves opened files are inside the root (a serving worker with
   * scoped permissions); without it the server uses the strongest strategy it can itself.
   */
  readonly supervisor?: Supervisor;
}

/** A running server. */
export interface Server {
  /** The address actually listened on (the real port when 0 was asked). */
  readonly addr: Deno.NetAddr;
  /** Resolves when the server has stopped and the logs are flushed. */
  readonly finished: Promise<void>;
  /** Stops gracefully; resolves like `finished`. */
  stop(): Promise<void>;
  /** How opened files are proven to be inside the root (see `opener.ts`). */
  readonly confinement: Confinement;
}

/**
 * Starts serving a folder. The root and log dir must already exist (see `startup.ts`).
 *
 * @param options Where and how to serve.
 * @returns The running server.
 * @throws Deno.errors.AddrInUse and other errors of `Deno.listen`.
 */
export async function serve(options: ServeOptions): Promise<Server> {
  const root: Root = { realPath: await Deno.realPath(options.root), dotfiles: options.dotfiles };
  const listener = Deno.listen({
    hostname: options.host,
    port: options.port,
    transport: "tcp",
    ...(options.reusePort ? { reusePort: true } : {}),
  });
  const logs = options.logs ?? createLogWriter(options);
  const connectionOptions: ConnectionOptions = {
    headerTimeoutMs: options.headerTimeoutS * 1000,
    idleTimeoutMs: options.idleTimeoutS * 1000,
    protocol: options.protocol,
    accessLines: !options.quiet,
    connectionEvents: options.verbose,
    colour: options.colour,
  };
  const connections = new Set<Connection>();
  const running = new Set<Promise<void>>();
  /** Resolves the accept loop's wait when a connection ends (the server was full). */
  let slotFree: (() => void) | null = null;
  const sweeper = setInterval(() => {
    const now = performance.now();
    for (const connection of connections) connection.expire(now);
  }, SWEEP_INTERVAL_MS);

  let stopping: Promise<void> | null = null;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => resolveFinished = resolve);

  function stop(): Promise<void> {
    stopping ??= (async () => {
      try {
        listener.close();
      } catch {
        // Already closed.
      }
      slotFree?.();
      for (const connection of connections) connection.stop();
      let grace: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled(running),
        new Promise((resolve) => grace = setTimeout(resolve, SHUTDOWN_GRACE_S * 1000)),
      ]);
      clearTimeout(grace);
      for (const connection of connections) connection.close();
      // Work stuck in the file system (a hung disk) must not hold the stop hostage: wait a
      // little more, then flush the logs and finish anyway.
      let stuck: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled(running),
        new Promise((resolve) => stuck = setTimeout(resolve, STUCK_WORK_GRACE_S * 1000)),
      ]);
      clearTimeout(stuck);
      clearInterval(sweeper);
      await logs.close();
      resolveFinished();
    })();
    return stopping;
  }

  const cache = new FileCache();
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
    requestStop: options.requestStop ?? (() => void stop()),
    localHostsOnly: !options.anyHost &&
      (isLoopbackAddress(options.host) || options.host === "localhost"),
  };
  const answer = (head: RequestHead, info: ConnectionInfo) => answerRequest(head, info, context);

  const ids = options.connectionIds ?? { offset: 0, step: 1 };
  const maxConnections = options.maxConnections ?? Infinity;
  let count = 0;
  (async () => {
    while (stopping === null) {
      if (connections.size >= maxConnections) {
        // At the cap: leave new clients in the kernel's queue rather than run out of descriptors.
        await new Promise<void>((resolve) => slotFree = resolve);
        continue;
      }
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
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
      };
      try {
        (conn as Deno.TcpConn).setNoDelay(true);
      } catch {
        // The peer may already be gone.
      }
      const connection = new Connection(conn, info, connectionOptions, answer, logs);
      connections.add(connection);
      const task = connection.run().finally(() => {
        connections.delete(connection);
        running.delete(task);
        slotFree?.();
        slotFree = null;
      });
      running.add(task);
    }
  })();

  return { addr: listener.addr as Deno.NetAddr, finished, stop, confinement };
}

/**
 * Creates the log writer of a server: both files in the log dir, and the console unless quiet
 * (and not verbose).
 *
 * @param options Log dir and console switches.
 * @returns The writer.
 */
export function createLogWriter(
  options: Pick<ServeOptions, "logDir" | "quiet" | "verbose">,
): LogWriter {
  const consoleWanted = !options.quiet || options.verbose;
  return new LogWriter(options.logDir, {
    console: consoleWanted ? (text) => writeStdout(text) : null,
  });
}

/** What the request handler needs from the server. */
interface AnswerContext {
  readonly root: Root;
  /** Listings being read now (bounded by MAX_CONCURRENT_LISTINGS). */
  readonly listings: { running: number };
  readonly confinement: Confinement;
  readonly supervisor: Supervisor | undefined;
  readonly allowStop: boolean;
  readonly listing: boolean;
  readonly fileOptions: FileOptions;
  readonly cors: boolean;
  readonly cache: FileCache;
  readonly requestStop: () => void;
  /** Only answer requests whose Host names this machine (listening on loopback). */
  readonly localHostsOnly: boolean;
}

/** Added to every response with `--cors`: any origin may read files, and see range fields. */
const CORS_HEADERS: readonly Header[] = [
  ["Access-Control-Allow-Origin", "*"],
  [
    "Access-Control-Expose-Headers",
    "Accept-Ranges, Content-Length, Content-Range, ETag, Last-Modified",
  ],
];

/** Added to a CORS preflight (OPTIONS) with `--cors` (Fetch standard, CORS protocol). */
const CORS_PREFLIGHT_HEADERS: readonly Header[] = [
  ["Access-Control-Allow-Methods", ALLOW],
  [
    "Access-Control-Allow-Headers",
    "Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range",
  ],
  ["Access-Control-Max-Age", "86400"],
];

/**
 * Decides the reply to one request: method, then /STOP, then resolver, then responder, with the
 * CORS fields added last.
 *
 * @param head The parsed request.
 * @param info The connection it came on.
 * @param context Root and options.
 * @returns The reply to send.
 */
function answerRequest(
  head: RequestHead,
  info: ConnectionInfo,
  context: AnswerContext,
): Reply | Promise<Reply> {
  const reply = decideReply(head, info, context);
  if (!context.cors) return reply;
  const extra = head.method === "OPTIONS"
    ? [...CORS_HEADERS, ...CORS_PREFLIGHT_HEADERS]
    : CORS_HEADERS;
  const withCors = (r: Reply): Reply => ({ ...r, headers: [...r.headers, ...extra] });
  return reply instanceof Promise ? reply.then(withCors) : withCors(reply);
}

/**
 * The request path in order. A hot file is answered synchronously (no promise at all); every
 * other answer needs the file system and returns a promise.
 */
function decideReply(
  head: RequestHead,
  info: ConnectionInfo,
  context: AnswerContext,
): Reply | Promise<Reply> {
  const { method } = head;
  // DNS rebinding: a web page can point its own host name at 127.0.0.1 and then read this
  // server from the browser. A loopback server only answers for this machine's names.
  if (context.localHostsOnly && !isLocalAuthority(head.host)) {
    return errorPage(context, 421, { method, close: true });
  }
  // RFC 9110 §9.3.7: OPTIONS (for * or a path) says what is allowed, with no content.
  if (method === "OPTIONS") {
    return { status: 204, headers: [["Allow", ALLOW]], body: { kind: "none" } };
  }
  if (method !== "GET" && method !== "HEAD") {
    // RFC 9110 §15.5.6: 405 must list what is allowed; §15.6.2: 501 for unknown methods.
    return REGISTERED_METHODS.has(method)
      ? errorPage(context, 405, { method, headers: [["Allow", ALLOW]] })
      : errorPage(context, 501, { method });
  }
  // GET only: HEAD must stay safe (RFC 9110 §9.2.1), and link checkers send it freely.
  if (
    context.allowStop && method === "GET" && head.path === "/STOP" &&
    isStopAllowed(head, info.client.ip)
  ) {
    context.requestStop();
    const text = new TextEncoder().encode("sockserve is stopping.\n");
    return bytesReply(200, text, "text/plain; charset=utf-8", method, { close: true });
  }
  const path = normalizePath(head.path, { dotfiles: context.root.dotfiles, windows: IS_WINDOWS });
  if (path.kind === "bad") {
    return errorPage(context, 400, { method, detail: `${path.reason}.` });
  }
  if (path.kind === "hidden") return errorPage(context, 404, { method });
  const key = path.segments.join("/") + (path.directory ? "/" : "");
  const cached = context.cache.lookup(key);
  if (cached !== null) return representationReply(cached, head, context.fileOptions);
  return resolveAndReply(head, path, key, context);
}

/** The cold path: resolve the path on disk, then open, list or redirect. */
async function resolveAndReply(
  head: RequestHead,
  path: NormalizedPath,
  key: string,
  context: AnswerContext,
): Promise<Reply> {
  const { method } = head;
  const options = context.fileOptions;
  const resolution = await resolvePath(context.root, path, head.query);
  switch (resolution.kind) {
    case "file": {
      const opened = await openInside(context.root, resolution.path, context);
      if (opened.kind !== "open") return await refuse(context, opened, method);
      const { stat } = opened.file;
      const representation = await context.cache.admit(
        key,
        resolution.path,
        resolution.candidate,
        opened.file,
        // The identity proof is made of path checks: repeat it once the bytes are read.
        context.confinement === "identity"
          ? () => stillInside(context.root, resolution.path, stat)
          : undefined,
      );
      if (representation === null) return await errorPage(context, 404, { method });
      return representationReply(representation, head, options);
    }
    case "directory":
      if (!context.listing) return await errorPage(context, 404, { method });
      return await listingReply(context, resolution.path, path.segments, head);
    case "redirect":
      return redirectReply(resolution.location, method);
    default:
      return await refuse(context, resolution, method);
  }
}

/** Answers a path that is not served with its error page (503s say when to try again). */
function refuse(context: AnswerContext, refusal: Refusal, method: string): Promise<Reply> {
  const status = refusalStatus(refusal);
  if (status !== 503) return errorPage(context, status, { method });
  return errorPage(context, 503, {
    method,
    detail: "The server is busy; try again in a moment.",
    headers: [["Retry-After", String(BUSY_RETRY_AFTER_S)]],
  });
}

/** Builds the HTML or JSON listing of a directory (RFC 9110 §12.5.1: Vary on Accept). */
async function listingReply(
  context: AnswerContext,
  dirPath: string,
  segments: readonly string[],
  head: RequestHead,
): Promise<Reply> {
  // Reading a huge folder is real work: a few at a time, the rest are told to come back.
  if (context.listings.running >= MAX_CONCURRENT_LISTINGS) {
    return await refuse(context, { kind: "busy" }, head.method);
  }
  context.listings.running++;
  let result: ListingResult;
  try {
    result = await listDirectory(context, dirPath, segments);
  } finally {
    context.listings.running--;
  }
  if (result.kind !== "listing") return await refuse(context, result, head.method);
  const json = prefersJson(head.headers.get("accept"));
  const body = json ? formatListingJson(result.listing) : formatListingHtml(result.listing);
  const type = json ? "application/json; charset=utf-8" : "text/html; charset=utf-8";
  return bytesReply(200, new TextEncoder().encode(body), type, head.method, {
    headers: [["Vary", "Accept"]],
  });
}

/** Reads a directory for a listing with the server's confinement strategy. */
function listDirectory(
  context: AnswerContext,
  dirPath: string,
  segments: readonly string[],
): Promise<ListingResult> {
  if (context.confinement === "supervisor") return context.supervisor!.list(dirPath, segments);
  const source = openDirectoryInside(context.root, dirPath, context.confinement);
  if ("kind" in source) return Promise.resolve(source);
  return readListing(source, segments, context.root.dotfiles ?? false);
}

/**
 * Builds an error reply, using the site's own `<status>.html` from the root when it has one
 * (found through the resolver and opened like any file, so it obeys the same confinement), else
 * the built-in page.
 *
 * @param context The server's root and confinement.
 * @param status The error status.
 * @param options Method, detail, extra fields.
 * @returns The reply.
 */
async function errorPage(
  context: AnswerContext,
  status: ErrorStatus,
  options: ErrorOptions,
): Promise<Reply> {
  const page = normalizePath(`/${status}.html`);
  if (page.kind === "path") {
    const found = await resolvePath(context.root, page).catch(() => null);
    if (found?.kind === "file") {
      const bytes = await readErrorPage(context, found.path);
      if (bytes !== null) {
        return bytesReply(status, bytes, "text/html; charset=utf-8", options.method, options);
      }
    }
  }
  return errorReply(status, options);
}

/** Reads a custom error page through a proven open; null when too big or unavailable. */
async function readErrorPage(context: AnswerContext, path: string): Promise<Uint8Array | null> {
  let opened;
  try {
    opened = await openInside(context.root, path, context);
  } catch {
    return null;
  }
  if (opened.kind !== "open") return null;
  using file = opened.file;
  if (file.stat.size > MAX_ERROR_PAGE_BYTES) return null;
  const bytes = new Uint8Array(file.stat.size);
  try {
    await file.readExactly(bytes, 0);
  } catch {
    return null;
  }
  return bytes;
}

/**
 * Decides whether a `GET /STOP` may stop the server: it must come from this machine, and not
 * from a web page this machine's browser is showing. A page can make the browser send requests
 * to 127.0.0.1 (an `<img>`, or DNS rebinding), so the Host must name this machine and the
 * browser's own fetch metadata must not say "cross-site".
 *
 * @param head The request.
 * @param clientIp The peer address.
 * @returns Whether to stop.
 */
export function isStopAllowed(head: RequestHead, clientIp: string): boolean {
  if (!isLoopbackAddress(clientIp) || head.host === null || !isLocalAuthority(head.host)) {
    return false;
  }
  // A request relayed by a proxy on this machine looks local but may come from anyone.
  if (
    head.headers.has("forwarded") || head.headers.has("x-forwarded-for") ||
    head.headers.has("via")
  ) {
    return false;
  }
  // Fetch Metadata (sent by browsers): only a typed URL ("none") or the same origin may stop.
  const site = head.headers.get("sec-fetch-site");
  if (site !== undefined && site !== "none" && site !== "same-origin") return false;
  const origin = head.headers.get("origin");
  return origin === undefined || isLocalOrigin(origin);
}

/**
 * Returns whether an Origin (RFC 6454 §7) is a page served from this machine over http(s).
 *
 * @param origin The Origin field value.
 * @returns Whether its host names this machine.
 */
export function isLocalOrigin(origin: string): boolean {
  const match = /^https?:\/\/([^/?#]*)$/i.exec(origin);
  return match !== null && isLocalAuthority(match[1]);
}

function endpointOf(addr: Deno.Addr): Endpoint {
  const net = addr as Deno.NetAddr;
  // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; logs and checks want a.b.c.d.
  return { ip: unmapAddress(net.hostname), port: net.port };
}

const stdoutEncoder = new TextEncoder();

async function writeStdout(text: string): Promise<void> {
  const bytes = stdoutEncoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += await Deno.stdout.write(bytes.subarray(written));
}
