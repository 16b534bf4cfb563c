/**
 * Metrics (`--metrics PATH`): what each isolate counts, as a plain snapshot that can be posted
 * between isolates and summed, and its Prometheus text exposition (version 0.0.4).
 *
 * Every serving isolate counts its own responses in a {@linkcode Metrics}. With `--workers N` (or
 * supervised) a scrape is answered by whichever worker took it: it asks the main isolate for the
 * rest, the main isolate asks every other worker for its snapshot now (waiting at most
 * `METRICS_ASK_TIMEOUT_MS`, then using the last one it got) and adds its log figures, and the
 * worker adds its own live counts. Every part is taken after the scrape began, so counters never
 * go backwards between scrapes, whichever isolate answers; nothing is sent between scrapes.
 *
 * @module
 */

/** Upper bounds (seconds) of the request-duration histogram buckets; `+Inf` follows. */
export const DURATION_BUCKETS_S: readonly number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** Everything counted, as plain data (structured-cloneable; summed across isolates). */
export interface MetricsSnapshot {
  /** Responses by `"<class> <method>"`, e.g. `"2xx GET"`; unregistered methods are `other`. */
  readonly requests: Readonly<Record<string, number>>;
  /** Bytes written to clients, heads and bodies. */
  readonly sentBytes: number;
  /** Responses per duration bucket (not cumulative), one more than the bounds (for `+Inf`). */
  readonly durationBuckets: readonly number[];
  /** Seconds of all responses together. */
  readonly durationSum: number;
  /** Connections open now. */
  readonly openConnections: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  /** Bytes the hot-file caches hold now. */
  readonly cacheBytes: number;
  /** Log bytes waiting for the disk now. */
  readonly logQueueBytes: number;
  /** Times requests were held back because the log files were behind the disk. */
  readonly logWaits: number;
  /** Seconds requests were held back for the log files, all waits together. */
  readonly logWaitSeconds: number;
  /** Console lines dropped because the console was not being read. */
  readonly consoleDroppedLines: number;
  /** TLS handshakes completed and failed; null without HTTPS. */
  readonly tls: { readonly handshakes: number; readonly failures: number } | null;
}

/** Nothing counted. */
export const EMPTY_SNAPSHOT: MetricsSnapshot = {
  requests: {},
  sentBytes: 0,
  durationBuckets: new Array(DURATION_BUCKETS_S.length + 1).fill(0),
  durationSum: 0,
  openConnections: 0,
  cacheHits: 0,
  cacheMisses: 0,
  cacheBytes: 0,
  logQueueBytes: 0,
  logWaits: 0,
  logWaitSeconds: 0,
  consoleDroppedLines: 0,
  tls: null,
};

/**
 * Sums snapshots: counters and gauges alike (each isolate's open connections, cache bytes and
 * log queue are its own part of the server's).
 *
 * @param snapshots Any number of snapshots.
 * @returns Their sum.
 */
export function mergeSnapshots(...snapshots: readonly MetricsSnapshot[]): MetricsSnapshot {
  const requests: Record<string, number> = {};
  const buckets = [...EMPTY_SNAPSHOT.durationBuckets];
  let tls: { handshakes: number; failures: number } | null = null;
  const sum = (pick: (s: MetricsSnapshot) => number) =>
    snapshots.reduce((total, s) => total + pick(s), 0);
  for (const snapshot of snapshots) {
    for (const [key, n] of Object.entries(snapshot.requests)) {
      requests[key] = (requests[key] ?? 0) + n;
    }
    snapshot.durationBuckets.forEach((n, i) => buckets[i] += n);
    if (snapshot.tls !== null) {
      tls ??= { handshakes: 0, failures: 0 };
      tls.handshakes += snapshot.tls.handshakes;
      tls.failures += snapshot.tls.failures;
    }
  }
  return {
    requests,
    sentBytes: sum((s) => s.sentBytes),
    durationBuckets: buckets,
    durationSum: sum((s) => s.durationSum),
    openConnections: sum((s) => s.openConnections),
    cacheHits: sum((s) => s.cacheHits),
    cacheMisses: sum((s) => s.cacheMisses),
    cacheBytes: sum((s) => s.cacheBytes),
    logQueueBytes: sum((s) => s.logQueueBytes),
    logWaits: sum((s) => s.logWaits),
    logWaitSeconds: sum((s) => s.logWaitSeconds),
    consoleDroppedLines: sum((s) => s.consoleDroppedLines),
    tls,
  };
}

/** One metric family of the exposition. */
interface Family {
  readonly name: string;
  readonly type: "counter" | "gauge" | "histogram";
  readonly help: string;
  readonly samples: readonly string[];
}

/**
 * Formats a snapshot in the Prometheus text format: `# HELP` and `# TYPE` for every family,
 * `_total` counters, base units (bytes, seconds), cumulative histogram buckets with `le`.
 *
 * @param s The snapshot (usually merged).
 * @returns The text, ending with a line break.
 */
