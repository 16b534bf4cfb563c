/**
 * The router: decides what to answer a parsed request, in this order — the Host policy (421),
 * credentials with `--auth` (401, or 503 when too many are being checked), `OPTIONS`, the method
 * (405/501), `GET /STOP`, redirect and rewrite rules, then the path: the hot-file cache, else the
 * resolver and the opener, a listing or a redirect; with `--clean-urls` and `--spa`, what a path
 * that names no file gets instead (`fallbacks.ts`); with `--compress` or `--precompressed`, which
 * representation of a file (identity, a sidecar, or compressed on the fly; 406 when none is
 * acceptable); CORS fields go on, then header rules edit the reply. Every error goes through the
 * error-page funnel.
 *
 * @module
 */

import {
  CONTENT_CODINGS,
  type ContentCoding,
  hasNoTransform,
  negotiateCoding,
} from "../http/content_coding.ts";
import type { Header } from "../http/head.ts";
import { applyFieldEdits } from "../http/field_edits.ts";
import {
  bracketHost,
  classifyHost,
  isLocalAuthority,
  isLoopbackAddress,
  parseAuthority,
} from "../http/authority.ts";
import { ALLOW, REGISTERED_METHODS } from "../http/methods.ts";
import type { RequestHead } from "../http/request.ts";
import {
  BUSY_RETRY_AFTER_S,
  MAX_CONCURRENT_LISTINGS,
  MAX_STALE_SIDECAR_WARNINGS,
} from "../limits.ts";
import { IS_WINDOWS } from "../platform.ts";
import type { PasswordGate } from "./auth.ts";
import { type Metrics, METRICS_CONTENT_TYPE } from "./metrics.ts";
import { type FileCache, type PathWatch, type ServedSidecar, watchPath } from "./cache.ts";
import type { ConnectionInfo } from "./connection.ts";
import { errorPage, type ErrorPageSource, isErrorReply } from "./error_pages.ts";
import {
  cleanRedirect,
  htmlSibling,
  isIndexName,
  isSpaRoute,
  type ShellSettings,
} from "./fallbacks.ts";
import { type Refusal, refusalStatus } from "./fs_errors.ts";
import {
  formatListingHtml,
  formatListingJson,
  parseListingOrder,
  prefersJson,
  readListing,
} from "./listing.ts";
import {
  type Confinement,
  type FileStat,
  type ListingResult,
  openDirectoryInside,
  openInside,
  stillInside,
  type Supervisor,
} from "./opener.ts";
import {
  chooseCoding,
  isFreshSidecar,
  type Representation,
  SIDECAR_EXTENSIONS,
} from "./representation.ts";
import {
  encodePath,
  joinInside,
  type NormalizedPath,
  normalizePath,
  type Resolution,
  resolvePath,
  type Root,
} from "./resolver.ts";
import {
  type CompiledRules,
  editsFor,
  type HeaderMatcher,
  type Route,
  routeRequest,
  withQuery,
} from "./rules.ts";
import {
  bytesReply,
  type FileOptions,
  redirectReply,
  type Reply,
  representationReply,
  VARY_ACCEPT_ENCODING,
} from "./responder.ts";

/** What the router needs from the server: its root, confinement, cache and switches. */
export interface AnswerContext extends ErrorPageSource {
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
  /** Told about each 421 (the server prints the `--any-host` hint once). */
  readonly onMisdirected: (host: string | null) => void;
  /** The Strict-Transport-Security value for HTTPS responses (`--hsts`), or null. */
  readonly hsts: string | null;
  /** Content codings (`--compress`, `--precompressed`); null when both are off. */
  readonly coding?: CodingSettings | null;
  /** Header, redirect and rewrite rules (`-H`, the config file); null when there are none. */
  readonly rules?: CompiledRules | null;
  /** Basic authentication (`--auth`, `--auth-file`); null when anyone may read. */
  readonly auth?: AuthCheck | null;
  /** `/about` serves `about.html`, and `/about.html` moves there (`--clean-urls`). */
  readonly cleanUrls?: boolean;
  /** The single-page-app shell for missing routes (`--spa`); null when off. */
  readonly spa?: ShellSettings | null;
  /** The metrics endpoint (`--metrics`); null when off. */
  readonly metrics?: MetricsEndpoint | null;
}

