/**
 * Metrics (`--metrics`): the snapshot, its sum over isolates and its Prometheus text (pure), and
 * a real server with two workers scraped until its counts converge on the requests sent, checked
 * by Debian's `promtool check metrics` (in CI, a missing promtool fails; elsewhere that test is
 * ignored, by name).
 */

import assert from "node:assert/strict";
import {
  DURATION_BUCKETS_S,
  EMPTY_SNAPSHOT,
  formatMetrics,
  mergeSnapshots,
  Metrics,
} from "../../src/server/metrics.ts";
import { makeCertificates } from "../fixtures/certificates.ts";
import {
  bytes,
  eventually,
  exchange,
  get,
  latin1,
  makeTree,
  readToEnd,
  request,
  startServer,
  writeAll,
} from "../helpers.ts";

const PROMTOOL = "/usr/bin/promtool";
const required = Deno.env.get("CI") !== undefined;

function promtoolInstalled(): boolean {
  try {
    return Deno.statSync(PROMTOOL).isFile;
  } catch {
    return false;
  }
}

/** The value of one sample line (`name{labels} value`), or 0 when absent. */
function sample(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(name + " "));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

Deno.test("Metrics.countResponse() counts by status class and method, into one bucket", async (t) => {
  const cases: [number, string, number, string, number][] = [
    [200, "GET", 0.5, "2xx GET", 0],
    [404, "HEAD", 1, "4xx HEAD", DURATION_BUCKETS_S.indexOf(0.001)],
    [499, "GET", 3, "4xx GET", DURATION_BUCKETS_S.indexOf(0.005)],
    [501, "BREW", 20_000, "5xx other", DURATION_BUCKETS_S.length],
  ];
  for (const [status, method, ms, key, bucket] of cases) {
    await t.step(`${status} ${method} ${ms} ms`, () => {
      const metrics = new Metrics("/metrics", false);
      metrics.countResponse(status, method, 100, ms);
      const s = metrics.snapshot({ openConnections: 0, cacheBytes: 0 });
      assert.deepEqual(s.requests, { [key]: 1 });
      assert.equal(s.durationBuckets.indexOf(1), bucket);
      assert.equal(s.sentBytes, 100);
    });
  }
});

Deno.test("mergeSnapshots() sums counters, gauges, buckets and TLS counts", () => {
  const a = new Metrics("/m", true);
  a.countResponse(200, "GET", 10, 1);
  a.cacheHits = 2;
  a.tls!.handshakes = 3;
  const b = new Metrics("/m", false);
  b.countResponse(200, "GET", 20, 1);
  b.countResponse(304, "HEAD", 5, 1);
  b.cacheMisses = 1;
  const merged = mergeSnapshots(
    a.snapshot({ openConnections: 1, cacheBytes: 100 }),
    b.snapshot({ openConnections: 2, cacheBytes: 50 }),
    {
      ...EMPTY_SNAPSHOT,
      logQueueBytes: 7,
      consoleDroppedLines: 4,
      logWaits: 2,
      logWaitSeconds: 1.5,
    },
  );
  assert.deepEqual(merged.requests, { "2xx GET": 2, "3xx HEAD": 1 });
  assert.equal(merged.sentBytes, 35);
  assert.equal(merged.durationBuckets.reduce((x, y) => x + y), 3);
  assert.deepEqual(
    [merged.openConnections, merged.cacheBytes, merged.cacheHits, merged.cacheMisses],
    [3, 150, 2, 1],
  );
  assert.deepEqual(
    [merged.logQueueBytes, merged.consoleDroppedLines, merged.logWaits, merged.logWaitSeconds],
    [7, 4, 2, 1.5],
  );
  assert.deepEqual(merged.tls, { handshakes: 3, failures: 0 });
  assert.equal(mergeSnapshots(EMPTY_SNAPSHOT).tls, null);
});