export function formatMetrics(s: MetricsSnapshot): string {
  const requestSamples = Object.entries(s.requests)
    .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([key, n]) => {
      const [statusClass, method] = key.split(" ");
      return `sockserve_requests_total{code="${statusClass}",method="${method}"} ${n}`;
    });
  let cumulative = 0;
  const bucketSamples = s.durationBuckets.map((n, i) => {
    cumulative += n;
    const le = i < DURATION_BUCKETS_S.length ? String(DURATION_BUCKETS_S[i]) : "+Inf";
    return `sockserve_request_duration_seconds_bucket{le="${le}"} ${cumulative}`;
  });
  const families: Family[] = [
    {
      name: "sockserve_requests_total",
      type: "counter",
      help: "Responses sent, by status class and method (the metrics responses not counted).",
      samples: requestSamples,
    },
    {
      name: "sockserve_sent_bytes_total",
      type: "counter",
      help: "Bytes written to clients, response heads and bodies.",
      samples: [`sockserve_sent_bytes_total ${s.sentBytes}`],
    },
    {
      name: "sockserve_request_duration_seconds",
      type: "histogram",
      help: "Seconds from a complete request head to the last byte of its response.",
      samples: [
        ...bucketSamples,
        `sockserve_request_duration_seconds_sum ${s.durationSum}`,
        `sockserve_request_duration_seconds_count ${cumulative}`,
      ],
    },
    gauge("sockserve_open_connections", "Client connections open now.", s.openConnections),
    counter(
      "sockserve_cache_hits_total",
      "Hot-file cache lookups that found the file.",
      s.cacheHits,
    ),
    counter(
      "sockserve_cache_misses_total",
      "Hot-file cache lookups that did not.",
      s.cacheMisses,
    ),
    gauge("sockserve_cache_bytes", "Bytes the hot-file caches hold now.", s.cacheBytes),
    gauge(
      "sockserve_log_queue_bytes",
      "Log bytes waiting to be written to the log dir.",
      s.logQueueBytes,
    ),
    counter(
      "sockserve_log_waits_total",
      "Times requests were held back because the log files were behind the disk.",
      s.logWaits,
    ),
    counter(
      "sockserve_log_wait_seconds_total",
      "Seconds requests were held back for the log files, all waits together.",
      s.logWaitSeconds,
    ),
    counter(
      "sockserve_console_dropped_lines_total",
      "Console lines dropped because the console was not being read.",
      s.consoleDroppedLines,
    ),
  ];
  if (s.tls !== null) {
    families.push(
      counter("sockserve_tls_handshakes_total", "TLS handshakes completed.", s.tls.handshakes),
      counter(
        "sockserve_tls_handshake_failures_total",
        "TLS handshakes that failed or were abandoned.",
        s.tls.failures,
      ),
    );
  }
  return families.map((f) =>
    `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n${
      f.samples.map((line) => line + "\n").join("")
    }`
  ).join("");
}

function counter(name: string, help: string, value: number): Family {
  return { name, type: "counter", help, samples: [`${name} ${value}`] };
}

function gauge(name: string, help: string, value: number): Family {
  return { name, type: "gauge", help, samples: [`${name} ${value}`] };
}

/** The media type of the text exposition format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Methods with a label of their own: RFC 9110 §9's and PATCH. Any other is `other`, so a client
 * inventing methods cannot grow the label set without bound.
 */
const METHOD_LABELS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "OPTIONS",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "CONNECT",
  "TRACE",
]);

/** The method label of a request. */
function methodLabel(method: string): string {
  return METHOD_LABELS.has(method) ? method : "other";
}

/** The counters of one isolate; gauges are read from their owners when a snapshot is taken. */
export class Metrics {
  /** The path answered with the exposition. */
  readonly path: string;
  readonly #requests = new Map<string, number>();
  #sentBytes = 0;
  readonly #buckets: number[] = [...EMPTY_SNAPSHOT.durationBuckets];
  #durationSum = 0;
  /** Hot-file cache lookups. */
  cacheHits = 0;
  cacheMisses = 0;
  /** TLS handshakes; null when the server does not serve HTTPS. */
  readonly tls: { handshakes: number; failures: number } | null;

  /**
   * @param path The metrics path.
   * @param tls Whether TLS handshakes are counted.
   */
  constructor(path: string, tls: boolean) {
    this.path = path;
    this.tls = tls ? { handshakes: 0, failures: 0 } : null;
  }

  /**
   * Counts one response.
   *
   * @param status Its status (499: nothing was sent).
   * @param method The request's method.
   * @param sentBytes Head and body bytes written.
   * @param durationMs From the complete head to the last byte.
   */
  countResponse(status: number, method: string, sentBytes: number, durationMs: number): void {
    const key = `${Math.floor(status / 100)}xx ${methodLabel(method)}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    this.#sentBytes += sentBytes;
    const seconds = durationMs / 1000;
    this.#durationSum += seconds;
    let i = 0;
    while (i < DURATION_BUCKETS_S.length && seconds > DURATION_BUCKETS_S[i]) i++;
    this.#buckets[i]++;
  }

  /**
   * Takes a snapshot of the counters with the gauges given.
   *
   * @param gauges What the server reads now: open connections, cache bytes.
   * @returns The snapshot.
   */
  snapshot(
    gauges: { readonly openConnections: number; readonly cacheBytes: number },
  ): MetricsSnapshot {
    return {
      ...EMPTY_SNAPSHOT,
      requests: Object.fromEntries(this.#requests),
      sentBytes: this.#sentBytes,
      durationBuckets: [...this.#buckets],
      durationSum: this.#durationSum,
      openConnections: gauges.openConnections,
      cacheHits: this.cacheHits,
      cacheMisses: this.cacheMisses,
      cacheBytes: gauges.cacheBytes,
      tls: this.tls === null ? null : { ...this.tls },
    };
  }
}
