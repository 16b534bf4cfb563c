/**
 * sockserve as a library: a static-file HTTP/1.1 server with its own parser, the raw-TCP client
 * that reads responses with the same parser, and the parser itself.
 *
 * @example Serve a folder from another Deno program
 * ```ts
 * import { serve } from "./mod.ts";
 *
 * const server = await serve({
 *   root: "./site",
 *   host: "127.0.0.1",
 *   port: 8080,
 *   logDir: "./logs",
 *   headerTimeoutS: 10,
 *   idleTimeoutS: 10,
 *   protocol: "1.1",
 *   allowStop: false,
 *   quiet: false,
 *   verbose: false,
 *   colour: false,
 * });
 * console.log(`http://127.0.0.1:${server.addr.port}/`);
 * await server.stop();
 * ```
 *
 * @example Parse a request head
 * ```ts
 * import { parseRequestHead } from "./mod.ts";
 *
 * const bytes = new TextEncoder().encode("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
 * const result = parseRequestHead(bytes);
 * if (result.kind === "done") console.log(result.head.path); // "/a"
 * ```
 *
 * @module
 */

import type { TlsPair } from "./src/server/listeners.ts";
import type { Confinement } from "./src/server/opener.ts";
import { serve as serveWithOptions, type ServeSettings } from "./src/server/serve.ts";
import { loadGlobs } from "./src/server/rules.ts";

// checkRules() below checks header rules' globs with picomatch, which sockserve itself imports
// only when it has such rules.
await loadGlobs();

export type { Confinement, ServeSettings, TlsPair };
export type { AuthSettings, AuthUser } from "./src/server/auth.ts";
export type { AccessLogFormat } from "./src/log/access.ts";
export {
  checkRules,
  type HeaderRule,
  type RedirectRule,
  type RedirectStatus,
  type RewriteRule,
  type RulePath,
  type Rules,
  type RulesCheck,
} from "./src/server/rules.ts";
export {
  type CheckedPair,
  checkTlsPair,
  type PairCheck,
  readTlsPair,
  type RefusedPair,
  type TlsFiles,
} from "./src/server/tls.ts";

/** A running server. */
export interface Server {
  /** The first address listened on (the real port when 0 was asked). */
  readonly addr: Deno.NetAddr;
  /** Every address listened on, as `host:port` (IPv6 in brackets). */
  readonly addresses: readonly string[];
  /** Resolves when the server has stopped and the logs are flushed. */
  readonly finished: Promise<void>;
  /** Stops gracefully: in-flight responses finish, the logs are flushed. */
  stop(): Promise<void>;
  /** How opened files are proven to be inside the root. */
  readonly confinement: Confinement;
  /**
   * Serves new TLS handshakes with another certificate (check it with `readTlsPair` first);
   * open connections keep theirs. Rejects, keeping the old one, when Deno refuses the pair.
   */
  reloadTls(pair: TlsPair): Promise<void>;
}

/**
 * Serves a folder, as `sockserve` does, in this isolate: the root and log dir must exist. With
 * every Deno permission on Linux, each opened file is proven inside the root by the kernel; see
 * the README's Security section for what holds with narrower permissions.
 *
 * @param settings The folder, the address, the logs and the rules.
 * @returns The running server; `stop()` it to finish in-flight responses and flush the logs.
 */
export async function serve(settings: ServeSettings): Promise<Server> {
  const { addr, addresses, finished, stop, confinement, reloadTls } = await serveWithOptions(
    settings,
  );
  return { addr, addresses, finished, stop, confinement, reloadTls };
}
export {
  type BodyOutput,
  ClientError,
  type ClientIo,
  type FollowPolicy,
  get,
  type GetOptions,
} from "./src/client/get.ts";
export type { Header } from "./src/http/head.ts";
export {
  type BodyFraming,
  parseRequestHead,
  type RequestHead,
  type RequestParseResult,
  type TargetForm,
  type Version,
} from "./src/http/request.ts";
export {
  type FieldReader,
  KNOWN_FIELDS,
  type KnownField,
  type RequestFields,
} from "./src/http/request_fields.ts";
export {
  parseResponseHead,
  type ResponseFraming,
  responseFraming,
  type ResponseHead,
  type ResponseParseResult,
} from "./src/http/response.ts";
export {
  type ParseError,
  type ParseErrorCode,
  type ParseErrorStatus,
} from "./src/http/parse_error.ts";
export {
  CHUNKED_START,
  type ChunkedProgress,
  type ChunkedState,
  decodeChunked,
} from "./src/http/chunked.ts";