Deno.test("formatMetrics() writes HELP and TYPE for every family, cumulative buckets, TLS only with TLS", () => {
  const metrics = new Metrics("/m", false);
  metrics.countResponse(200, "GET", 10, 0.5);
  metrics.countResponse(200, "GET", 10, 30);
  const text = formatMetrics(metrics.snapshot({ openConnections: 0, cacheBytes: 0 }));
  const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(families, [
    "sockserve_requests_total counter",
    "sockserve_sent_bytes_total counter",
    "sockserve_request_duration_seconds histogram",
    "sockserve_open_connections gauge",
    "sockserve_cache_hits_total counter",
    "sockserve_cache_misses_total counter",
    "sockserve_cache_bytes gauge",
    "sockserve_log_queue_bytes gauge",
    "sockserve_log_waits_total counter",
    "sockserve_log_wait_seconds_total counter",
    "sockserve_console_dropped_lines_total counter",
  ]);
  assert.equal(text.match(/^# HELP /gm)!.length, families.length);
  assert.match(text, /^sockserve_requests_total\{code="2xx",method="GET"\} 2$/m);
  assert.match(text, /^sockserve_request_duration_seconds_bucket\{le="0.001"\} 1$/m);
  assert.match(text, /^sockserve_request_duration_seconds_bucket\{le="0.025"\} 1$/m);
  assert.match(text, /^sockserve_request_duration_seconds_bucket\{le="0.05"\} 2$/m);
  assert.match(text, /^sockserve_request_duration_seconds_bucket\{le="\+Inf"\} 2$/m);
  assert.match(text, /^sockserve_request_duration_seconds_count 2$/m);
  const tls = formatMetrics(
    new Metrics("/m", true).snapshot({ openConnections: 0, cacheBytes: 0 }),
  );
  assert.match(tls, /^# TYPE sockserve_tls_handshakes_total counter$/m);
  assert.match(tls, /^# TYPE sockserve_tls_handshake_failures_total counter$/m);
});

/** Scrapes a server's metrics path. */
async function scrape(port: number, path = "/metrics"): Promise<string> {
  const response = await request(port, get(path));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return response.body;
}

Deno.test({
  name: required || promtoolInstalled()
    ? "--metrics with --workers 2: counts converge on the requests sent, and promtool accepts them"
    : "--metrics with --workers 2: counts converge on the requests sent, and promtool accepts them (ignored: promtool is not installed and CI is not set)",
  ignore: !required && !promtoolInstalled(),
  async fn() {
    const root = await makeTree({ "index.html": "<p>hi</p>" });
    await using server = await startServer({
      root,
      args: ["--metrics", "/metrics", "--workers", "2", "--quiet"],
    });
    const ok = 7;
    const missing = 3;
    const heads = 2;
    for (let i = 0; i < ok; i++) assert.equal((await request(server.port, get("/"))).status, 200);
    for (let i = 0; i < missing; i++) {
      assert.equal((await request(server.port, get("/missing"))).status, 404);
    }
    for (let i = 0; i < heads; i++) {
      const head = `HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`;
      assert.equal((await request(server.port, head)).status, 200);
    }
    let text = "";
    // A response is counted once written: the last ones may still be on their way to the count.
    await eventually(async () => {
      text = await scrape(server.port);
      return sample(text, 'sockserve_requests_total{code="2xx",method="GET"}') === ok &&
        sample(text, 'sockserve_requests_total{code="4xx",method="GET"}') === missing &&
        sample(text, 'sockserve_requests_total{code="2xx",method="HEAD"}') === heads;
    }, "the workers' counts add up");
    assert.equal(sample(text, "sockserve_request_duration_seconds_count"), ok + missing + heads);
    assert.ok(sample(text, "sockserve_sent_bytes_total") > 0);
    assert.ok(sample(text, "sockserve_cache_hits_total") >= 1, text);
    // Scrapes are not counted, and whichever isolate answers, every later one shows the same.
    for (let i = 0; i < 6; i++) {
      const again = await scrape(server.port);
      assert.equal(sample(again, "sockserve_request_duration_seconds_count"), ok + missing + heads);
    }
    const check = new Deno.Command(PROMTOOL, {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = check.stdin.getWriter();
    await writer.write(new TextEncoder().encode(text));
    await writer.close();
    const result = await check.output();
    const said = new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
    assert.equal(result.code, 0, said);
  },
});

Deno.test("without --metrics the path is a missing file like any other", async () => {
  const root = await makeTree({ "index.html": "<p>hi</p>" });
  await using server = await startServer({ root, args: ["--quiet"] });
  const metrics = await exchange(server.port, get("/metrics"));
  assert.match(metrics, /^HTTP\/1\.1 404 /);
});

/** A non-loopback address of this machine, or null. */
function outsideAddress(): string | null {
  return Deno.networkInterfaces().find((i) => i.family === "IPv4" && !i.address.startsWith("127."))
    ?.address ?? null;
}

Deno.test({
  name: outsideAddress() !== null
    ? "--metrics answers a peer that is neither loopback nor trusted with the 404 of a missing file"
    : "--metrics answers a peer that is neither loopback nor trusted with the 404 of a missing file (ignored: no address besides loopback)",
  ignore: outsideAddress() === null,
  async fn() {
    const address = outsideAddress()!;
    const root = await makeTree({ "index.html": "<p>hi</p>" });
    await using server = await startServer({
      root,
      args: ["--metrics", "/metrics", "--host", "0.0.0.0", "--quiet"],
    });
    const ask = async (path: string) => {
      using conn = await Deno.connect({ hostname: address, port: server.port });
      const text = `GET ${path} HTTP/1.1\r\nHost: ${address}\r\nConnection: close\r\n\r\n`;
      await conn.write(new TextEncoder().encode(text));
      await conn.closeWrite();
      return latin1(await readToEnd(conn)).replace(/^Date: .*\r\n/m, "");
    };
    const refused = await ask("/metrics");
    assert.match(refused, /^HTTP\/1\.1 404 /);
    const missing = await ask("/netrics");
    assert.equal(refused, missing);
    assert.match(await scrape(server.port), /^# HELP /);
  },
});

/** Sends one request over TLS, trusting one CA, and reads until the server closes. */
async function tlsGet(port: number, caPem: string, path: string): Promise<string> {
  const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [caPem] });
  try {
    await conn.handshake();
    await writeAll(conn, bytes(get(path)));
    return latin1(await readToEnd(conn));
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the server already.
    }
  }
}

Deno.test("--metrics with HTTPS counts completed and failed TLS handshakes", async () => {
  const certs = await makeCertificates();
  const root = await makeTree({ "index.html": "<p>hi</p>" });
  await using server = await startServer({
    root,
    args: ["--metrics", "/metrics", "--tls-cert", certs.cert, "--tls-key", certs.key, "--quiet"],
  });
  for (let i = 0; i < 2; i++) {
    assert.match(await tlsGet(server.port, certs.caPem, "/"), /^HTTP\/1\.1 200 /);
  }
  // Plain HTTP to the HTTPS port: the handshake fails.
  await exchange(server.port, get("/"));
  let text = "";
  let scrapes = 0;
  await eventually(async () => {
    text = await tlsGet(server.port, certs.caPem, "/metrics");
    scrapes++;
    // Each scrape's own handshake is done before it is answered: 2 + one per scrape so far.
    return sample(text, "sockserve_tls_handshakes_total") === 2 + scrapes &&
      sample(text, "sockserve_tls_handshake_failures_total") === 1;
  }, "the handshakes counted");
  assert.match(text, /^sockserve_requests_total\{code="2xx",method="GET"\} 2\r?$/m);
});
