/**
 * One TCP connection, as an explicit state loop (darkhttpd style):
 *
 *   idle ─bytes→ head ─parsed→ body (discard) → respond ─keep-alive→ idle
 *                  └─error/timeout→ error reply → closed
 *
 * It owns the socket and its read buffer, the head/idle/send deadlines, keep-alive and
 * pipelining (bytes after one request stay in the buffer for the next). It asks the server's
 * handler what to answer and reports every response to the logs.
 *
 * @module
 */

import { CHUNKED_START, decodeChunked } from "../http/chunked.ts";
import { currentHttpDate } from "../http/dates.ts";
import { formatHead, type Header } from "../http/head.ts";
import {
  INITIAL_READ_BUFFER_BYTES,
  KEPT_READ_BUFFER_BYTES,
  MAX_BODY_BYTES,
  MAX_READ_BUFFER_BYTES,
} from "../limits.ts";
import {
  describeUnparsed,
  type Endpoint,
  formatAccessLine,
  type LoggedStatus,
  NOT_SENT,
  type ResponseRecord,
} from "../log/format.ts";
import { type LogSink } from "../log/sink.ts";
import { parseRequestHead, type RequestHead } from "../http/request.ts";
import { forwardedClient } from "../http/forwarded.ts";
import type { Metrics } from "./metrics.ts";
import { writeAll } from "../io/full_io.ts";
import { makeRoom } from "../io/read_buffer.ts";
import { type Sink, writeReply } from "./body_writer.ts";
import type { ErrorOptions } from "./error_pages.ts";
import { type Wire } from "./representation.ts";
import { type Reply } from "./responder.ts";
import type { ErrorStatus } from "../http/status.ts";
import { SERVER_NAME } from "../version.ts";
import {
  type ConnectionState,
  deadlineAfterSend,
  deadlineOn,
  headDeadline,
  type Timeouts,
} from "./deadlines.ts";

/** Sent before reading a body the client is holding back (RFC 9110 §10.1.1). */
const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");

const encoder = new TextEncoder();

/** The default deadline clock, one function for every connection. */
const monotonicNow = () => performance.now();

/** Settings every connection shares. */
export interface ConnectionOptions {
  /** The deadlines of each state (see `deadlines.ts`). */
  readonly timeouts: Timeouts;
  /** The clock deadlines are measured on. @default performance.now */
  readonly clock?: () => number;
  /**
   * The error-page funnel, for the errors the connection itself decides (400, 408, 413, 414,
   * 431, 500, 501, 505), so a site's own `<status>.html` applies to them too.
   */
  readonly errorPage: (status: ErrorStatus, options: ErrorOptions) => Promise<Reply>;
  /** `1.0` answers with HTTP/1.0 and closes after every response. */
  readonly protocol: "1.0" | "1.1";
  /** Print an access line per response. */
  readonly accessLines: boolean;
  /** Whether an access log is written: only then are Referer and User-Agent looked up. */
  readonly accessLog?: boolean;
  /** Print connection open/close events. */
  readonly connectionEvents: boolean;
  /** Colour console lines. */
  readonly colour: boolean;
  /**
   * Whether an address is a trusted proxy (`--trusted-proxy`); null when none is, and then no
   * request's forwarding fields are looked at. @default null
   */
  readonly trustedProxy?: ((ip: string) => boolean) | null;
  /** Where responses are counted (`--metrics`); null when off. @default null */
  readonly metrics?: Metrics | null;
  /**
   * Bumped after every read, before any request in its bytes is answered: the hot-file cache
   * then knows whether a request can have arrived since it last revalidated a file (`cache.ts`).
   * @default null
   */
  readonly arrivals?: { count: number } | null;
  /**
   * Called once when a connection has closed and finished, last thing in
   * {@linkcode Connection.run}: one function for all connections, so a connection costs no
   * promise chain of its own while it waits. @default none
   */
  readonly closed?: (connection: Connection) => void;
}

/** Who is talking on a connection. */
export interface ConnectionInfo {
  readonly id: number;
  readonly client: Endpoint;
  readonly server: Endpoint;
  /** Whether the connection is TLS (HTTPS). */
  readonly secure: boolean;
}