/** What the router needs to answer the metrics path and count cache lookups. */
export interface MetricsEndpoint {
  /** The counters (the path, and the cache lookups the router counts). */
  readonly counters: Metrics;
  /** Whether a peer may read the metrics: loopback or a trusted proxy. */
  readonly allowed: (ip: string) => boolean;
  /** The whole server's metrics in the Prometheus text format. */
  readonly exposition: () => Promise<string>;
}

/** What the router needs to ask for credentials. */
export interface AuthCheck {
  /** Checks the Authorization field. */
  readonly gate: PasswordGate;
  /** The `WWW-Authenticate` value of every 401 (RFC 9110 §15.5.2: a 401 must carry one). */
  readonly challenge: string;
}

/** How files may be coded, from {@linkcode codingSettings}. */
export interface CodingSettings {
  /** Compress on the fly (`--compress`, unless Cache-Control says no-transform). */
  readonly compress: boolean;
  /** Serve `FILE.br`, `FILE.zst`, `FILE.gz` beside `FILE` (`--precompressed`). */
  readonly precompressed: boolean;
  /** The file options plus `Vary: Accept-Encoding`, one object so wire caches can reuse it. */
  readonly varyOptions: FileOptions;
  /** Says once that a sidecar is older than its file and is not served. */
  readonly warnStale: (sidecarPath: string) => void;
}

/**
 * Makes the coding settings of a server, or null when neither `--compress` nor
 * `--precompressed` is on (the router then never looks at Accept-Encoding).
 *
 * @param options The switches and the Cache-Control of file responses: `no-transform` turns
 *   on-the-fly compression off (RFC 9111 §5.2.2.6).
 * @param warn Where the stale-sidecar line goes. @default console.error
 * @returns The settings, or null.
 */
