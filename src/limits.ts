/**
 * Every size, count and time limit sockserve enforces, each with the reason it exists and what
 * happens when it is reached (→ status, or the behaviour). Changing a limit here changes it
 * everywhere; tests import these names. Grouped by the stage that enforces them.
 *
 * @module
 */

// ── Request heads (src/http/request.ts, fields.ts) ──────────────────────────────────────────

/** Longest request line accepted: real URLs stay far below this (nginx allows 8 KiB) → 414. */
export const MAX_REQUEST_LINE_BYTES = 8 * 1024;

/** Largest header section (after the request line): browsers send < 2 KiB → 431. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** Most header fields in one request: browsers send ~15, so 100 is generous → 431. */
export const MAX_HEADER_FIELDS = 100;

/** Empty lines tolerated before a request line (RFC 9112 §2.2); more is garbage → 400. */
export const MAX_LEADING_EMPTY_LINES = 4;

/** Most digits in a Content-Length: 15 digits exceed any body we accept without overflow → 400. */
export const MAX_CONTENT_LENGTH_DIGITS = 15;

// ── Request bodies (src/http/chunked.ts, src/server/connection.ts) ─────────────────────────

/** Largest request body read and discarded: a file server takes no uploads → 413 and close. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Longest chunk-size line including extensions: a hex size needs ~16 bytes → 400. */
export const MAX_CHUNK_LINE_BYTES = 4 * 1024;

/** Most hex digits in a chunk size: 13 digits already exceed 2^52, the largest safe size → 413. */
export const MAX_CHUNK_SIZE_DIGITS = 13;

/** Largest trailer section of a chunked body, counted like a header section → 431. */
export const MAX_TRAILER_BYTES = 4 * 1024;

// ── Ranges (src/http/range.ts) ───────────────────────────────────────────────────────────────

/** Most ranges honoured in one request: browsers and download tools ask for one or two → 200. */
export const MAX_RANGES = 16;

// ── Connections and their deadlines (src/server/serve.ts, connection.ts, deadlines.ts) ────────

/** Default seconds to receive a complete request head before a 408 and close. */
export const DEFAULT_HEADER_TIMEOUT_S = 10;

/** Default seconds a keep-alive connection may sit idle between requests → close. */
export const DEFAULT_IDLE_TIMEOUT_S = 10;

/** Longest timeout accepted on the command line, in seconds: a day; longer is a typo → exit 2. */
export const MAX_TIMEOUT_S = 86_400;

/** Slowest a client may read a response on average (bytes per second) → close. */
export const MIN_SEND_BYTES_PER_S = 1024;

/** Milliseconds between deadline sweeps: the precision of every timeout. */
export const SWEEP_INTERVAL_MS = 250;

/** Pause after a failed accept (e.g. out of file descriptors) so the loop does not spin. */
export const ACCEPT_RETRY_MS = 100;

/** Descriptors kept free of connections for open files, logs and the runtime itself. */
export const FD_RESERVE = 128;

/** Connection cap when the open-file limit cannot be read → later clients wait in the queue. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;

/** Highest --max-connections accepted: far beyond what one process's descriptors allow → exit 2. */
export const MAX_CONNECTIONS_LIMIT = 1_000_000;

/** First read buffer per connection: wrk and curl heads fit; 10k idle sockets stay small. */
export const INITIAL_READ_BUFFER_BYTES = 512;

/** Largest read buffer kept between requests: a browser's ~1.5 KiB head fits in one read. */
export const KEPT_READ_BUFFER_BYTES = 4 * 1024;

/** The largest a read buffer grows: a maximal request line and header section, plus slack. */
export const MAX_READ_BUFFER_BYTES = MAX_REQUEST_LINE_BYTES + MAX_HEADER_BYTES + 1024;

// ── Stopping (src/server/serve.ts, workers.ts) ───────────────────────────────────────────────

/** Seconds in-flight responses get to finish after a stop signal → remaining sockets cut. */
export const SHUTDOWN_GRACE_S = 5;

/** Seconds stop waits for stuck work (a hung disk) after cutting sockets, before it exits anyway. */
export const STUCK_WORK_GRACE_S = 2;

/** Extra milliseconds a worker gets beyond the shutdown grace → it is terminated. */
export const WORKER_STOP_SLACK_MS = 1000;

/** Most isolates `--workers` starts: past the core count they only add memory → exit 2. */
export const MAX_WORKERS = 64;

// ── Files and bodies (src/server/body_writer.ts, cache.ts, error_pages.ts, listing.ts) ───────