/** Decides the reply to a parsed request; the server wires resolver and responder into it. */
export type Handler = (head: RequestHead, info: ConnectionInfo) => Reply | Promise<Reply>;

/** What the logs need to know about the request a response answers. */
interface RequestSummary {
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly requestLine: string;
  readonly referer: string | null;
  readonly userAgent: string | null;
  readonly time: number;
  readonly started: number;
  /** The client a trusted proxy named, or null. */
  readonly forwardedClient: string | null;
}

/**
 * A served TCP connection. Call {@linkcode Connection.run} once. It is the responder's
 * {@linkcode Sink}: replies are written through it, so it counts bytes and keeps deadlines.
 */
export class Connection implements Sink {
  /** Who is talking. */
  readonly info: ConnectionInfo;
  readonly #conn: Deno.Conn;
  readonly #options: ConnectionOptions;
  readonly #handler: Handler;
  readonly #logs: LogSink;
  #buf = new Uint8Array(INITIAL_READ_BUFFER_BYTES);
  #start = 0;
  #end = 0;
  #state: ConnectionState = "waiting";
  #deadline = Infinity;
  readonly #clock: () => number;
  readonly #arrivals: { count: number } | null;
  #requests = 0;
  #written = 0;
  #stopping = false;
  #timedOut = false;
  /** The version in every status line: `--protocol 1.0` answers as HTTP/1.0. */
  readonly #statusVersion: string;
  /** The peer is a trusted proxy: its requests' forwarding fields name the client. */
  readonly #proxied: boolean;
  /** The request head read and not yet taken by {@linkcode Connection.#exchange}. */
  #head: RequestHead | null = null;
  /** Ends a wait for the logs when the connection closes; null when not waiting. */
  #stopWaiting: (() => void) | null = null;

  /**
   * @param conn The accepted socket.
   * @param info Its id and endpoints.
   * @param options Timeouts, protocol and console settings.
   * @param handler What to answer.
   * @param logs Where responses are recorded.
   */
  constructor(
    conn: Deno.Conn,
    info: ConnectionInfo,
    options: ConnectionOptions,
    handler: Handler,
    logs: LogSink,
  ) {
    this.#conn = conn;
    this.info = info;
    this.#options = options;
    this.#handler = handler;
    this.#logs = logs;
    this.#clock = options.clock ?? monotonicNow;
    this.#arrivals = options.arrivals ?? null;
    this.#enter("waiting");
    this.#statusVersion = options.protocol === "1.0" ? "HTTP/1.0" : "HTTP/1.1";
    // The peer never changes on a connection: ask once, not per request.
    this.#proxied = options.trustedProxy?.(info.client.ip) ?? false;
  }

