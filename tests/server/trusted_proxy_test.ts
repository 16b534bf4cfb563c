/**
 * Trusted proxies over real sockets: a real nginx on loopback as the reverse proxy in front of
 * sockserve, clients spoofing X-Forwarded-For and Forwarded, and the shape of SocketOutput.csv.
 *
 * nginx binds its upstream connections to 127.0.0.2 (`proxy_bind`), and only that address is
 * trusted: the client (127.0.0.1) is then not a trusted address itself, as on a real network. In
 * CI (CI set) a missing nginx fails the test; elsewhere it is ignored, by name.
 */

import assert from "node:assert/strict";
import { csvTakesForwardedColumn } from "../../src/cli/startup.ts";
import { CSV_COLUMNS, CSV_FORWARDED_COLUMN, SOCKETS_FILE } from "../../src/log/format.ts";
import {
  bytes,
  eventually,
  exchange,
  get,
  latin1,
  makeTree,
  readToEnd,
  splitResponses,
  startServer,
  writeAll,
} from "../helpers.ts";

const NGINX = "/usr/sbin/nginx";
const required = Deno.env.get("CI") !== undefined;

function nginxInstalled(): boolean {
  try {
    return Deno.statSync(NGINX).isFile;
  } catch {
    return false;
  }
}

/**
 * Sends a request without half-closing (nginx takes a client's FIN before the response as an
 * abort) and reads until the server closes.
 */
async function ask(port: number, request: string): Promise<string> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(conn, bytes(request));
  return latin1(await readToEnd(conn));
}

/** A free loopback port (closed again: nginx binds it next). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Starts nginx in the foreground with its own prefix: `/xff/` forwards with
 * `$proxy_add_x_forwarded_for` (and drops a client's Forwarded, as a proxy that sets only
 * X-Forwarded-For must), `/fwd/` appends an RFC 7239 element to Forwarded (and drops
 * X-Forwarded-For).
 */