/** Chunk size for streaming file bodies: large enough for throughput, small enough for memory. */
export const FILE_CHUNK_BYTES = 256 * 1024;

/** Bytes of file-streaming buffers all responses may hold at once → later ones get small ones. */
export const MAX_STREAM_BUFFER_BYTES = 16 * 1024 * 1024;

/** The buffer a streamed response gets when the shared budget is spent: slow clients stay cheap. */
export const MIN_STREAM_CHUNK_BYTES = 16 * 1024;

/** Files up to this size are sent with their head in one write (one syscall, one packet train). */
export const SINGLE_WRITE_MAX_BYTES = 64 * 1024;

/** Largest file kept in the hot-file cache: pages, scripts, images → larger ones are streamed. */
export const MAX_CACHED_FILE_BYTES = 1024 * 1024;

/** Most bytes the hot-file cache holds in all → least recently used paths leave first. */
export const MAX_CACHE_BYTES = 32 * 1024 * 1024;

/** Most request paths the hot-file cache remembers: links like `debian -> .` make paths endless. */
export const MAX_CACHE_PATHS = 8 * 1024;

/** Bytes charged per cached path and per cached file besides its content (keys, records, heads). */
export const CACHE_ENTRY_OVERHEAD_BYTES = 1024;

/**
 * How long after its last change a file's times vouch for its bytes: Deno reads them to the
 * millisecond, FAT keeps two seconds, and the kernel stamps with a clock up to a tick late, so a
 * file changed more recently can change again, same size, under the same stamp → until then the
 * hot-file cache compares its copy with the file byte for byte when revalidating.
 */
export const FILE_TIMES_SETTLE_MS = 2_100;

/** Largest custom error page (404.html, …) used → a bigger one is ignored for the built-in. */
export const MAX_ERROR_PAGE_BYTES = 64 * 1024;

/** Most entries shown in a directory listing: bounds the stats and the page size → truncated. */
export const MAX_LISTING_ENTRIES = 5000;

/** Most names read from one directory for a listing: bounds memory and time → truncated. */
export const MAX_LISTING_SCAN_ENTRIES = 200_000;

/** Directory listings read at once per isolate: a huge folder takes seconds → 503. */
export const MAX_CONCURRENT_LISTINGS = 2;

/** Seconds a 503 (out of descriptors, too many listings) asks the client to wait. */
export const BUSY_RETRY_AFTER_S = 1;

// ── Compression (src/http/content_coding.ts, src/server/representation.ts, cache.ts) ────────

/** Smallest body compressed on the fly: below it a coding saves a few dozen bytes at most. */
export const MIN_COMPRESS_BYTES = 512;

/**
 * Largest body compressed on the fly: it is compressed whole in memory, so the response has a
 * Content-Length (HTTP/1.0 clients work), and kept in the hot-file cache beside the identity
 * bytes; the cache's own file limit → larger (streamed) files are sent identity.
 */
export const MAX_COMPRESS_BYTES = MAX_CACHED_FILE_BYTES;

/**
 * Compressions running at once per isolate: each takes a thread of the runtime's pool and holds
 * its input and output → past it, a request that accepts identity gets identity.
 */
export const MAX_CONCURRENT_COMPRESSIONS = 4;

/** Brotli quality on the fly (0-11): 5 gets most of 11's ratio at a small part of its CPU cost. */
export const BROTLI_QUALITY = 5;

/** Zstandard level on the fly (1-19): 3 is zstd's own default, as fast as gzip and smaller. */
export const ZSTD_LEVEL = 3;

/** gzip (deflate) level on the fly (1-9): 6 is zlib's own default balance of size and speed. */
export const GZIP_LEVEL = 6;

/**
 * Input compressed per turn of the event loop: Deno's node:zlib runs on the JavaScript thread, and
 * a 64 KiB slice costs it ~15 ms at brotli 5 → other connections wait at most that long.
 */
export const COMPRESS_SLICE_BYTES = 64 * 1024;

/** Distinct Accept-Encoding values kept parsed (browsers send a handful; past this, start over). */
export const MAX_REMEMBERED_ACCEPT_ENCODINGS = 64;

/** Stale precompressed files reported on stderr, each once → later ones are ignored silently. */
export const MAX_STALE_SIDECAR_WARNINGS = 100;

// ── Rules (src/server/rules.ts, src/http/field_edits.ts) ─────────────────────────────────────

/** Most rules of each kind (headers, redirects, rewrites): each is tried on new paths → exit 2. */
export const MAX_RULES = 1000;