export function codingSettings(
  options: {
    readonly compress?: boolean;
    readonly precompressed?: boolean;
    readonly cacheControl?: string | null;
  },
  warn: (line: string) => void = console.error,
): CodingSettings | null {
  if (!options.compress && !options.precompressed) return null;
  const warned = new Set<string>();
  return {
    compress: (options.compress ?? false) && !hasNoTransform(options.cacheControl),
    precompressed: options.precompressed ?? false,
    varyOptions: { cacheControl: options.cacheControl ?? null, vary: true },
    warnStale(sidecarPath) {
      if (warned.has(sidecarPath) || warned.size >= MAX_STALE_SIDECAR_WARNINGS) return;
      warned.add(sidecarPath);
      warn(
        `Ignoring "${sidecarPath}": it is older than the file it encodes, so it may hold old ` +
          `content; compress that file again to serve it.`,
      );
    },
  };
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
 * The preflight fields with `--auth`: `Authorization` must be named for a page's fetch to send
 * it (Fetch standard: a `*` in Access-Control-Allow-Headers never covers it).
 */
const CORS_PREFLIGHT_AUTH_HEADERS: readonly Header[] = CORS_PREFLIGHT_HEADERS.map((
  [name, value],
) => [name, name === "Access-Control-Allow-Headers" ? `Authorization, ${value}` : value]);

/**
 * Decides the reply to one request: method, then /STOP, then redirect and rewrite rules, then
 * resolver, then responder, with the CORS fields added, and header rules applied last.
 *
 * @param head The parsed request.
 * @param info The connection it came on.
 * @param context Root and options.
 * @returns The reply to send.
 */
export function answerRequest(
  head: RequestHead,
  info: ConnectionInfo,
  context: AnswerContext,
): Reply | Promise<Reply> {
  const rules = context.rules ?? null;
  // Without rules the request takes the path it always took: no rule work at all.
  if (rules !== null) return answerWithRules(head, info, context, rules);
  return finishReply(head, info, context, decideReply(head, info, context, null));
}

/** The funnel for built-in error pages, then the CORS and HSTS fields. */
function finishReply(
  head: RequestHead,
  info: ConnectionInfo,
  context: AnswerContext,
  decided: Reply | Promise<Reply>,
): Reply | Promise<Reply> {
  // A built-in error page from the responder (412, 416), hot or cold, gets the site's own page if
  // it has one (errorPage's own replies are unmarked: they have been through the funnel).
  const funnel = (r: Reply): Reply | Promise<Reply> =>
    isErrorReply(r) ? errorPage(context, r.error.status, r.error.options) : r;
  const reply = decided instanceof Promise ? decided.then(funnel) : funnel(decided);
  const extra: Header[] = [];
  if (context.cors) {
    extra.push(...CORS_HEADERS);
    if (head.method === "OPTIONS") {
      extra.push(...(context.auth ? CORS_PREFLIGHT_AUTH_HEADERS : CORS_PREFLIGHT_HEADERS));
    }
  }
  // Whether HSTS is sent depends on the Host, so the reply is no longer the same for every
  // request: it must not reuse (or fill) the file's wire image.
  const hsts = info.secure && context.hsts !== null && hstsApplies(head.host);
  if (hsts) extra.push(["Strict-Transport-Security", context.hsts!]);
  if (extra.length === 0) return reply;
  const withExtra = (r: Reply): Reply => ({
    ...r,
    headers: [...r.headers, ...extra],
    ...(hsts ? { wire: undefined } : {}),
  });
  return reply instanceof Promise ? reply.then(withExtra) : withExtra(reply);
}

/**
 * Answers with rules on: what the rules make of the request path is looked up once (and
 * remembered for hot paths); redirects and rewrites act in the path stage; the header rules of
 * the path the client asked for (not the rewritten one) edit whatever reply comes out, errors
 * and 304s included.
 */
function answerWithRules(
  head: RequestHead,
  info: ConnectionInfo,
  context: AnswerContext,
  rules: CompiledRules,
): Reply | Promise<Reply> {
  const route = routeRequest(rules, head.path);
  const reply = finishReply(head, info, context, decideReply(head, info, context, route));
  return reply instanceof Promise
    ? reply.then((r) => withRuleHeaders(r, route.headers))
    : withRuleHeaders(reply, route.headers);
}

/**
 * Applies header rules to a reply. Rules for every path edit every reply of a status alike (as
 * `--cors` does), so the file's wire image stays valid; a rule for some paths makes the reply
 * its path's own, so it neither reuses nor fills the wire image that every path to the file
 * shares.
 *
 * @param reply The reply.
 * @param rules The header rules matched to the request's path (their status filters apply here).
 * @returns The reply with the rules' fields; the same reply when no rule applies.
 */
export function withRuleHeaders(reply: Reply, rules: readonly HeaderMatcher[]): Reply {
  if (rules.length === 0) return reply;
  const edits = editsFor(rules, reply.status);
  if (edits === null) return reply;
  const headers = applyFieldEdits(reply.headers, edits);
  return rules.every((rule) => rule.everyPath)
    ? { ...reply, headers }
    : { ...reply, headers, wire: undefined };
}

/**
 * Whether a response for this Host may carry Strict-Transport-Security: only for a domain name.
 * An IP literal cannot be an HSTS host (RFC 6797 §8.1.1), and pinning `localhost` to HTTPS would
 * break every other development server on this machine for the max-age.
 *
 * @param host The request's authority (Host field), or null.
 * @returns Whether to send the field.
 */
export function hstsApplies(host: string | null): boolean {
  const authority = host === null ? null : parseAuthority(host);
  if (authority === null || authority.host === "" || authority.host.startsWith("[")) return false;
  const name = authority.host.replace(/\.$/, "");
  return classifyHost(name).kind === "name" && name !== "localhost" &&
    !name.endsWith(".localhost");
}

/**
 * Answers a request on the plain port of an HTTPS server (`--https-redirect-port`): after the
 * same Host policy as every request, a 308 to the same target over HTTPS (RFC 9110 §15.4.9:
 * unlike 301, the method and body survive the redirect).
 *
 * @param head The parsed request.
 * @param info The connection it came on.
 * @param context The Host policy and the error pages.
 * @param httpsPort The port HTTPS is served on.
 * @returns The reply.
 */
export function answerHttpsRedirect(
  head: RequestHead,
  info: ConnectionInfo,
  context: AnswerContext,
  httpsPort: number,
): Reply | Promise<Reply> {
  const reply = decideHttpsRedirect(head, info, context, httpsPort);
  const rules = context.rules ?? null;
  if (rules === null) return reply;
  const { headers } = routeRequest(rules, head.path);
  return reply instanceof Promise
    ? reply.then((r) => withRuleHeaders(r, headers))
    : withRuleHeaders(reply, headers);
}

/** The reply of the plain port: the Host policy, then a 308 to HTTPS. */
function decideHttpsRedirect(
  head: RequestHead,
  info: ConnectionInfo,
  context: AnswerContext,
  httpsPort: number,
): Reply | Promise<Reply> {
  const misdirected = checkHost(head, context);
  if (misdirected !== null) return misdirected;
  // OPTIONS * asks about the server, not a resource: there is nothing to redirect.
  if (head.form === "asterisk") {
    return { status: 204, headers: [["Allow", ALLOW]], body: { kind: "none" } };
  }
  if (head.form === "authority") {
    return errorPage(context, 400, {
      method: head.method,
      detail: "Only a path can be redirected.",
    });
  }
  return redirectReply(httpsLocation(head, info.server.ip, httpsPort), head.method, 308);
}

/**
 * The HTTPS URL of a request (pure): its Host's name (else the address it reached), the HTTPS
 * port (left out when it is 443), and its path and query as sent.
 *
 * @param head The request.
 * @param serverIp The local address the request arrived on, for requests without a Host.
 * @param httpsPort The HTTPS port.
 * @returns An absolute `https://` URL.
 * @example
 * ```ts
 * // GET /a?b HTTP/1.1, Host: example.com:8080 → "https://example.com:8443/a?b"
 * ```
 */
export function httpsLocation(head: RequestHead, serverIp: string, httpsPort: number): string {
  const named = head.host === null ? "" : parseAuthority(head.host)?.host ?? "";
  const host = named === "" ? bracketHost(serverIp) : named;
  const port = httpsPort === HTTPS_DEFAULT_PORT ? "" : `:${httpsPort}`;
  const query = head.query === null ? "" : `?${head.query}`;
  return `https://${host}${port}${head.path === "" ? "/" : head.path}${query}`;
}

/** RFC 9110 §4.2.2: the port an https URL means when it names none. */
const HTTPS_DEFAULT_PORT = 443;

/** The Host policy (DNS rebinding): a 421 for a loopback server asked for another name. */
function checkHost(head: RequestHead, context: AnswerContext): Promise<Reply> | null {
  if (!context.localHostsOnly || isLocalAuthority(head.host)) return null;
  context.onMisdirected(head.host);
  return errorPage(context, 421, { method: head.method, close: true });
}

/**
 * The request path in order. A hot file is answered synchronously (no promise at all); every
 * other answer needs the file system and returns a promise.
 */
function decideReply(
  head: RequestHead,
  info: ConnectionInfo,
  context: AnswerContext,
  route: Route | null,
  authorized = false,
): Reply | Promise<Reply> {
  const { method } = head;
  // DNS rebinding: a web page can point its own host name at 127.0.0.1 and then read this
  // server from the browser. A loopback server only answers for this machine's names.
  const misdirected = checkHost(head, context);
  if (misdirected !== null) return misdirected;
  const metrics = context.metrics ?? null;
  if (metrics !== null && head.path === metrics.counters.path) {
    const reply = metricsReply(head, info, metrics);
    if (reply !== null) return reply;
  }
  // Credentials before anything that depends on the resource: 304, 206 and /STOP need them too.
  const auth = context.auth ?? null;
  if (auth !== null && !authorized && !(context.cors && isPreflight(head))) {
    const verdict = auth.gate.check(head.headers.get("authorization"));
    if (verdict instanceof Promise) {
      return verdict.then((v) =>
        v === "allowed"
          ? decideReply(head, info, context, route, true)
          : refuseCredentials(v, head, auth, context)
      );
    }
    if (verdict !== "allowed") return refuseCredentials(verdict, head, auth, context);
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
  if (route !== null) return ruledPathReply(head, context, route);
  const path = normalizePath(head.path, { dotfiles: context.root.dotfiles, windows: IS_WINDOWS });
  if (path.kind === "bad") {
    return errorPage(context, 400, { method, detail: `${path.reason}.` });
  }
  if (path.kind === "hidden") return errorPage(context, 404, { method });
  return pathReply(head, path, context);
}

/**
 * The path stage with rules: a malformed path is the same 400 as without them; then the first
 * matching redirect; then the first matching rewrite, once, whose target is normalised like a
 * request's path (above the root → 400, a dotfile → 404 unless `--dotfiles allow`).
 */
function ruledPathReply(
  head: RequestHead,
  context: AnswerContext,
  { seen, redirect, rewritten }: Route,
): Reply | Promise<Reply> {
  const { method } = head;
  if (seen.kind === "bad") return errorPage(context, 400, { method, detail: `${seen.reason}.` });
  if (redirect !== null) {
    return redirectReply(withQuery(redirect.location, head.query), method, redirect.status);
  }
  const path = normalizePath(rewritten ?? head.path, {
    dotfiles: context.root.dotfiles,
    windows: IS_WINDOWS,
  });
  if (path.kind === "bad") return errorPage(context, 400, { method, detail: `${path.reason}.` });
  if (path.kind === "hidden") return errorPage(context, 404, { method });
  return pathReply(head, path, context);
}

/** A normalised path: the hot-file cache, else the resolver. */
function pathReply(
  head: RequestHead,
  path: NormalizedPath,
  context: AnswerContext,
): Reply | Promise<Reply> {
  const key = path.segments.join("/") + (path.directory ? "/" : "");
  // With clean URLs a page's `.html` address may move, which the cold path decides.
  const cached = context.cleanUrls && cleanRedirect(path, null) !== null
    ? null
    : context.cache.lookup(key);
  const metrics = context.metrics ?? null;
  if (metrics !== null) {
    if (cached === null) metrics.counters.cacheMisses++;
    else metrics.counters.cacheHits++;
  }
  if (cached !== null) {
    const coding = context.coding ?? null;
    // Neither --compress nor --precompressed: the hot path stays exactly as it was.
    if (coding === null) return representationReply(cached, head, context.fileOptions);
    const sidecars = coding.precompressed ? context.cache.sidecars(key) : NO_SIDECARS;
    // A path whose sidecars were never looked for takes the full path once.
    if (sidecars !== null) return codedReply(head, { identity: cached, sidecars }, context, coding);
  }
  return resolveAndReply(head, path, key, context);
}

/**
 * Answers the metrics path (`--metrics`) before credentials and the resolver: to loopback peers
 * and trusted proxies (a scraper needs no password, as with most servers), for GET and HEAD.
 * Anyone else, and other methods, get what the path gets without `--metrics` (usually the same
 * 404 as any missing file). The response is not counted, so scrapes never change the counts.
 *
 * @returns The reply, or null to go on as if the path were any other.
 */
function metricsReply(
  head: RequestHead,
  info: ConnectionInfo,
  metrics: MetricsEndpoint,
): Promise<Reply> | null {
  if (head.method !== "GET" && head.method !== "HEAD") return null;
  if (!metrics.allowed(info.client.ip)) return null;
  return metrics.exposition().then((text) => {
    const reply = bytesReply(
      200,
      new TextEncoder().encode(text),
      METRICS_CONTENT_TYPE,
      head.method,
      {
        headers: [["Cache-Control", "no-store"]],
      },
    );
    return { ...reply, uncounted: true };
  });
}

/**
 * Whether a request is a CORS preflight (Fetch standard: OPTIONS with Origin and
 * Access-Control-Request-Method). Browsers never send credentials on one, so with `--cors` it is
 * answered without them, or no cross-origin page could ever send its credentials.
 */
function isPreflight(head: RequestHead): boolean {
  return head.method === "OPTIONS" && head.headers.has("origin") &&
    head.headers.has("access-control-request-method");
}

/**
 * Answers a request the gate did not let in: 401 with the challenge (RFC 9110 §15.5.2, through
 * the funnel, so a site's own `401.html` is its body), or 503 when too many passwords are being
 * checked.
 */
function refuseCredentials(
  verdict: "denied" | "busy",
  head: RequestHead,
  auth: AuthCheck,
  context: AnswerContext,
): Promise<Reply> {
  const { method } = head;
  if (verdict === "busy") {
    return errorPage(context, 503, {
      method,
      detail: "The server is busy checking passwords; try again in a moment.",
      headers: [["Retry-After", String(BUSY_RETRY_AFTER_S)]],
    });
  }
  return errorPage(context, 401, { method, headers: [["WWW-Authenticate", auth.challenge]] });
}

/** What a path offers: its file as stored and its fresh sidecars. */
interface Offer {
  readonly identity: Representation;
  readonly sidecars: ReadonlyMap<ContentCoding, Representation>;
}

/** No precompressed forms (`--compress` alone). */
const NO_SIDECARS: ReadonlyMap<ContentCoding, Representation> = new Map();

/**
 * Answers with the representation the request gets (RFC 9110 §12.5.3): identity, a fresh
 * sidecar, or the identity bytes compressed on the fly (once per file version, kept by the
 * cache); 406 when none is acceptable. Preconditions and ranges then apply to that one, so an
 * ETag of another coding never matches. Open files not chosen are closed. The SPA shell is
 * answered with its own fields and wire caches (`shell`).
 */
function codedReply(
  head: RequestHead,
  { identity, sidecars }: Offer,
  context: AnswerContext,
  coding: CodingSettings,
  shell: ShellSettings | null = null,
): Reply | Promise<Reply> {
  const codings = sidecars.size === 0 ? NO_CODINGS : [...sidecars.keys()];
  const choice = chooseCoding(identity, codings, head, coding.compress);
  const options = choice.vary
    ? (shell?.varyOptions ?? coding.varyOptions)
    : (shell?.options ?? context.fileOptions);
  let chosen: Representation | null | Promise<Representation> = identity;
  if (choice.coding === null) chosen = null;
  else if (choice.from === "sidecar") chosen = sidecars.get(choice.coding as ContentCoding)!;
  else if (choice.from === "compress") {
    const wanted = choice.coding as ContentCoding;
    // Too many compressions running: identity when the client takes it, else wait for one.
    chosen = context.cache.encode(identity, wanted) ??
      (negotiateCoding(head.headers.get("accept-encoding"), NO_CODINGS) === "identity"
        ? identity
        : context.cache.encode(identity, wanted, true)!);
  }
  if (identity !== chosen && identity.source.kind === "file") identity.source.file.close();
  for (const rep of sidecars.values()) {
    if (rep !== chosen && rep.source.kind === "file") rep.source.file.close();
  }
  if (chosen === null) {
    return errorPage(context, 406, { method: head.method, headers: [VARY_ACCEPT_ENCODING] });
  }
  if (chosen instanceof Promise) {
    return chosen.then((rep) => representationReply(shell?.wrap(rep) ?? rep, head, options));
  }
  return representationReply(shell?.wrap(chosen) ?? chosen, head, options);
}

/** No codings. */
const NO_CODINGS: readonly ContentCoding[] = [];

/**
 * The cold path: resolve the path on disk, then open, list or redirect. With `--clean-urls` a
 * page's `.html` address moves to its clean URL, and a path that names nothing tries its `.html`
 * page; with `--spa` a route that still names nothing gets the shell. Folders, refusals (403,
 * 503) and paths that look like assets keep their answer.
 */
async function resolveAndReply(
  head: RequestHead,
  path: NormalizedPath,
  key: string,
  context: AnswerContext,
): Promise<Reply> {
  const { method } = head;
  const resolution = await resolvePath(context.root, path, head.query);
  switch (resolution.kind) {
    case "file": {
      if (context.cleanUrls) {
        const moved = await cleanLocation(context, path, head.query);
        if (moved !== null) return redirectReply(moved, method);
      }
      return await fileReply(head, await offerAt(context, path, key, resolution), context);
    }
    case "directory":
      if (!context.listing) return await errorPage(context, 404, { method });
      return await listingReply(context, resolution.path, path.segments, head);
    case "redirect":
      return redirectReply(resolution.location, method);
    case "not-found":
      return await notFoundReply(head, path, context);
    default:
      return await refuse(context, resolution, method);
  }
}

/**
 * Where a page served by its `.html` name moves with `--clean-urls`, or null: a folder's
 * `index.html` to the folder, `/about.html` to `/about` only when `/about` names nothing (a file
 * or folder there wins, and the page keeps its `.html` address, so no redirect ever loops).
 */
async function cleanLocation(
  context: AnswerContext,
  path: NormalizedPath,
  query: string | null,
): Promise<string | null> {
  const clean = cleanRedirect(path, query);
  if (clean === null) return null;
  if (clean.unless === null) return clean.location;
  const there = await resolvePath(context.root, clean.unless);
  return there.kind === "not-found" ? clean.location : null;
}

/** A path the resolver could not find: its `.html` page, the SPA shell, or 404. */
async function notFoundReply(
  head: RequestHead,
  path: NormalizedPath,
  context: AnswerContext,
): Promise<Reply> {
  const { method } = head;
  const page = context.cleanUrls ? htmlSibling(path) : null;
  if (page !== null) {
    // Served exactly as a request for the page itself is, under the page's own cache key.
    const offer = await offerAt(context, page, page.segments.join("/"));
    if (!("kind" in offer)) {
      if (isIndexName(path)) {
        closeOffer(offer);
        return redirectReply(encodePath(path.segments.slice(0, -1), true) + search(head), method);
      }
      return await fileReply(head, offer, context);
    }
    if (offer.kind === "busy") return await refuse(context, offer, method);
  }
  const shell = context.spa ?? null;
  if (shell === null || !isSpaRoute(path)) return await errorPage(context, 404, { method });
  // Resolved, opened, proven and cached as a request for FILE would be; a refusal of FILE
  // (missing, outside the root) is what this request gets.
  const offer = await offerAt(context, shell.path, shell.key);
  if ("kind" in offer) return await refuse(context, offer, method);
  return await fileReply(head, offer, context, shell);
}

/** The query part of a redirect: `?query`, or nothing. */
function search(head: RequestHead): string {
  return head.query === null ? "" : `?${head.query}`;
}

/** Closes the open files of an offer that is not answered with. */
function closeOffer({ identity, sidecars }: Offer): void {
  for (const rep of [identity, ...sidecars.values()]) {
    if (rep.source.kind === "file") rep.source.file.close();
  }
}

/**
 * What a path that names a file offers: from the hot-file cache, else resolved (unless the
 * caller already did), opened, proven inside the root, admitted to the cache under `key`, and
 * with `--precompressed` its sidecars looked for.
 *
 * @returns The offer, or why the file is not served.
 */
async function offerAt(
  context: AnswerContext,
  path: NormalizedPath,
  key: string,
  resolved?: Resolution,
): Promise<Offer | Refusal> {
  const coding = context.coding ?? null;
  if (resolved === undefined) {
    const cached = context.cache.lookup(key);
    if (cached !== null) {
      const sidecars = coding?.precompressed ? context.cache.sidecars(key) : NO_SIDECARS;
      if (sidecars !== null) return { identity: cached, sidecars };
    }
  }
  const resolution = resolved ?? await resolvePath(context.root, path);
  if (resolution.kind !== "file") {
    return resolution.kind === "busy" || resolution.kind === "forbidden" ? resolution : NOT_FOUND;
  }
  const opened = await openInside(context.root, resolution.path, context);
  if (opened.kind !== "open") return opened;
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
  if (representation === null) return NOT_FOUND;
  if (coding === null || !coding.precompressed) {
    return { identity: representation, sidecars: NO_SIDECARS };
  }
  const original = { realPath: resolution.path, stat, identity: representation };
  return { identity: representation, sidecars: await findSidecars(context, path, key, original) };
}

/** A file that is not served. */
const NOT_FOUND: Refusal = { kind: "not-found" };

/** Answers with a file's offer, or its refusal; the SPA shell with its own fields. */
async function fileReply(
  head: RequestHead,
  offer: Offer | Refusal,
  context: AnswerContext,
  shell: ShellSettings | null = null,
): Promise<Reply> {
  if ("kind" in offer) return await refuse(context, offer, head.method);
  const coding = context.coding ?? null;
  if (coding !== null) return await codedReply(head, offer, context, coding, shell);
  if (shell === null) return representationReply(offer.identity, head, context.fileOptions);
  return representationReply(shell.wrap(offer.identity), head, shell.options);
}

/** A file as the resolver found it, the opener proved it and the cache admitted it. */
interface Original {
  readonly realPath: string;
  readonly stat: FileStat;
  readonly identity: Representation;
}

/**
 * Looks for the precompressed forms of a file (`--precompressed`): `FILE.br`, `FILE.zst` and
 * `FILE.gz` beside the name the URL uses (`index.html.br` for a folder's index). Each is
 * resolved, opened and proven inside the root like any file served, and must not be older than
 * the file; the cache then remembers what was found, and what stood at every name before the
 * search, so each later hit re-checks them all.
 *
 * @returns The fresh sidecars by coding (open files for large ones: the caller closes those).
 */
async function findSidecars(
  context: AnswerContext,
  path: NormalizedPath,
  key: string,
  original: Original,
): Promise<Map<ContentCoding, Representation>> {
  const base = path.directory ? [...path.segments, "index.html"] : path.segments;
  const served: ServedSidecar[] = [];
  const watched: PathWatch[] = [];
  await Promise.all(CONTENT_CODINGS.map(async (coding) => {
    const segments = [...base.slice(0, -1), base[base.length - 1] + SIDECAR_EXTENSIONS[coding]];
    // What stands there now, before the search: a change during it shows on the next hit.
    const before = watchPath(joinInside(context.root.realPath, segments));
    const found = await openSidecar(context, { kind: "path", segments, directory: false }, {
      original,
      coding,
    }).catch(() => null); // an unreadable sidecar is no reason to fail the file itself
    if (found === null) watched.push(before);
    else served.push(found);
  }));
  context.cache.attachSidecars(key, original.identity, served, watched);
  return new Map(served.map((s) => [s.coding, s.representation]));
}

/** Resolves, opens, proves, checks and reads one sidecar; null when it is not to be served. */
async function openSidecar(
  context: AnswerContext,
  path: NormalizedPath,
  { original, coding }: { readonly original: Original; readonly coding: ContentCoding },
): Promise<ServedSidecar | null> {
  const resolution = await resolvePath(context.root, path);
  if (resolution.kind !== "file") return null;
  const opened = await openInside(context.root, resolution.path, context);
  if (opened.kind !== "open") return null;
  const { stat } = opened.file;
  if (!isFreshSidecar(original.stat, stat)) {
    opened.file.close();
    context.coding?.warnStale(resolution.path);
    return null;
  }
  const representation = await context.cache.readSidecar(
    original.realPath,
    opened.file,
    coding,
    context.confinement === "identity"
      ? () => stillInside(context.root, resolution.path, stat)
      : undefined,
  );
  if (representation === null) return null;
  return {
    coding,
    candidate: resolution.candidate,
    realPath: resolution.path,
    stat,
    representation,
  };
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

/**
 * Builds the HTML or JSON listing of a directory (RFC 9110 §12.5.1: Vary on Accept), in the
 * order the query asks for (`?sort=size&order=desc`; anything unknown lists by name).
 */
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
  const order = parseListingOrder(head.query);
  const body = json
    ? formatListingJson(result.listing, order)
    : formatListingHtml(result.listing, order);
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
