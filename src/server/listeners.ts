/**
 * Listeners: the sockets a server accepts connections on — one per address, all on one port,
 * plain TCP or TLS — and the certificate swap that serves new handshakes with a new certificate
 * while open connections keep going.
 *
 * Which addresses to bind is decided by {@linkcode bindPlan} (pure): `localhost` means both
 * 127.0.0.1 and ::1 (browsers try either), `::` also serves IPv4 (it is bound first, then
 * 0.0.0.0, which a dual-stack `::` socket already covers), and port 0 gives every socket the
 * port the first one got.
 *
 * @module
 */

import { bracketHost } from "../http/authority.ts";
import { REBIND_ATTEMPTS, REBIND_RETRY_MS } from "../limits.ts";

/** A certificate and its key, PEM, already checked (see `tls.ts`). */
export interface TlsPair {
  /** The certificate chain: the leaf first, then any intermediates. */
  readonly cert: string;
  /** The leaf's private key, unencrypted. */
  readonly key: string;
}

/** One address to listen on. */
export interface Binding {
  readonly hostname: string;
  /** Another socket of the plan may already cover it (dual-stack `::`, or no IPv6 at all). */
  readonly optional: boolean;
}

/**
 * Decides the sockets for the `--host` values given (pure).
 *
 * @param hosts The addresses asked for, in order.
 * @returns The addresses to bind, without repeats, in order.
 * @example
 * ```ts
 * bindPlan(["localhost"]); // 127.0.0.1, then ::1 (optional)
 * bindPlan(["::"]);        // ::, then 0.0.0.0 (optional: a dual-stack :: covers it)
 * ```
 */
export function bindPlan(hosts: readonly string[]): Binding[] {
  const plan: Binding[] = [];
  const add = (hostname: string, optional: boolean) => {
    const existing = plan.findIndex((b) => b.hostname === hostname);
    if (existing === -1) plan.push({ hostname, optional });
    // Asked for explicitly somewhere: it is not optional any more.
    else if (!optional) plan[existing] = { hostname, optional: false };
  };
  for (const host of hosts) {
    if (host === "localhost") {
      add("127.0.0.1", false);
      add("::1", true);
    } else if (host === "::") {
      add("::", false);
      add("0.0.0.0", true);
    } else {
      add(host, false);
    }
  }
  return plan;
}

/** Where and how to listen. */
export interface ListenSpec {
  readonly hosts: readonly string[];
  /** The port; 0 picks one (then every socket gets the same). */
  readonly port: number;
  /** Share the port with other isolates or a replacement socket (SO_REUSEPORT, Linux). */
  readonly reusePort: boolean;
  /** Serve TLS with this pair; null for plain TCP. */
  readonly tls: TlsPair | null;
}

/** ALPN (RFC 7301): sockserve speaks HTTP/1.1 only; a client offering only h2 fails the handshake. */
const ALPN = ["http/1.1"];