/** Request paths whose rule outcome each isolate remembers: hot paths skip matching → oldest go. */
export const MAX_RULE_ROUTES = 4096;

/** Longest request path whose rule outcome is remembered: longer ones are matched every time. */
export const MAX_RULE_ROUTE_PATH_CHARS = 512;

/** Longest value a header rule may set: many clients refuse response heads past 8 KiB → exit 2. */
export const MAX_RULE_FIELD_VALUE_BYTES = 8 * 1024;

// ── HTTPS (src/server/tls.ts, listeners.ts, src/cli/cert_watch.ts, cert.ts) ─────────────────────

/** Largest certificate or key file read: a chain of a few certificates is < 20 KiB → exit 2. */
export const MAX_TLS_FILE_BYTES = 1024 * 1024;

/** Milliseconds between checks of the certificate files for a change (certbot renews in place). */
export const TLS_RELOAD_POLL_MS = 5000;

/** Milliseconds between tries to listen again on an address just closed for a new certificate. */
export const REBIND_RETRY_MS = 5;

/** Tries to listen again on a just-closed address (a second at most): then it is someone else's. */
export const REBIND_ATTEMPTS = 200;

/** Milliseconds abandoned TLS sockets wait to be freed together (one /proc scan per batch). */
export const REAP_BATCH_MS = 100;

/** Days before expiry from which sockserve warns, at start-up and then daily. */
export const TLS_EXPIRY_WARNING_DAYS = 7;

/** Milliseconds between expiry checks while serving: once a day. */
export const TLS_EXPIRY_CHECK_INTERVAL_MS = 24 * 60 * 60 * 1000;

/** `--hsts` without a value: one year, what hstspreload.org and Caddy's examples use. */
export const DEFAULT_HSTS_MAX_AGE_S = 31_536_000;

/** Largest `--hsts` accepted: two years; more is a typo → exit 2. */
export const MAX_HSTS_MAX_AGE_S = 2 * 31_536_000;

/** Days a `sockserve cert` leaf is valid: under the 398 days browsers accept for a leaf. */
export const DEV_LEAF_VALID_DAYS = 397;

/** Days the `sockserve cert` development CA is valid: trusted once, for years. */
export const DEV_CA_VALID_DAYS = 10 * 365;

// ── Settings (src/cli/config.ts, startup.ts) ─────────────────────────────────────────────────

/** Largest config file read: a long rule list is a few KiB; more is not a config file → exit 2. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

// ── Authentication (src/server/auth.ts, src/cli/htpasswd.ts, hash_password.ts) ─────────────

/** bcrypt cost of `sockserve hash-password`: OWASP's minimum; pure-JS bcrypt takes ~0.1 s at it. */
export const BCRYPT_COST = 10;

/** Lowest bcrypt cost accepted: bcrypt's own minimum (`htpasswd -B` defaults to 5) → exit 2. */
export const MIN_BCRYPT_COST = 4;

/** Highest bcrypt cost accepted: each step doubles the time; 14 is ~2 s in pure JS → exit 2. */
export const MAX_BCRYPT_COST = 14;

/**
 * Distinct password checks (bcrypt) running at once per isolate: each holds the event loop for
 * slices of up to 100 ms, so a flood of wrong passwords must not take all of it → 503.
 */
export const MAX_CONCURRENT_PASSWORD_CHECKS = 4;

/** Successful checks remembered per isolate (one per user): later requests skip bcrypt. */
export const MAX_REMEMBERED_LOGINS = 1024;

/** Largest `--auth-file` read: a line per user is ~70 bytes, so 1 MiB is ~15,000 users → exit 2. */
export const MAX_AUTH_FILE_BYTES = 1024 * 1024;

/** Longest password `hash-password` takes: bcrypt ignores bytes past 72 → exit 2. */
export const MAX_PASSWORD_BYTES = 72;

// ── Logs (src/log/) ──────────────────────────────────────────────────────────────────────────

/** Milliseconds between log flushes: rows reach disk quickly without a write per response. */
export const LOG_FLUSH_INTERVAL_MS = 200;

/**
 * Pending log bytes that trigger an immediate flush, i.e. the size of a worker's batches: each
 * batch wakes the writer's isolate (~85 µs of CPU: at 32 KiB, ~9 % of a 1 KiB request's cost),
 * and pending entries are bytes outside V8's heap, so a big batch leaves no garbage behind.
 */
export const LOG_FLUSH_THRESHOLD_BYTES = 256 * 1024;

/**
 * Log bytes the writer gathers before it appends them to the files (or LOG_FLUSH_INTERVAL_MS):
 * every append opens the files by name, so a busy server's logs take a few appends a second.
 */
