/**
 * Micro-benchmarks of the per-request hot path: parsing a request head (a typical browser
 * request, the desktop-Chrome head compare.sh sends, a minimal one, a pipelined batch) and
 * reading the fields the server reads from it, normalising its path, building response heads,
 * and formatting log rows. Run with `deno task bench`.
 */

import { formatHead } from "../src/http/head.ts";
import { currentHttpDate } from "../src/http/dates.ts";
import { formatCsvRows, formatResponseEntry, type ResponseRecord } from "../src/log/format.ts";
import { PendingLogs } from "../src/log/pending.ts";
import { parseRequestHead } from "../src/http/request.ts";
import { normalizePath } from "../src/server/resolver.ts";

const encoder = new TextEncoder();

const BROWSER = encoder.encode(
  "GET /assets/app.js?v=3 HTTP/1.1\r\nHost: localhost:8080\r\nConnection: keep-alive\r\n" +
    'sec-ch-ua: "Chromium";v="156", "Not-A.Brand";v="24"\r\nsec-ch-ua-mobile: ?0\r\n' +
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36\r\n" +
    'sec-ch-ua-platform: "Linux"\r\nAccept: */*\r\nSec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: no-cors\r\n' +
    "Sec-Fetch-Dest: script\r\nReferer: http://localhost:8080/\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n" +
    'Accept-Language: en-US,en;q=0.9\r\nIf-None-Match: "2a-400-18bcfe56800"\r\n\r\n',
);
/** The desktop-Chrome head compare.sh sends (/work/tools/browser.lua through wrk): 15 fields. */
const CHROME = encoder.encode(
  "GET /small.bin HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n" +
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n" +
    "Accept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9,de;q=0.8\r\n" +
    "Cache-Control: max-age=0\r\n" +
    'Sec-Ch-Ua: "Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"\r\n' +
    'Sec-Ch-Ua-Mobile: ?0\r\nSec-Ch-Ua-Platform: "Linux"\r\nSec-Fetch-Dest: document\r\n' +
    "Sec-Fetch-Mode: navigate\r\nSec-Fetch-Site: none\r\nSec-Fetch-User: ?1\r\n" +
    "Upgrade-Insecure-Requests: 1\r\n" +
    "Cookie: _ga=GA1.1.123456789.1700000000; session=abcdef0123456789abcdef0123456789; theme=dark\r\n\r\n",
);
const MINIMAL = encoder.encode("GET /small.txt HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
const PIPELINED = encoder.encode(new TextDecoder().decode(MINIMAL).repeat(16));

Deno.bench("parseRequestHead() typical browser request (15 fields)", { group: "parse" }, () => {
  parseRequestHead(BROWSER);
});

Deno.bench(
  "parseRequestHead() desktop Chrome head (compare.sh, 15 fields)",
  { group: "parse" },
  () => {
    parseRequestHead(CHROME);
  },
);

const CHROME_HEAD = parseRequestHead(CHROME);
if (CHROME_HEAD.kind !== "done") throw new Error("The Chrome head does not parse");
const CHROME_FIELDS = CHROME_HEAD.head.headers;
let readSink = 0;
Deno.bench(
  "RequestFields: the reads of a cached-file GET (Chrome head)",
  { group: "fields" },
  () => {
    // Summed into a sink so the reads cannot be optimised away.
    readSink += (CHROME_FIELDS.get("accept-encoding")?.length ?? 0) +
      Number(CHROME_FIELDS.has("range")) + Number(CHROME_FIELDS.has("if-match")) +
      Number(CHROME_FIELDS.has("if-none-match")) + Number(CHROME_FIELDS.has("if-modified-since")) +
      Number(CHROME_FIELDS.has("if-unmodified-since")) +
      (CHROME_FIELDS.get("referer")?.length ?? 0) + (CHROME_FIELDS.get("user-agent")?.length ?? 0);
  },
);

Deno.bench("parseRequestHead() minimal request (wrk)", { group: "parse", baseline: true }, () => {
  parseRequestHead(MINIMAL);
});

Deno.bench("parseRequestHead() pipelined batch of 16", { group: "parse" }, () => {
  let offset = 0;
  while (offset < PIPELINED.length) {
    const result = parseRequestHead(PIPELINED.subarray(offset));
    if (result.kind !== "done") throw new Error("unexpected");
    offset += result.consumed;
  }
});

Deno.bench("normalizePath() plain path", { group: "path" }, () => {
  normalizePath("/assets/js/app.js");
});

Deno.bench("normalizePath() percent-encoded path", { group: "path" }, () => {
  normalizePath("/docs/caf%C3%A9%20menu/index.html");
});

const FIELDS: [string, string][] = [
  ["Content-Type", "text/plain; charset=utf-8"],
  ["Content-Length", "1024"],
  ["Accept-Ranges", "bytes"],
  ["ETag", '"51010e-400-1a2008cb5d3"'],
  ["Last-Modified", "Sat, 21 Nov 2026 23:59:11 GMT"],
];

Deno.bench("formatHead() + encode, a 200 file head", { group: "head" }, () => {
  encoder.encode(formatHead("HTTP/1.1", 200, [
    ["Date", currentHttpDate()],
    ["Server", "sockserve/0.1.0"],
    ...FIELDS,
    ["Connection", "keep-alive"],
  ]));
});

const RECORD: ResponseRecord = {
  time: Date.now(),
  server: { ip: "127.0.0.1", port: 8080 },
  client: { ip: "127.0.0.1", port: 50000 },
  connectionId: 12,
  requestOnConnection: 3,
  method: "GET",
  target: "/small.txt",
  version: "HTTP/1.1",
  requestLine: "GET /small.txt HTTP/1.1",
  referer: null,
  userAgent: null,
  status: 200,
  head: formatHead("HTTP/1.1", 200, FIELDS),
  bodyBytes: 1024,
  durationMs: 0.123,
  forwardedClient: null,
};
const BATCH = Array.from({ length: 1000 }, () => RECORD);

Deno.bench("formatCsvRows() 1000 rows", { group: "logs" }, () => {
  formatCsvRows(BATCH);
});

Deno.bench("formatResponseEntry() 1000 entries", { group: "logs" }, () => {
  BATCH.map(formatResponseEntry).join("");
});

const SINK = new Uint8Array(1024);
Deno.bench(
  "one response's log lines, formatted and encoded",
  { group: "logs-per-response" },
  () => {
    encoder.encodeInto(formatResponseEntry(RECORD), SINK);
    encoder.encodeInto(formatCsvRows([RECORD]), SINK);
  },
);

// What a serving isolate does per response: both files' bytes appended to its pending batches,
// taken (as the relay does when a batch is full) every BATCH_RECORDS responses.
const BATCH_RECORDS = 500;
const pending = new PendingLogs({ console: false, access: null, accessToConsole: false }, () => {});
let recorded = 0;
Deno.bench(
  "one response recorded into the pending batches (PendingLogs.record)",
  { group: "logs-per-response" },
  () => {
    pending.record(RECORD);
    if (++recorded % BATCH_RECORDS === 0) pending.take();
  },
);

Deno.bench("Deno.statSync() of a cached file", { group: "stat" }, () => {
  Deno.statSync(new URL("../deno.json", import.meta.url));
});
