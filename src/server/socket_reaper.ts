/**
 * The socket reaper: frees the TCP socket under a TLS connection that Deno cannot free itself.
 *
 * Why it exists: when a TLS connection is closed before its handshake has finished, Deno's TLS
 * stream (rustls-tokio-stream) hands the socket to a background task that waits for the
 * handshake to end before closing it — with no time limit. A client that opens a connection
 * and never finishes the handshake (slowloris at the TLS layer) would keep that socket, and a
 * file descriptor, forever after sockserve gave up on it; so would a client that stops reading
 * while the close_notify alert is flushed. Closing from JavaScript cannot reach that socket.
 *
 * What it does (Linux, with every Deno permission: the supervisor, or a single isolate run
 * with -A): for each connection the server abandoned (a deadline passed, or the server is
 * stopping), it finds the socket by its four addresses in /proc/net/tcp{,6}, finds the file
 * descriptor of that socket inode in /proc/self/fd (every isolate shares the process's
 * descriptors), and calls shutdown(2) on it through libc. shutdown — not close — leaves the
 * descriptor to its owner: the background task sees the end of the stream and closes the
 * socket itself, so Deno's bookkeeping stays right. (Between reading a descriptor's link and
 * the call, that socket could close and its number go to a new connection, which would then be
 * reset: a window of microseconds, for a connection that was stalled.) Requests are batched,
 * so a flood of abandoned connections costs one scan per batch.
 *
 * The lookup of the socket is pure ({@linkcode socketInodes}); the scan and the system call
 * are the edge.
 *
 * @module
 */

import { parseIpv4, parseIpv6 } from "../http/authority.ts";
import { REAP_BATCH_MS } from "../limits.ts";
import type { Endpoint } from "../log/format.ts";

/** The two ends of an abandoned connection, as the server saw them. */
export interface SocketEnds {
  readonly local: Endpoint;
  readonly remote: Endpoint;
}

/** shutdown(2)'s SHUT_RDWR: no more reads or writes on the socket. */
const SHUT_RDWR = 2;

/**
 * Encodes an address as /proc/net/tcp{,6} prints it (pure): each 32-bit word of the address in
 * host (little-endian) byte order as hex, then `:` and the port as 4 hex digits.
 *
 * @param ip An IPv4 or IPv6 address (IPv6 without brackets).
 * @param port The port.
 * @param mapped Print an IPv4 address as IPv6 `::ffff:a.b.c.d` (how a dual-stack socket lists
 *   an IPv4 peer in /proc/net/tcp6).
 * @returns E.g. `0100007F:1F90` for 127.0.0.1:8080, or null for an address that does not parse.
 */
export function procNetAddress(ip: string, port: number, mapped = false): string | null {
  const v4 = parseIpv4(ip);
  let bytes: number[];
  if (v4 !== null) {
    bytes = mapped ? [...new Array(10).fill(0), 0xff, 0xff, ...v4] : v4;
  } else {
    const groups = parseIpv6(ip);
    if (groups === null || mapped) return null;
    bytes = groups.flatMap((group) => [group >> 8, group & 0xff]);
  }
  let hex = "";
  for (let word = 0; word < bytes.length; word += 4) {
    for (let i = 3; i >= 0; i--) hex += bytes[word + i].toString(16).padStart(2, "0");
  }
  return `${hex.toUpperCase()}:${port.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Finds the socket inodes of connections in a /proc/net/tcp{,6} table (pure).
 *
 * @param table The file's text.
 * @param wanted The connections, by their two ends.
 * @returns The inodes of the sockets found (TIME_WAIT entries, inode 0, are not sockets).
 */
export function socketInodes(table: string, wanted: readonly SocketEnds[]): Set<string> {
  const keys = new Set<string>();
  for (const { local, remote } of wanted) {
    for (const mapped of [false, true]) {
      const l = procNetAddress(local.ip, local.port, mapped);
      const r = procNetAddress(remote.ip, remote.port, mapped);
      if (l !== null && r !== null) keys.add(`${l} ${r}`);
    }
  }
  const inodes = new Set<string>();
  for (const line of table.split("\n")) {
    // "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt  uid  timeout inode"
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || !keys.has(`${fields[1]} ${fields[2]}`)) continue;
    if (fields[9] !== "0") inodes.add(fields[9]);
  }
  return inodes;
}

/** Frees abandoned TLS sockets (see the module comment); a no-op where it cannot work. */
export class SocketReaper {
  readonly #shutdown: ((fd: number, how: number) => number) | null;
  #queue: SocketEnds[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** Opens libc where this is Linux and every permission is granted; else reaps nothing. */
  constructor() {
    this.#shutdown = openShutdown();
  }

  /** Whether this process can reap at all. */
  get available(): boolean {
    return this.#shutdown !== null;
  }

  /**
   * Queues a connection the server has closed; its socket is shut down with the next batch.
   *
   * @param ends Its two ends.
   */
  reap(ends: SocketEnds): void {
    if (this.#shutdown === null) return;
    this.#queue.push(ends);
    this.#timer ??= setTimeout(() => this.#flush(), REAP_BATCH_MS);
  }

  /** Stops the batch timer (the queued sockets are reaped now). */
  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#queue.length > 0) this.#flush();
  }

  #flush(): void {
    this.#timer = null;
    const wanted = this.#queue;
    this.#queue = [];
    try {
      const inodes = new Set<string>();
      for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
        for (const inode of socketInodes(readOptional(file), wanted)) inodes.add(inode);
      }
      if (inodes.size === 0) return; // Already closed: the handshake ended after all.
      for (const entry of Deno.readDirSync("/proc/self/fd")) {
        let target: string;
        try {
          target = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
        } catch {
          continue; // Closed while scanning.
        }
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode !== undefined && inodes.has(inode)) {
          this.#shutdown!(Number(entry.name), SHUT_RDWR);
        }
      }
    } catch (error) {
      console.error(`Cannot free abandoned TLS sockets: ${(error as Error).message}`);
    }
  }
}

function readOptional(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return ""; // No IPv6 in this kernel.
  }
}

/** libc's shutdown(2), or null where it cannot be reached (not Linux, no permission, no glibc). */
function openShutdown(): ((fd: number, how: number) => number) | null {
  if (Deno.build.os !== "linux") return null;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
  if (Deno.permissions.querySync({ name: "read", path: "/proc" }).state !== "granted") return null;
  for (const name of ["libc.so.6", "libc.so"]) {
    try {
      const lib = Deno.dlopen(name, {
        shutdown: { parameters: ["i32", "i32"], result: "i32" },
      });
      return (fd, how) => lib.symbols.shutdown(fd, how);
    } catch {
      // Try the next name (musl has no libc.so.6).
    }
  }
  return null;
}