export const LOG_WRITE_THRESHOLD_BYTES = 256 * 1024;

/** Pending log bytes kept while the log dir is unwritable or hung → later batches are dropped. */
export const MAX_PENDING_LOG_BYTES = 8 * 1024 * 1024;

/**
 * Log bytes waiting for a working but slower disk that pause reading new requests until the
 * writer catches up (nginx blocks on its log writes): entries are neither dropped nor piled up.
 */
export const LOG_BACKLOG_PAUSE_BYTES = MAX_PENDING_LOG_BYTES / 2;

/** Log bytes waiting below which paused connections go on: about four appends' worth. */
export const LOG_BACKLOG_RESUME_BYTES = 1024 * 1024;

/**
 * Milliseconds a paused server waits for its log writes to make any progress before it calls
 * the disk hung: then it serves on, and drops entries past MAX_PENDING_LOG_BYTES.
 */
export const LOG_STALL_MS = 3000;

/** Flush intervals to wait before retrying a log dir that failed (a full or missing disk). */
export const LOG_RETRY_INTERVALS = 10;

/** Longest request-line excerpt written to the logs for a request that could not be parsed. */
export const MAX_LOGGED_LINE_CHARS = 200;

/** Smallest --log-max-size: below a few rows per file, rotation would rename files endlessly → exit 2. */
export const MIN_LOG_MAX_SIZE_BYTES = 4 * 1024;

/** Largest --log-max-size (1 TiB): beyond it a size cap means nothing → exit 2. */
export const MAX_LOG_MAX_SIZE_BYTES = 1024 ** 4;

/** Rotated files kept per log by default (FILE.1 … FILE.5), as logrotate's examples keep. */
export const DEFAULT_LOG_KEEP = 5;

/** Most rotated files kept per log: each rotation renames them all → exit 2 above it. */
export const MAX_LOG_KEEP = 1000;

/**
 * Console text held while the console is not being read, in characters (an access line with a
 * long target is 8 KiB, so a count of lines would bound nothing) → more lines are dropped and
 * counted. With `--access-log -`, a slow stdout holds requests back first, as a slow disk does.
 */
export const MAX_PENDING_CONSOLE_CHARS = MAX_PENDING_LOG_BYTES;

/** Milliseconds closing waits for a console that is not being read, so exit never hangs. */
export const CONSOLE_CLOSE_WAIT_MS = 1000;

// ── Reverse proxies and metrics (src/http/forwarded.ts, src/server/metrics.ts) ──────────────

/** Hops of a forwarding list walked from the right: real chains have 1–3 → past it, the peer. */
export const MAX_FORWARDED_HOPS = 32;

/** `--trusted-proxy` ranges: a handful of proxies or networks is normal → exit 2 beyond. */
export const MAX_TRUSTED_PROXIES = 64;

/** Bytes read to find SocketOutput.csv's header row at startup (it is about 190). */
export const CSV_HEADER_PEEK_BYTES = 1024;

/**
 * Milliseconds a scrape waits for a worker's counts: a stuck worker's last known counts are
 * used instead, so a scrape always answers.
 */
export const METRICS_ASK_TIMEOUT_MS = 1000;

// ── Memory (src/cli/v8_flags.ts, scripts/compile.ts) ─────────────────────────────────────────

/**
 * V8 semi-space of every isolate, in MiB (its young generation is three of them): V8's default
 * of 16 lets a busy server grow by ~45 MB for a throughput gain we could not measure.
 */
export const YOUNG_GENERATION_SEMI_SPACE_MB = 2;

// ── The client (src/client/) ──────────────────────────────────────────────────────────────────

/** Default seconds `get` waits for progress (connecting, or any byte of the response) → exit 2. */
export const DEFAULT_GET_TIMEOUT_S = 30;

/** Most requests `get --keep` sends: a keep-alive check, not a load generator → exit 2. */
export const MAX_KEEP_REQUESTS = 1000;

/** The client's read buffer: a whole response head, or a large slice of a body, per read. */
export const CLIENT_READ_BUFFER_BYTES = 64 * 1024;

/** Milliseconds between progress bar updates: smooth to the eye, cheap for the terminal. */
export const PROGRESS_INTERVAL_MS = 100;

/** Body bytes looked at to decide whether a response is text (NUL bytes mean binary). */
export const SNIFF_BYTES = 8 * 1024;

/** Redirects `get -L` follows for one command: ends loops and endless chains → exit 2. */
export const MAX_REDIRECTS = 10;
