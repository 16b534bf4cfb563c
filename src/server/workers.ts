/**
 * Serving isolates: the supervised mode sockserve's command line runs in, and `--workers N`.
 *
 * **Supervised** (the main isolate holds every Deno permission): the main isolate never touches
 * a client. It starts N serving Web Workers, each granted only what serving needs — read the
 * root, listen on the address — so Deno's permission layer holds the line for all code that
 * handles requests. The main isolate keeps the rest: the one log writer (workers post their log
 * text in batches), the stop signal, and on Linux the proof that an opened file is inside the
 * root (`opener.ts`, strategy `supervisor`), which needs permissions no serving isolate has.
 *
 * **Direct** (the process was started with scoped flags itself): the main isolate serves, and
 * N-1 workers with the same permissions share the port.
 *
 * With N > 1 every listener uses SO_REUSEPORT, so the kernel spreads new connections over them.
 * A connection never changes isolate, so both log files stay whole and ordered per connection.
 * Stopping stops the workers first (each finishes its in-flight responses and sends its last
 * batch), then flushes the logs.
 *
 * @module
 */

import { type LogBatch } from "../log/sink.ts";
import { readListing } from "./listing.ts";
import {
  type Confinement,
  type ListingResult,
  type Located,
  locateInside,
  openDirectoryInside,
} from "./opener.ts";
import type { Root } from "./resolver.ts";
import {
  createLogWriter,
  hostList,
  serve,
  type ServeOptions,
  type Server,
  writerSnapshot,
} from "./serve.ts";
import { EMPTY_SNAPSHOT, mergeSnapshots, type MetricsSnapshot } from "./metrics.ts";
import { bindPlan, type TlsPair } from "./listeners.ts";
import { type SocketEnds, SocketReaper } from "./socket_reaper.ts";
import {
  MAX_CONCURRENT_LISTINGS,
  METRICS_ASK_TIMEOUT_MS,
  SHUTDOWN_GRACE_S,
  WORKER_STOP_SLACK_MS,
} from "../limits.ts";
import { bracketHost } from "../http/authority.ts";
export { hasAllPermissions } from "../platform.ts";

/** Options a worker can receive (everything but functions, the log sink and the supervisor). */
export type WorkerOptions = Omit<
  ServeOptions,
  "logs" | "requestStop" | "supervisor" | "reapSocket" | "metricsPeers"
>;

/** Messages from the main isolate to a worker. */
export type ToWorker =
  | {
    readonly kind: "start";
    readonly options: WorkerOptions;
    /** How the worker proves opened files are inside the root; `supervisor` asks back. */
    readonly confinement: Confinement | null;
  }
  | { readonly kind: "stop" }
  /** The log writer fell behind the disk (connections wait), or caught up. */
  | { readonly kind: "logs-behind"; readonly behind: boolean }
  /** The rest of the server's metrics (the main isolate's and every other worker's), as asked. */
  | { readonly kind: "metrics-rest"; readonly id: number; readonly snapshot: MetricsSnapshot }
  /** Asks for the worker's own metrics now. */
  | { readonly kind: "metrics-own"; readonly id: number }
  | { readonly kind: "tls"; readonly pair: TlsPair }
  | { readonly kind: "located"; readonly id: number; readonly result: Located }
  | { readonly kind: "listed"; readonly id: number; readonly result: ListingResult };

/** Messages from a worker to the main isolate. */
export type FromWorker =
  | {
    readonly kind: "listening";
    readonly port: number;
    /** Every address listened on, as `host:port`. */
    readonly addresses: readonly string[];
    /** The port redirecting to HTTPS, or null. */
    readonly redirectPort: number | null;
    /** What Deno grants the serving isolate, as it reports it itself. */
    readonly permissions: string;
  }
  | { readonly kind: "failed"; readonly message: string }
  | { readonly kind: "logs"; readonly batch: LogBatch }
  | { readonly kind: "stop-all" }
  | { readonly kind: "tls-done"; readonly error: string | null }
  | { readonly kind: "reap"; readonly ends: SocketEnds }
  | { readonly kind: "stopped" }
  /** A scrape: asks for the rest of the server's metrics. */
  | { readonly kind: "metrics-ask"; readonly id: number }
  /** The worker's own metrics, answering `metrics-own`. */
  | { readonly kind: "metrics-own"; readonly id: number; readonly snapshot: MetricsSnapshot | null }
  | { readonly kind: "locate"; readonly id: number; readonly path: string }
  | {
    readonly kind: "list";
    readonly id: number;
    readonly path: string;
    readonly segments: readonly string[];
  };

/**
 * Returns whether this OS spreads connections over SO_REUSEPORT listeners (Linux does; macOS
 * and the BSDs let one listener take them all, and Windows has no such option).
 */
export function canSharePort(): boolean {
  return Deno.build.os === "linux";
}

/**
 * The Deno permissions of a serving isolate: read the root, listen on its addresses; nothing
 * else (logs are written and certificates read by the supervisor).
 *
 * @param rootRealPath The root's real path.
 * @param hosts The listen addresses (as given: `localhost` means 127.0.0.1 and ::1).
 * @returns The `deno.permissions` option of `new Worker`.
 */