/** The listening sockets of a server, accepted from by one loop each. */
export class Listeners {
  readonly #spec: ListenSpec;
  readonly #sockets: {
    readonly binding: string;
    listener: Deno.Listener;
    /** When its accept loop has ended (then Deno has let the socket go). */
    ended: Promise<void>;
  }[] = [];
  readonly #onListener: (listener: Deno.Listener) => Promise<void> | void;
  /** The port every socket listens on. */
  readonly port: number;

  /**
   * Opens every socket of the plan (see {@linkcode bindPlan}).
   *
   * @param spec Addresses, port, sharing and TLS.
   * @param onListener Starts accepting on a socket (called for each, and for replacements);
   *   returns when that accept loop has ended.
   * @throws What `Deno.listen` throws for a socket that is not optional (AddrInUse, …).
   */
  constructor(spec: ListenSpec, onListener: (listener: Deno.Listener) => Promise<void> | void) {
    this.#spec = spec;
    this.#onListener = onListener;
    let port = spec.port;
    try {
      for (const { hostname, optional } of bindPlan(spec.hosts)) {
        let listener: Deno.Listener;
        try {
          listener = this.#listen(hostname, port, spec.tls);
        } catch (error) {
          // A dual-stack `::` already has IPv4; a machine without IPv6 has no ::1.
          if (optional && isCoveredElsewhere(error)) continue;
          throw withAddress(error, hostname, port);
        }
        port = (listener.addr as Deno.NetAddr).port;
        this.#sockets.push({ binding: hostname, listener, ended: Promise.resolve() });
      }
    } catch (error) {
      this.close();
      throw error;
    }
    this.port = port;
    for (const socket of this.#sockets) {
      socket.ended = Promise.resolve(onListener(socket.listener));
    }
  }

  /** The first socket's address (the one printed first). */
  get addr(): Deno.NetAddr {
    return this.#sockets[0].listener.addr as Deno.NetAddr;
  }

  /** Every address listened on, as `host:port` texts for people. */
  get addresses(): string[] {
    return this.#sockets.map(({ listener }) => {
      const addr = listener.addr as Deno.NetAddr;
      return `${bracketHost(addr.hostname)}:${addr.port}`;
    });
  }

  /**
   * Serves new TLS handshakes with a new certificate: each socket is replaced by a new one on
   * the same address (opened first, with SO_REUSEPORT, so the port never stops listening where
   * the OS allows it), and the old one is closed; it resolves once Deno has let the old socket
   * go. Open connections are not touched; connections the kernel hands the old socket between
   * its close and its release are reset (a window of about a millisecond). Without SO_REUSEPORT
   * the port is closed for the moment Deno takes to release the old socket.
   *
   * @param pair The new certificate and key, already checked.
   * @throws What `Deno.listenTls` throws for a pair it refuses (before any socket is touched).
   */
  async replaceTls(pair: TlsPair): Promise<void> {
    // Without a shared port the old socket closes first: make sure the TLS library takes the new
    // pair before giving the port up.
    if (!this.#spec.reusePort) this.#listen(this.#sockets[0].binding, 0, pair).close();
    for (const socket of this.#sockets) {
      const old = socket;
      const { ended } = old;
      if (this.#spec.reusePort) {
        // The new socket accepts before the old one closes. The kernel keeps handing the old one
        // connections until Deno lets it go (once its pending accept is cancelled), and those
        // are reset: wait for that, so clients after this call all reach the new socket.
        const replacement = this.#listen(socket.binding, this.port, pair);
        const listener = socket.listener;
        socket.listener = replacement;
        socket.ended = Promise.resolve(this.#onListener(replacement));
        listener.close();
        await Promise.race([ended, delay(REBIND_RETRY_MS * REBIND_ATTEMPTS)]);
        continue;
      }
      socket.listener.close();
      const replacement = await this.#rebind(socket.binding, pair);
      socket.listener = replacement;
      socket.ended = Promise.resolve(this.#onListener(replacement));
    }
  }

  /**
   * Listens again on an address just closed: Deno releases a socket only once its pending
   * accept has been cancelled, a moment after `close()`.
   */
  async #rebind(hostname: string, pair: TlsPair): Promise<Deno.Listener> {
    for (let attempt = 1;; attempt++) {
      try {
        return this.#listen(hostname, this.port, pair);
      } catch (error) {
        if (!(error instanceof Deno.errors.AddrInUse) || attempt >= REBIND_ATTEMPTS) throw error;
        await delay(REBIND_RETRY_MS);
      }
    }
  }

  /** Closes every socket; accept loops then end. Idempotent. */
  close(): void {
    for (const { listener } of this.#sockets) {
      try {
        listener.close();
      } catch {
        // Already closed.
      }
    }
  }

  #listen(hostname: string, port: number, tls: TlsPair | null): Deno.Listener {
    const common = {
      hostname,
      port,
      transport: "tcp" as const,
      ...(this.#spec.reusePort ? { reusePort: true } : {}),
    };
    return tls === null
      ? Deno.listen(common)
      : Deno.listenTls({ ...common, cert: tls.cert, key: tls.key, alpnProtocols: ALPN });
  }
}

/**
 * Names the address in a listen error's message, `(listening on HOST:PORT)` at its end, so the
 * one startup line can say which socket failed (the text survives the trip from a worker).
 */
function withAddress(error: unknown, hostname: string, port: number): unknown {
  if (error instanceof Error) error.message += ` (listening on ${bracketHost(hostname)}:${port})`;
  return error;
}

/** Whether a failed bind means another socket of the plan covers the address anyway. */
function isCoveredElsewhere(error: unknown): boolean {
  return error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.AddrNotAvailable ||
    // A direct (scoped) run may grant only the address asked for, not its companion.
    error instanceof Deno.errors.NotCapable ||
    (error instanceof Error && /address family|not supported|cannot assign/i.test(error.message));
}

/** Resolves after `ms` milliseconds. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
