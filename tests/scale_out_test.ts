/**
 * Scale-out, proven with a real load balancer: two sockserve instances behind HAProxy (active
 * health checks, retries), a bounded load, and one instance stopped with SIGTERM in the middle.
 * No request may fail, and every response is logged exactly once across the two instances. The
 * balancer connects from its own loopback address, which the instances trust (`--trusted-proxy`),
 * so their access logs name the client behind it, not the balancer and not what the client wrote
 * in its own X-Forwarded-For.
 *
 * The same proof with nginx, whose open-source edition checks health passively: a failed
 * connection marks the server down and the request goes to the next one.
 *
 * In CI (CI set) a missing HAProxy or nginx fails the test; elsewhere the test is ignored, by name.
 */

import assert from "node:assert/strict";
import { eventually, makeTree, startServer, type TestServer } from "./helpers.ts";
import { SOCKETS_FILE } from "../src/log/format.ts";

const HAPROXY = "/usr/sbin/haproxy";
const NGINX = "/usr/sbin/nginx";
const required = Deno.env.get("CI") !== undefined;

/** Whether a program is installed. */
function installed(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Requests sent in all: bounded, so the test takes seconds. */
const REQUESTS = 1500;
/** Requests in flight at once (keep-alive connections to HAProxy). */
const CONCURRENCY = 8;
/** After this many responses the first instance is stopped. */
const STOP_AFTER = 500;

/**
 * The address the balancer connects to the instances from, the one proxy they trust; the test's
 * client connects from 127.0.0.1, so the logs can tell the two apart.
 */
const PROXY_SOURCE = "127.0.0.3";
/** What the client claims to be in its own X-Forwarded-For: never to be believed. */
const SPOOFED = "203.0.113.66";

/** A free loopback port (bound, read, released). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * The HAProxy configuration the README shows, for two instances: an HTTP health check every
 * 100 ms, a server marked down after one failed check, and a request whose connection fails
 * (the stopping instance closed it) retried on the other server.
 */
export function haproxyConfig(
  listen: number,
  backends: readonly number[],
  source: string | null = null,
): string {
  return [
    "global",
    "  maxconn 256",
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    "  timeout client 10s",
    "  timeout server 10s",
    "  retries 3",
    "  option redispatch",
    "  retry-on conn-failure empty-response response-timeout",
    "  option forwardfor",
    "frontend site",
    `  bind 127.0.0.1:${listen}`,
    "  default_backend sockserve",
    "backend sockserve",
    "  balance roundrobin",
    "  option httpchk",
    "  http-check send meth GET uri /health.txt ver HTTP/1.1 hdr Host localhost",
    ...backends.map((port, i) =>
      `  server s${i + 1} 127.0.0.1:${port} check inter 100ms fall 1 rise 2` +
      (source === null ? "" : ` source ${source}`)
    ),
    "",
  ].join("\n");
}

/**
 * The nginx configuration the README shows: an upstream of two instances with keep-alive
 * connections, and a request whose connection fails (or gets no answer) passed to the other.
 */
export function nginxConfig(
  listen: number,
  backends: readonly number[],
  dir: string,
  source: string | null = null,
): string {
  return [
    "worker_processes 1;",
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log;`,
    "events { worker_connections 256; }",
    "http {",
    "  access_log off;",
    `  client_body_temp_path ${dir}/body;`,
    `  proxy_temp_path ${dir}/proxy;`,
    "  upstream sockserve {",
    ...backends.map((port) => `    server 127.0.0.1:${port} max_fails=1 fail_timeout=10s;`),
    "    keepalive 16;",
    "  }",
    "  server {",
    `    listen 127.0.0.1:${listen};`,
    "    location / {",
    "      proxy_pass http://sockserve;",
    "      proxy_http_version 1.1;",
    '      proxy_set_header Connection "";',
    "      proxy_set_header Host $host;",
    "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "      proxy_next_upstream error timeout http_502 http_503;",
    ...(source === null ? [] : [`      proxy_bind ${source};`]),
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
}

/** Lines of an access log for one path. */
async function accessLinesFor(logDir: string, path: string): Promise<string[]> {
  const text = await Deno.readTextFile(`${logDir}/access.log`);
  return text.split("\n").filter((line) => line.includes(` ${path} `));
}

/** Rows of a SocketOutput.csv for one path (health checks hit the same log). */
async function rowsFor(logDir: string, path: string): Promise<string[]> {
  const text = await Deno.readTextFile(`${logDir}/${SOCKETS_FILE}`);
  return text.split("\n").filter((line) => line.includes(path));
}

/** A load balancer under test: how to configure and start it. */
interface Balancer {
  readonly name: string;
  readonly program: string;
  readonly start: (dir: string, listen: number, backends: readonly number[]) => Promise<string[]>;
}

const BALANCERS: readonly Balancer[] = [
  {
    name: "HAProxy",
    program: HAPROXY,
    start: async (dir, listen, backends) => {
      await Deno.writeTextFile(`${dir}/haproxy.cfg`, haproxyConfig(listen, backends, PROXY_SOURCE));
      return ["-db", "-f", `${dir}/haproxy.cfg`];
    },
  },
  {
    name: "nginx",
    program: NGINX,
    start: async (dir, listen, backends) => {
      await Deno.writeTextFile(
        `${dir}/nginx.conf`,
        nginxConfig(listen, backends, dir, PROXY_SOURCE),
      );
      return ["-p", dir, "-c", `${dir}/nginx.conf`, "-g", "daemon off;"];
    },
  },
];

for (const balancer of BALANCERS) {
  Deno.test({
    name:
      `two instances behind ${balancer.name}: one stopped mid-load, no failed request, each logged once`,
    ignore: !installed(balancer.program) && !required,
    async fn() {
      const root = await makeTree({ "page.txt": "hello from a replica\n", "health.txt": "ok\n" });
      const logs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
      const servers: TestServer[] = [];
      for (const logDir of logs) {
        servers.push(
          await startServer({
            root,
            logDir,
            args: [
              "--any-host",
              "--quiet",
              "--trusted-proxy",
              PROXY_SOURCE,
              "--access-log",
              `${logDir}/access.log`,
            ],
          }),
        );
      }
      const listen = freePort();
      const dir = await Deno.makeTempDir();
      const args = await balancer.start(dir, listen, servers.map((s) => s.port));
      const proxy = new Deno.Command(balancer.program, {
        args,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      try {
        // Ready when HAProxy answers through a healthy backend.
        await eventually(async () => {
          const response = await fetch(`http://127.0.0.1:${listen}/page.txt`).catch(() => null);
          const ok = response?.status === 200;
          await response?.body?.cancel();
          return ok;
        }, `${balancer.name} answers through a healthy sockserve`);
        const warmup = 1; // the readiness request above reached one of the instances
        let sent = 0;
        let done = 0;
        const failures: string[] = [];
        let stopping: Promise<Deno.CommandStatus> | null = null;
        const worker = async () => {
          while (sent < REQUESTS) {
            sent++;
            try {
              const response = await fetch(`http://127.0.0.1:${listen}/page.txt`, {
                headers: { "X-Forwarded-For": SPOOFED },
              });
              const body = await response.text();
              if (response.status !== 200 || body !== "hello from a replica\n") {
                failures.push(`${response.status} ${JSON.stringify(body.slice(0, 80))}`);
              }
            } catch (error) {
              failures.push(String(error));
            }
            if (++done === STOP_AFTER) stopping = servers[0].stop("SIGTERM");
          }
        };
        await Promise.all(Array.from({ length: CONCURRENCY }, worker));
        const status = await stopping!;
        assert.equal(status.code, 0, "the stopped instance exits cleanly");
        assert.deepEqual(failures, [], "no request failed through the load balancer");

        // Every response is in exactly one instance's log, once.
        await servers[1].stop("SIGTERM");
        const rows = [await rowsFor(logs[0], "/page.txt"), await rowsFor(logs[1], "/page.txt")];
        assert.equal(rows[0].length + rows[1].length, REQUESTS + warmup);
        assert.ok(rows[0].length > 0 && rows[1].length > 0, "both instances served");
        assert.ok(rows[1].length > rows[0].length, "the survivor served the rest");

        // The sockets came from the balancer; the access logs name the client behind it, never
        // what the client claimed in its own X-Forwarded-For.
        for (const row of [...rows[0], ...rows[1]]) {
          assert.equal(row.split(",")[3], PROXY_SOURCE, row);
        }
        const access = [
          ...await accessLinesFor(logs[0], "/page.txt"),
          ...await accessLinesFor(logs[1], "/page.txt"),
        ];
        assert.equal(access.length, REQUESTS + warmup);
        for (const line of access) assert.ok(line.startsWith("127.0.0.1 - - ["), line);
        assert.ok(!access.some((line) => line.includes(SPOOFED)));
      } finally {
        proxy.kill("SIGTERM");
        await proxy.output().catch(() => null);
        for (const server of servers) await server.stop("SIGKILL");
      }
    },
  });
}

Deno.test("the README's load-balancer configurations are the ones this test runs", () => {
  const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));
  const section = readme.slice(readme.indexOf("## Behind a load balancer"));
  // Fenced blocks without a language: the two configurations (the ```sh block is the commands).
  const blocks = [...section.matchAll(/^```(\w*)\n([^`]*)^```$/gm)].filter((m) => m[1] === "")
    .map((m) => m[2]);
  const tested = haproxyConfig(80, [8081, 8082]) + nginxConfig(80, [8081, 8082], "/tmp");
  const testedLines = new Set(tested.split("\n").map((line) => line.trim()));
  assert.ok(blocks.length >= 2);
  for (const block of blocks.slice(0, 2)) {
    for (const line of block.split("\n").map((l) => l.trim()).filter((l) => l !== "")) {
      assert.ok(testedLines.has(line), `README line not in the tested configuration: ${line}`);
    }
  }
});