export function servingPermissions(
  rootRealPath: string,
  hosts: readonly string[],
): Deno.PermissionOptionsObject {
  return {
    read: [rootRealPath],
    net: bindPlan(hosts).map((binding) => bracketHost(binding.hostname)),
    write: false,
    env: false,
    run: false,
    ffi: false,
    sys: false,
    import: false,
  };
}

/** Options for {@linkcode serveWithWorkers}. */
export interface WorkersOptions {
  /** Serving isolates, at least 1. */
  readonly workers: number;
  /** Whether the main isolate supervises (it holds every permission) instead of serving. */
  readonly supervised: boolean;
}

/**
 * Serves with worker isolates as the module comment describes; with one isolate and no
 * supervision this is the plain server.
 *
 * @param options Where and how to serve.
 * @param mode Worker count and whether to supervise.
 * @returns The running server (stopping it stops every worker).
 */
export async function serveWithWorkers(
  options: ServeOptions,
  mode: WorkersOptions,
): Promise<Server> {
  const { workers, supervised } = mode;
  if (workers <= 1 && !supervised) return await serve(options);
  const writer = createLogWriter(options);
  const children: Worker[] = [];
  // The workers' connections wait while the writer is behind the disk; they learn it by message.
  writer.onBacklog((behind) => {
    for (const child of children) postQuietly(child, { kind: "logs-behind", behind });
  });
  /** Frees the sockets of TLS connections the workers abandoned (when this isolate can). */
  const reaper = options.tls ? new SocketReaper() : null;
  /** Who waits for each worker's answer to a certificate reload. */
  const tlsReplies = new Map<Worker, (error: string | null) => void>();
  let stopping: Promise<void> | null = null;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => resolveFinished = resolve);
  const share = workers > 1;
  /** Listings the supervisor reads for all workers at once. */
  const listings = { running: 0 };

  const root: Root = {
    realPath: await Deno.realPath(options.root),
    dotfiles: options.dotfiles,
  };
  // On Linux the supervisor proves every open (kernel strategy); elsewhere workers compare
  // identities themselves.
  const confinement: Confinement | null = supervised
    ? (Deno.build.os === "linux" ? "supervisor" : "identity")
    : null;

  /** Each worker's latest metrics (`--metrics`), kept for a worker that does not answer. */
  const workerMetrics = new Map<Worker, MetricsSnapshot>();
  /** Answers to `metrics-own` by id. */
  const metricsWaiting = new Map<number, (snapshot: MetricsSnapshot | null) => void>();
  let metricsAsked = 0;
  /** Asks one worker for its counts now; its last known ones if it does not answer in time. */
  function askMetrics(child: Worker): Promise<MetricsSnapshot> {
    const id = ++metricsAsked;
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(null), METRICS_ASK_TIMEOUT_MS);
      function settle(snapshot: MetricsSnapshot | null) {
        clearTimeout(timer);
        metricsWaiting.delete(id);
        if (snapshot !== null) workerMetrics.set(child, snapshot);
        resolve(workerMetrics.get(child) ?? EMPTY_SNAPSHOT);
      }
      metricsWaiting.set(id, settle);
      postQuietly(child, { kind: "metrics-own", id });
    });
  }
  /**
   * Everything but one worker's own counts, asked for now: this isolate's, and every other
   * worker's. A scrape waits for them, so each part is newer than any earlier scrape's.
   */
  const metricsBesides = async (child: Worker | null): Promise<MetricsSnapshot> =>
    mergeSnapshots(
      ...await Promise.all(children.filter((w) => w !== child).map(askMetrics)),
      writerSnapshot(writer),
      // The serving main isolate (direct mode) adds its own counts itself when it answers.
      (child !== null ? primary?.metricsSnapshot() : null) ?? EMPTY_SNAPSHOT,
    );

  let primary: Server | null = null;
  if (!supervised) {
    primary = await serve({
      ...options,
      logs: writer,
      metricsPeers: () => metricsBesides(null),
      reusePort: true,
      connectionIds: { offset: 0, step: workers },
      requestStop: () => void stop(),
    });
  }
  let port = primary?.addr.port ?? options.port;
  let redirectPort = primary?.redirectPort ?? options.httpsRedirectPort ?? null;
  let addresses = primary?.addresses ?? [];

  async function stop(): Promise<void> {
    stopping ??= (async () => {
      await Promise.all(children.map((child) => stopWorker(child)));
      if (primary !== null) await primary.stop();
      else await writer.close();
      reaper?.close();
      resolveFinished();
    })();
    return await stopping;
  }

  function stopWorker(child: Worker): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, SHUTDOWN_GRACE_S * 1000 + WORKER_STOP_SLACK_MS);
      function done() {
        clearTimeout(timer);
        child.terminate();
        resolve();
      }
      child.addEventListener("message", (event: MessageEvent<FromWorker>) => {
        if (event.data.kind === "stopped") done();
      });
      child.postMessage({ kind: "stop" } satisfies ToWorker);
    });
  }

  const first = primary === null ? 0 : 1;
  for (let i = first; i < workers; i++) {
    const child = new Worker(new URL("./worker.ts", import.meta.url), {
      type: "module",
      ...(supervised
        ? { deno: { permissions: servingPermissions(root.realPath, hostList(options.host)) } }
        : {}),
    });
    children.push(child);
    const started = new Promise<FromWorker & { kind: "listening" }>((resolve, reject) => {
      child.onmessage = (event: MessageEvent<FromWorker>) => {
        const message = event.data;
        switch (message.kind) {
          case "listening":
            // With --verbose, each serving isolate says what Deno lets it do, in its own words.
            if (options.verbose) console.log(`Serving isolate ${i + 1}: ${message.permissions}`);
            return resolve(message);
          case "tls-done":
            return tlsReplies.get(child)?.(message.error);
          case "reap":
            return reaper?.reap(message.ends);
          case "failed":
            return reject(new Error(message.message));
          case "logs":
            return writer.append(message.batch);
          case "metrics-ask":
            return void metricsBesides(child).then((snapshot) =>
              postQuietly(child, { kind: "metrics-rest", id: message.id, snapshot })
            );
          case "metrics-own":
            return metricsWaiting.get(message.id)?.(message.snapshot);
          case "stop-all":
            return void stop();
          case "locate":
            return postQuietly(child, {
              kind: "located",
              id: message.id,
              result: locateSafely(root, message.path),
            });
          case "list":
            return void listFor(root, message.path, message.segments, listings).then((result) =>
              postQuietly(child, { kind: "listed", id: message.id, result })
            );
        }
      };
      child.onerror = (event) => {
        event.preventDefault();
        reject(new Error(event.message));
      };
    });
    const workerOptions: WorkerOptions = {
      ...options,
      root: root.realPath,
      port,
      httpsRedirectPort: redirectPort,
      reusePort: share || (options.reusePort ?? false),
      connectionIds: { offset: i, step: workers },
    };
    child.postMessage({ kind: "start", options: workerOptions, confinement } satisfies ToWorker);
    // The writer may be behind already (the primary serves while workers start): say so now.
    if (writer.ready() !== null) postQuietly(child, { kind: "logs-behind", behind: true });
    try {
      const listening = await started;
      port = listening.port;
      redirectPort = listening.redirectPort;
      addresses = listening.addresses;
    } catch (error) {
      await stop();
      throw error;
    }
  }
  const addr = primary?.addr ??
    { transport: "tcp", hostname: hostList(options.host)[0], port } satisfies Deno.NetAddr;

  /** Asks one worker to take a new certificate; resolves with its error, or null. */
  function reloadWorker(child: Worker, pair: TlsPair): Promise<string | null> {
    return new Promise((resolve) => {
      tlsReplies.set(child, (error) => {
        tlsReplies.delete(child);
        resolve(error);
      });
      postQuietly(child, { kind: "tls", pair });
    });
  }

  return {
    addr,
    addresses,
    redirectPort,
    finished: primary?.finished ?? finished,
    stop,
    confinement: confinement ?? primary!.confinement,
    responseCount: () => writer.responseCount,
    // Only a serving isolate's own counts are a snapshot; this server's are asked for by scrapes.
    metricsSnapshot: () => null,
    // The workers' caches are their own; a serving main isolate (direct mode) has one too.
    cacheStats: () => primary?.cacheStats() ?? null,
    reopenLogs: () => writer.flush(),
    reloadTls: async (pair) => {
      if (primary !== null) await primary.reloadTls(pair);
      const errors = await Promise.all(children.map((child) => reloadWorker(child, pair)));
      const failed = errors.find((error) => error !== null);
      if (failed !== undefined) throw new Error(failed);
    },
  };
}

/** Proves a worker's open; an unexpected error refuses it rather than leave the worker waiting. */
function locateSafely(root: Root, path: string): Located {
  try {
    return locateInside(root, path);
  } catch {
    return { kind: "forbidden" };
  }
}

/**
 * Reads a directory for a worker's listing with the kernel strategy; never rejects (a rejection
 * here would be unhandled in the supervisor), and runs a bounded number at a time.
 */
async function listFor(
  root: Root,
  path: string,
  segments: readonly string[],
  listings: { running: number },
): Promise<ListingResult> {
  if (listings.running >= MAX_CONCURRENT_LISTINGS) return { kind: "busy" };
  listings.running++;
  try {
    const source = openDirectoryInside(root, path, "kernel");
    if ("kind" in source) return source;
    return await readListing(source, segments, root.dotfiles ?? false);
  } catch {
    return { kind: "forbidden" };
  } finally {
    listings.running--;
  }
}

/** Posts to a worker that may have been terminated meanwhile. */
function postQuietly(child: Worker, message: ToWorker): void {
  try {
    child.postMessage(message);
  } catch {
    // The worker is gone: nobody waits for the answer.
  }
}
