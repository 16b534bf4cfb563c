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
import { SHUTDOWN_GRACE_S } from "./limits.ts";
import { type Endpoint, LogWriter } from "./logs.ts";
import { REGISTERED_METHODS, type RequestHead } from "./parser.ts";
import { IS_WINDOWS } from "./platform.ts";
import { normalizePath, resolvePath, type Root } from "./resolver.ts";
import { bytesReply, errorReply, fileReply, redirectReply, type Reply } from "./responder.ts";

/** Milliseconds between deadline sweeps: the precision of every timeout. */
const SWEEP_INTERVAL_MS = 250;

/** Pause after a failed accept (e.g. out of file descriptors) so the loop does not spin. */
const ACCEPT_RETRY_MS = 100;

/** The methods sockserve serves (RFC 9110 §9.1: GET and HEAD are the ones a server must). */
const ALLOW = "GET, HEAD";

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
  /** Serve dotfiles. @default false */
  readonly dotfiles?: boolean;
}

/** A running server. */
export interface Server {
  /** The address actually listened on (the real port when 0 was asked). */
  readonly addr: Deno.NetAddr;
  /** Resolves when the server has stopped and the logs are flushed. */
  readonly finished: Promise<void>;
  /** Stops gracefully; resolves like `finished`. */
  stop(): Promise<void>;
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
  const listener = Deno.listen({ hostname: options.host, port: options.port, transport: "tcp" });
  const consoleWanted = !options.quiet || options.verbose;
  const logs = new LogWriter(options.logDir, {
    console: consoleWanted ? (text) => writeStdout(text) : null,
  });
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
      for (const connection of connections) connection.stop();
      let grace: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled(running),
        new Promise((resolve) => grace = setTimeout(resolve, SHUTDOWN_GRACE_S * 1000)),
      ]);
      clearTimeout(grace);
      for (const connection of connections) connection.close();
      await Promise.allSettled(running);
      clearInterval(sweeper);
      await logs.close();
      resolveFinished();
    })();
    return stopping;
  }

  const answer = (head: RequestHead, info: ConnectionInfo): Promise<Reply> =>
    answerRequest(head, info, { root, allowStop: options.allowStop, stop });

  let nextId = 0;
  (async () => {
    while (stopping === null) {
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
        id: ++nextId,
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
      });
      running.add(task);
    }
  })();

  return { addr: listener.addr as Deno.NetAddr, finished, stop };
}

/** What the request handler needs from the server. */
interface AnswerContext {
  readonly root: Root;
  readonly allowStop: boolean;
  readonly stop: () => Promise<void>;
}

/**
 * Decides the reply to one request: method, then /STOP, then resolver, then responder.
 *
 * @param head The parsed request.
 * @param info The connection it came on.
 * @param context Root and stop switch.
 * @returns The reply to send.
 */
async function answerRequest(
  head: RequestHead,
  info: ConnectionInfo,
  context: AnswerContext,
): Promise<Reply> {
  const { method } = head;
  if (method !== "GET" && method !== "HEAD") {
    // RFC 9110 §15.5.6: 405 must list what is allowed; §15.6.2: 501 for unknown methods.
    return REGISTERED_METHODS.has(method)
      ? errorReply(405, { headers: [["Allow", ALLOW]] })
      : errorReply(501);
  }
  if (context.allowStop && head.path === "/STOP" && isLoopback(info.client.ip)) {
    void context.stop();
    return bytesReply(
      200,
      new TextEncoder().encode("sockserve is stopping.\n"),
      "text/plain; charset=utf-8",
      method,
      {
        close: true,
      },
    );
  }
  const path = normalizePath(head.path, { dotfiles: context.root.dotfiles, windows: IS_WINDOWS });
  if (path.kind === "bad") return errorReply(400, { method, detail: `${path.reason}.` });
  if (path.kind === "hidden") return errorReply(404, { method });
  const resolution = await resolvePath(context.root, path, head.query);
  switch (resolution.kind) {
    case "file":
      return await fileReply(resolution.path, method);
    case "redirect":
      return redirectReply(resolution.location, method);
    case "not-found":
      return errorReply(404, { method });
    case "forbidden":
      return errorReply(403, { method });
  }
}

/**
 * Returns whether an address is a loopback address (IPv4, IPv6, or IPv4-mapped IPv6).
 *
 * @param ip An IP address as Deno reports it.
 * @returns Whether only this machine can have sent from it.
 */
export function isLoopback(ip: string): boolean {
  return ip.startsWith("127.") || ip === "::1" || ip.startsWith("::ffff:127.");
}

function endpointOf(addr: Deno.Addr): Endpoint {
  const net = addr as Deno.NetAddr;
  return { ip: net.hostname, port: net.port };
}

const stdoutEncoder = new TextEncoder();

async function writeStdout(text: string): Promise<void> {
  const bytes = stdoutEncoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += await Deno.stdout.write(bytes.subarray(written));
}