async function startNginx(upstreamPort: number): Promise<AsyncDisposable & { port: number }> {
  const dir = await Deno.makeTempDir({ prefix: "sockserve-nginx-" });
  const port = freePort();
  const upstream = `http://127.0.0.1:${upstreamPort}/`;
  const config = `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/client;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  map $http_forwarded $forwarded {
    "" "for=$remote_addr";
    default "$http_forwarded, for=$remote_addr";
  }
  server {
    listen 127.0.0.1:${port};
    proxy_bind 127.0.0.2;
    location /xff/ {
      proxy_pass ${upstream};
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header Forwarded "";
    }
    location /fwd/ {
      proxy_pass ${upstream};
      proxy_set_header Forwarded $forwarded;
      proxy_set_header X-Forwarded-For "";
    }
  }
}
`;
  await Deno.writeTextFile(`${dir}/nginx.conf`, config);
  const child = new Deno.Command(NGINX, {
    args: ["-p", dir, "-c", `${dir}/nginx.conf`, "-e", `${dir}/error.log`, "-g", "daemon off;"],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  await eventually(async () => {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return true;
    } catch {
      return false;
    }
  }, "nginx listening");
  return {
    port,
    async [Symbol.asyncDispose]() {
      child.kill("SIGQUIT");
      await child.stderr.cancel();
      await child.status;
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test({
  name: required || nginxInstalled()
    ? "nginx in front: the console and the CSV name the real client, never a spoofed one"
    : "nginx in front: the console and the CSV name the real client, never a spoofed one (ignored: nginx is not installed and CI is not set)",
  ignore: !required && !nginxInstalled(),
  async fn() {
    const root = await makeTree({ "index.html": "<p>hi</p>" });
    const logDir = await Deno.makeTempDir({ prefix: "sockserve-logs-" });
    await using server = await startServer({
      root,
      logDir,
      args: ["--trusted-proxy", "127.0.0.2"],
    });
    await using nginx = await startNginx(server.port);
    const spoof = "X-Forwarded-For: 6.6.6.6\r\nForwarded: for=7.7.7.7\r\n";
    for (const path of ["/xff/", "/fwd/"]) {
      const [response] = splitResponses(await ask(nginx.port, get(path, spoof)));
      assert.equal(response.status, 200, path);
    }
    // A request straight from an untrusted peer: its fields are ignored.
    await exchange(server.port, get("/", spoof));
    await eventually(() => server.stdout().split("\n").length >= 6, "three access lines");
    const lines = server.stdout().split("\n").filter((l) => l.includes('"GET /'));
    assert.equal(lines.length, 3, server.stdout());
    // nginx speaks HTTP/1.0 upstream; the client it saw is 127.0.0.1, with no port.
    assert.match(lines[0], /Z 127\.0\.0\.1 "GET \/ HTTP\/1\.0" 200 /);
    assert.match(lines[1], /Z 127\.0\.0\.1 "GET \/ HTTP\/1\.0" 200 /);
    assert.match(lines[2], /Z 127\.0\.0\.1:\d+ "GET \/ HTTP\/1\.1" 200 /);
    assert.doesNotMatch(server.stdout(), /6\.6\.6\.6|7\.7\.7\.7/);
    await server.stop();
    const rows = (await Deno.readTextFile(`${logDir}/${SOCKETS_FILE}`)).trim().split("\n");
    assert.equal(rows[0], [...CSV_COLUMNS, CSV_FORWARDED_COLUMN].join(","));
    const cells = rows.slice(1).map((row) => row.split(","));
    // The socket 4-tuple stays the proxy's; the client it forwarded for is the last column.
    assert.deepEqual(cells.map((c) => [c[3], c.at(-1)]), [
      ["127.0.0.2", "127.0.0.1"],
      ["127.0.0.2", "127.0.0.1"],
      ["127.0.0.1", ""],
    ]);
  },
});

Deno.test("without --trusted-proxy forwarding fields are ignored and the CSV keeps its columns", async () => {
  const root = await makeTree({ "index.html": "<p>hi</p>" });
  const logDir = await Deno.makeTempDir({ prefix: "sockserve-logs-" });
  await using server = await startServer({ root, logDir });
  await exchange(server.port, get("/", "X-Forwarded-For: 6.6.6.6\r\n"));
  await eventually(() => server.stdout().includes('"GET / HTTP/1.1"'), "the access line");
  assert.match(server.stdout(), /Z 127\.0\.0\.1:\d+ "GET \/ HTTP\/1\.1" 200 /);
  await server.stop();
  const rows = (await Deno.readTextFile(`${logDir}/${SOCKETS_FILE}`)).trim().split("\n");
  assert.equal(rows[0], CSV_COLUMNS.join(","));
  assert.equal(rows[1].split(",").length, CSV_COLUMNS.length);
});

Deno.test("--trusted-proxy appends to an older SocketOutput.csv in its own shape", async () => {
  const root = await makeTree({ "index.html": "<p>hi</p>" });
  const logDir = await Deno.makeTempDir({ prefix: "sockserve-logs-" });
  const old = `${CSV_COLUMNS.join(",")}\n` +
    "2026-01-01T00:00:00.000Z,127.0.0.1,8080,127.0.0.1,5000,1,1,GET,/,HTTP/1.1,200,9,1.000\n";
  await Deno.writeTextFile(`${logDir}/${SOCKETS_FILE}`, old);
  await using server = await startServer({ root, logDir, args: ["--trusted-proxy", "loopback"] });
  await exchange(server.port, get("/", "X-Forwarded-For: 203.0.113.9\r\n"));
  await eventually(() => server.stdout().includes('"GET / HTTP/1.1"'), "the access line");
  // The console still names the forwarded client: only the file keeps the old shape.
  assert.match(server.stdout(), /Z 203\.0\.113\.9 "GET \/ HTTP\/1\.1" 200 /);
  await server.stop();
  const text = await Deno.readTextFile(`${logDir}/${SOCKETS_FILE}`);
  assert.ok(text.startsWith(old));
  const rows = text.trim().split("\n");
  assert.equal(rows.length, 3);
  for (const row of rows) assert.equal(row.split(",").length, CSV_COLUMNS.length, row);
});

Deno.test("csvTakesForwardedColumn() is true only for a new file or one that has the column", async (t) => {
  const cases: [string, string | null, boolean][] = [
    ["no file yet", null, true],
    ["an empty file", "", true],
    ["an older file", `${CSV_COLUMNS.join(",")}\n1,2\n`, false],
    ["a file with the column", `${[...CSV_COLUMNS, CSV_FORWARDED_COLUMN].join(",")}\n`, true],
    [
      "a CRLF header with the column",
      `${[...CSV_COLUMNS, CSV_FORWARDED_COLUMN].join(",")}\r\n`,
      true,
    ],
  ];
  for (const [name, content, expected] of cases) {
    await t.step(name, async () => {
      const dir = await Deno.makeTempDir();
      if (content !== null) await Deno.writeTextFile(`${dir}/${SOCKETS_FILE}`, content);
      assert.equal(await csvTakesForwardedColumn(dir), expected);
      await Deno.remove(dir, { recursive: true });
    });
  }
});