  /** Serves requests until the client leaves, an error closes it, or the server stops. */
  async run(): Promise<void> {
    const { ip, port } = this.info.client;
    if (this.#options.connectionEvents) {
      this.#logs.line(`Connection socket created: ${ip}, ${port}`);
    }
    try {
      while (this.#state !== "closed") {
        // The wait for a request's first bytes is #fill's read done here, not in #readHead and
        // #fill: each suspended async function costs ~0.5 KB (generator, registers, promise,
        // await closures), and a keep-alive connection spends most of its life in this wait.
        // A connection error ends the loop through the catch below, as it would in #fill.
        if (this.#start === this.#end) {
          this.#beforeRequest();
          if (this.#stopping || !this.#received(await this.#conn.read(this.#buf))) break;
        }
        // The log files are behind a slow disk: the request waits unanswered until they catch
        // up, so entries are neither dropped nor piled up in memory (nginx blocks likewise).
        const behind = this.#logs.ready();
        if (behind !== null && !(await this.#waitFor(behind))) break;
        // The head goes through a field, never a local: a suspended async function keeps its
        // locals, and one here would pin every idle connection's last request while it waits.
        // Awaited even when the head is already whole: that turn lets every read of this turn
        // of the event loop be counted before any request is answered, so the hot-file cache's
        // revalidations are shared (see Arrivals in cache.ts); a synchronous shortcut made
        // every request revalidate.
        this.#head = await this.#readHead();
        if (this.#head === null || !(await this.#exchange())) break;
      }
    } catch (error) {
      if (!isConnectionError(error)) {
        console.error(`Connection ${this.info.id} failed: ${describeError(error)}`);
      }
    } finally {
      this.close();
      if (this.#options.connectionEvents) {
        this.#logs.line(`Connection to ${ip}, ${port} is now closed.`);
      }
      this.#options.closed?.(this);
    }
  }

  /**
   * Enforces the current deadline: a half-received head gets a 408, anything else is closed.
   * The server calls this periodically from one timer for all connections.
   *
   * @param now The clock (the same one as {@linkcode ConnectionOptions.clock}).
   */
  expire(now: number): void {
    if (this.#state === "closed" || this.#timedOut || now < this.#deadline) return;
    this.#timedOut = true;
    if (this.#state === "head") {
      const bytes = this.#buf.slice(this.#start, this.#end);
      void this.#refuse(408, "The request head did not arrive in time.", bytes)
        .catch(() => {})
        .finally(() => this.close());
    } else {
      this.close();
    }
  }

  /** Asks the connection to finish its current response and close; an idle one closes now. */
  stop(): void {
    this.#stopping = true;
    // Between requests (idle, or waiting for the logs), there is nothing to finish.
    if (this.#state === "idle" || this.#state === "waiting" || this.#stopWaiting !== null) {
      this.close();
    }
  }

  /** Whether a deadline closed the connection (the client may still be holding it open). */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** The state the connection is in (for tests and diagnostics). */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Enters a state and sets its deadline: the one place deadlines are decided. */
  #enter(state: ConnectionState): void {
    this.#deadline = state === "head" && this.#requests > 0
      ? headDeadline(this.#clock(), this.#options.timeouts)
      : deadlineOn(state, this.#clock(), this.#deadline, this.#options.timeouts);
    this.#state = state;
  }

  /** Closes the socket; a pending read or write then fails and `run` ends. Idempotent. */
  close(): void {
    if (this.#state === "closed") return;
    this.#enter("closed");
    this.#stopWaiting?.();
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer or the runtime.
    }
  }

  /**
   * Waits for the logs to catch up, or for the connection to close (a stop, a deadline).
   *
   * @returns Whether the connection is still open.
   */
  async #waitFor(behind: Promise<void>): Promise<boolean> {
    // The wait has no deadline of its own: the writer ends it (caught up, failed, stalled for
    // LOG_STALL_MS, or closed), and a request that arrived must not be closed unanswered.
    const state = this.#state;
    this.#deadline = Infinity;
    await new Promise<void>((resolve) => {
      this.#stopWaiting = resolve;
      void behind.then(resolve);
    });
    this.#stopWaiting = null;
    if (this.#state === "closed") return false;
    this.#enter(state);
    return true;
  }

  /** Readies an empty buffer and the idle deadline for the next request's first bytes. */
  #beforeRequest(): void {
    this.#start = this.#end = 0;
    // A client that needed a bigger buffer (a browser's head) keeps one for its next request,
    // but a huge head should not pin a huge buffer for the rest of a long connection.
    if (this.#buf.length > KEPT_READ_BUFFER_BYTES) {
      this.#buf = new Uint8Array(INITIAL_READ_BUFFER_BYTES);
    }
    if (this.#requests > 0) this.#enter("idle");
  }

  /**
   * Reads until a complete head is parsed (called with its first bytes in the buffer); answers
   * parse errors itself and returns null.
   */
  async #readHead(): Promise<RequestHead | null> {
    if (this.#requests > 0) this.#enter("idle");
    let scanned = 0;
    while (true) {
      if (this.#end > this.#start) {
        if (this.#state === "idle" || this.#state === "waiting") this.#enter("head");
        const view = this.#buf.subarray(this.#start, this.#end);
        const result = parseRequestHead(view, scanned);
        if (result.kind === "done") {
          this.#start += result.consumed;
          return result.head;
        }
        if (result.kind === "error") {
          this.#requests++;
          await this.#refuse(result.status, result.reason, view);
          return null;
        }
        scanned = result.scanned;
      } else if (this.#stopping) {
        return null;
      }
      if (!(await this.#fill())) return null;
    }
  }

  /** Handles the request just read: skip its body, ask the handler, send. Returns keep-alive. */
  async #exchange(): Promise<boolean> {
    const head = this.#head!;
    this.#head = null;
    this.#requests++;
    const request: RequestSummary = {
      method: head.method,
      target: head.target,
      version: head.version,
      requestLine: head.requestLine,
      // Off the hot path: without an access log nobody reads them.
      referer: this.#options.accessLog ? head.headers.get("referer") ?? null : null,
      userAgent: this.#options.accessLog ? head.headers.get("user-agent") ?? null : null,
      time: Date.now(),
      started: this.#clock(),
      forwardedClient: this.#proxied
        ? forwardedClient(head.headers, this.#options.trustedProxy!)
        : null,
    };
    if (head.body.kind !== "none") {
      if (head.body.kind === "length" && head.body.length > MAX_BODY_BYTES) {
        const tooLarge = await this.#options.errorPage(413, { method: head.method, close: true });
        await this.#send(tooLarge, false, request);
        return false;
      }
      this.#enter("body");
      // RFC 9110 §15.2: HTTP/1.0 has no 1xx; with --protocol 1.0 the client just sends the body.
      if (head.expectContinue && this.#options.protocol === "1.1") await this.#writeAll(CONTINUE);
      const skipped = await this.#skipBody(head);
      if (skipped === "eof") return false;
      if (skipped !== "ok") {
        const refused = await this.#options.errorPage(skipped.status, {
          detail: skipped.reason,
          close: true,
        });
        await this.#send(refused, false, request);
        return false;
      }
    }
    this.#enter("respond");
    let reply: Reply;
    try {
      // A hot file is answered without a promise; only real I/O pays for one.
      const answer = this.#handler(head, this.info);
      reply = answer instanceof Promise ? await answer : answer;
    } catch (error) {
      console.error(`Request "${head.requestLine}" failed: ${describeError(error)}`);
      reply = await this.#options.errorPage(500, { method: head.method, close: true });
    }
    const keepAlive = head.keepAlive && this.#options.protocol === "1.1" && !reply.close &&
      !this.#stopping;
    const sent = await this.#send(reply, keepAlive, request);
    return sent && keepAlive && !this.#stopping;
  }

  /** Reads and drops a request body so the next pipelined request starts at the right byte. */
  async #skipBody(
    head: RequestHead,
  ): Promise<"ok" | "eof" | { status: ErrorStatus; reason: string }> {
    if (head.body.kind === "length") {
      let left = head.body.length;
      while (true) {
        const take = Math.min(left, this.#end - this.#start);
        this.#start += take;
        left -= take;
        if (left === 0) return "ok";
        if (!(await this.#fill())) return "eof";
      }
    }
    let state = CHUNKED_START;
    while (true) {
      const step = decodeChunked(state, this.#buf.subarray(this.#start, this.#end), MAX_BODY_BYTES);
      if (step.kind === "error") return step;
      this.#start += step.consumed;
      state = step.state;
      if (state.phase === "done") return "ok";
      if (!(await this.#fill())) return "eof";
    }
  }

  /** Answers a request that could not be parsed (or timed out) and marks the connection done. */
  async #refuse(status: ErrorStatus, reason: string, bytes: Uint8Array): Promise<void> {
    const unparsed = describeUnparsed(bytes);
    const request: RequestSummary = {
      ...unparsed,
      referer: null,
      userAgent: null,
      time: Date.now(),
      started: this.#clock(),
      forwardedClient: null,
    };
    const reply = await this.#options.errorPage(status, { detail: reason, close: true });
    await this.#send(reply, false, request);
  }

  /** Writes a reply with the connection's own fields, then records it. Returns success. */
  async #send(reply: Reply, keepAlive: boolean, request: RequestSummary): Promise<boolean> {
    const date = currentHttpDate();
    const buildHead = (): Wire => {
      const headers: Header[] = [
        ["Date", date],
        ["Server", SERVER_NAME],
        ...reply.headers,
        ["Connection", keepAlive ? "keep-alive" : "close"],
      ];
      const head = formatHead(this.#statusVersion, reply.status, headers);
      return { head, bytes: encoder.encode(head) };
    };
    let wire: Wire;
    let body = reply.body;
    if (reply.wire !== undefined && body.kind === "bytes") {
      // A fixed response: head and body built once per second, then written as they are.
      const bytes = body.bytes;
      wire = reply.wire.get(date, keepAlive, () => joinWire(buildHead(), bytes));
      body = { kind: "none" };
    } else {
      wire = buildHead();
    }
    const before = this.#written;
    let ok = true;
    try {
      this.#enter("respond");
      await writeReply(this, wire.bytes, body);
    } catch (error) {
      ok = false;
      if (!isConnectionError(error) && this.#state !== "closed") {
        console.error(`Response to "${request.requestLine}" failed: ${describeError(error)}`);
      }
    }
    const sent = this.#written - before;
    const metrics = this.#options.metrics ?? null;
    if (metrics !== null && !reply.uncounted) {
      metrics.countResponse(
        sent === 0 ? NOT_SENT : reply.status,
        request.method,
        sent,
        this.#clock() - request.started,
      );
    }
    if (sent === 0) {
      // Nothing reached the client (it left first): the logs say so instead of showing a head.
      this.#record(request, NOT_SENT, null, 0);
    } else {
      // Heads are ASCII by construction, so the text length is the byte length.
      this.#record(request, reply.status, wire.head, sent - wire.head.length);
    }
    return ok;
  }

  #record(
    request: RequestSummary,
    status: LoggedStatus,
    head: string | null,
    bodyBytes: number,
  ): void {
    const record: ResponseRecord = {
      time: request.time,
      server: this.info.server,
      client: this.info.client,
      connectionId: this.info.id,
      requestOnConnection: this.#requests,
      method: request.method,
      target: request.target,
      version: request.version,
      requestLine: request.requestLine,
      referer: request.referer,
      userAgent: request.userAgent,
      status,
      head,
      bodyBytes: Math.max(0, bodyBytes),
      durationMs: this.#clock() - request.started,
      forwardedClient: request.forwardedClient,
    };
    this.#logs.record(record);
    if (this.#options.accessLines) this.#logs.line(formatAccessLine(record, this.#options.colour));
  }

  /** Reads more bytes into the buffer. Returns false on end of stream, error or close. */
  async #fill(): Promise<boolean> {
    if (this.#end === this.#buf.length) {
      const room = makeRoom(
        { buf: this.#buf, start: this.#start, end: this.#end },
        MAX_READ_BUFFER_BYTES,
      );
      if (room === null) return false; // the parser refuses a head this big before it gets here
      this.#buf = room.buf;
      this.#start = room.start;
      this.#end = room.end;
    }
    let n: number | null;
    try {
      // A read into an empty buffer takes the buffer itself, not one more view of it.
      n = await this.#conn.read(this.#end === 0 ? this.#buf : this.#buf.subarray(this.#end));
    } catch (error) {
      if (isConnectionError(error)) return false;
      throw error;
    }
    return this.#received(n);
  }

  /** Takes the count of bytes a read put at the end; false when the connection is done. */
  #received(n: number | null): boolean {
    if (this.#arrivals !== null) this.#arrivals.count++;
    if (n === null || this.#timedOut || this.#state === "closed") return false;
    this.#end += n;
    return true;
  }

  /** Writes all bytes, refreshing the send deadline as the client drains them. */
  write(bytes: Uint8Array): Promise<void> {
    return this.#writeAll(bytes);
  }

  #writeAll(bytes: Uint8Array): Promise<void> {
    return writeAll(this.#conn, bytes, (n) => {
      this.#written += n;
      this.#deadline = deadlineAfterSend(this.#deadline, this.#clock(), n, this.#options.timeouts);
    });
  }
}

/** Appends a body to a head's bytes (the head text stays as the log's copy). */
function joinWire(head: Wire, body: Uint8Array): Wire {
  const bytes = new Uint8Array(head.bytes.length + body.length);
  bytes.set(head.bytes);
  bytes.set(body, head.bytes.length);
  return { head: head.head, bytes };
}

/** One line for the operator: the error's class and message, never a stack trace. */
function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message.split("\n")[0]}` : String(error);
}

/**
 * Returns whether an error only means the peer went away or the socket was closed — or, on a TLS
 * connection, that the handshake failed (plain HTTP sent to the HTTPS port, an unknown CA, no
 * common protocol: `InvalidData`; a client that hung up mid-handshake: `UnexpectedEof`).
 */
function isConnectionError(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.InvalidData ||
    error instanceof Deno.errors.UnexpectedEof ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.Interrupted;
}
