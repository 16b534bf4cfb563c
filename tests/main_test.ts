/**
 * main.ts as a process: startup errors and exit codes, console output, graceful stop, and the
 * two log files end to end.
 */

import assert from "node:assert/strict";
import { portNotices } from "../src/cli/args.ts";
import { CSV_COLUMNS, RESPONSES_FILE, SOCKETS_FILE } from "../src/log/format.ts";
import {
  bytes,
  eventually,
  exchange,
  get,
  launcher,
  makeTree,
  request,
  scopedPermissions,
  splitResponses,
  startServer,
  writeAll,
} from "./helpers.ts";

const PERMISSIONS = ["--allow-net=127.0.0.1", "--allow-read", "--allow-write"];

/** Runs sockserve to completion; `denoRun` forces `deno run` (for permission behaviour). */
async function run(
  args: string[],
  permissions = PERMISSIONS,
  options: { denoRun?: boolean; cwd?: string } = {},
) {
  const [cmd, ...rest] = launcher(permissions, args, options.denoRun);
  const out = await new Deno.Command(cmd, { args: rest, stdin: "null", cwd: options.cwd }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("a missing root is 'Directory DIR does not exist.' and exit 2", async () => {
  const result = await run(["-p", "0", "-d", "/nonexistent/sockserve-root"]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, "Directory /nonexistent/sockserve-root does not exist.\n");
});

Deno.test("a root that is a file is one line and exit 2", async () => {
  const dir = await makeTree({ "file.txt": "x" });
  const result = await run(["-p", "0", "-d", `${dir}/file.txt`, "--log-dir", `${dir}/logs`]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, `"${dir}/file.txt" is not a directory.\n`);
});

Deno.test("an invalid port is one line and exit 2", async () => {
  const result = await run(["-p", "70000"]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, 'Port must be an integer from 0 to 65535, got "70000"\n');
});

Deno.test("an unknown option is one line and exit 2", async () => {
  const result = await run(["--nope"]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr.trimEnd().split("\n").length, 1);
});

Deno.test("a port already in use is one line and exit 1, after the port-range notice", async () => {
  const dir = await makeTree({ "index.html": "x" });
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  const result = await run(["-p", String(port), "-d", dir, "--log-dir", await Deno.makeTempDir()]);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    [...portNotices(port), `Port ${port} on 127.0.0.1 is already in use.`, ""].join("\n"),
  );
});

Deno.test("missing read permission for the root names the flag to add and exits 2", async () => {
  const dir = await makeTree({ "index.html": "x" });
  const result = await run(["-p", "0", "-d", dir], ["--allow-net=127.0.0.1", "--allow-write"], {
    denoRun: true,
  });
  assert.equal(result.code, 2);
  assert.equal(result.stderr, `Read access to "${dir}" is not granted: add --allow-read=${dir}\n`);
});

Deno.test("missing write permission for the log dir names the flag to add and exits 2", async () => {
  const dir = await makeTree({ "index.html": "x" });
  const result = await run(
    ["-p", "0", "-d", dir, "--log-dir", `${dir}/logs`],
    ["--allow-net=127.0.0.1", `--allow-read=${dir}`],
    { denoRun: true },
  );
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    `Write access to "${dir}/logs" is not granted: add --allow-write=${dir}/logs\n`,
  );
});

Deno.test("missing write permission for the access log names the flag to add and exits 2", async () => {
  const dir = await makeTree({ "index.html": "x" });
  const other = await Deno.makeTempDir();
  const base = ["-p", "0", "-d", dir, "--log-dir", `${dir}/logs`, "--access-log"];
  const flags = ["--allow-net=127.0.0.1", `--allow-read=${dir}`, `--allow-write=${dir}/logs`];
  const result = await run([...base, `${other}/access.log`], flags, { denoRun: true });
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    `Write access to "${other}/access.log" (--access-log) is not granted: add ` +
      `--allow-write=${other}/access.log\n`,
  );
  // Rotating by size renames beside the file: its folder is needed.
  const rotating = await run([...base, `${other}/access.log`, "--log-max-size", "1M"], [
    ...flags.slice(0, 2),
    `--allow-write=${dir}/logs,${other}/access.log`,
  ], { denoRun: true });
  assert.equal(rotating.code, 2);
  assert.match(rotating.stderr, new RegExp(`add --allow-write=${other}\n$`));
});

Deno.test("--help and --version print and exit 0", async () => {
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--header-timeout S/);
  const version = await run(["--version"]);
  assert.equal(version.code, 0);
  const { version: expected } = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  assert.match(
    version.stdout,
    new RegExp(`^sockserve ${expected.replaceAll(".", "\\.")} \\(deno \\d+\\.\\d+\\.\\d+, `),
  );
});

Deno.test("startup prints 'Serving DIR at http://HOST:PORT/' with the real port, then the isolates and logs", async () => {
  const root = await makeTree({ "index.html": "x" });
  const logDir = await Deno.makeTempDir();
  await using server = await startServer({ root, logDir, args: ["--quiet"] });
  // The helper returns on the first line; the second may still be on its way.
  await eventually(() => server.stdout().split("\n").length > 2, "the banner's second line");
  assert.equal(
    server.stdout(),
    `Serving ${root} at http://127.0.0.1:${server.port}/\n` +
      `  1 serving isolate, each allowed to read only the root; logs: ${logDir}/HTTPResponses.txt ` +
      `and ${logDir}/SocketOutput.csv\n`,
  );
});

Deno.test("the console gets one access line per request, and connection events with --verbose", async () => {
  const root = await makeTree({ "index.html": "x" });
  await using server = await startServer({ root, args: ["--verbose"] });
  await request(server.port, get("/index.html"));
  await eventually(() => server.stdout().includes("is now closed."), "the close event");
  const all = server.stdout().trimEnd().split("\n");
  // --verbose starts with what the serving isolate may do, the banner, and the welcome socket.
  assert.match(all[0], /^Serving isolate 1: read .*: granted/);
  const welcome = all.findIndex((line) => line.startsWith("Welcome socket created:"));
  assert.match(all[welcome], /^Welcome socket created: 127\.0\.0\.1, \d+$/);
  const lines = all.slice(welcome + 1);
  assert.match(lines[0], /^Connection socket created: 127\.0\.0\.1, \d+$/);
  assert.match(lines[1], /^\S+Z 127\.0\.0\.1:\d+ "GET \/index\.html HTTP\/1\.1" 200 1 [\d.]+ms$/);
  assert.match(lines[2], /^Connection to 127\.0\.0\.1, \d+ is now closed\.$/);
  assert.ok(!server.stdout().includes("\x1b["), "no colour when stdout is not a terminal");
});

Deno.test("SIGTERM flushes every response to both logs and exits 0", async () => {
  const root = await makeTree({ "index.html": "x", "a.txt": "a" });
  const logDir = await Deno.makeTempDir();
  const server = await startServer({ root, logDir, args: ["--quiet"] });
  const N = 25;
  let sent = 0;
  // Mixed shapes: keep-alive batches, single requests and an error.
  const batch = "GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(9) + get("/index.html");
  sent += splitResponses(await exchange(server.port, batch)).length;
  for (let i = 0; i < N - 11; i++) {
    sent += splitResponses(await exchange(server.port, get(`/missing-${i}`))).length;
  }
  sent += splitResponses(await exchange(server.port, "GET / HTTP/1.1\r\n\r\n")).length;
  assert.equal(sent, N);
  const status = await server.stop("SIGTERM");
  assert.equal(status.code, 0);
  const csv = (await Deno.readTextFile(`${logDir}/${SOCKETS_FILE}`)).trimEnd().split("\n");
  assert.equal(csv[0], CSV_COLUMNS.join(","));
  assert.equal(csv.length - 1, N);
  const heads = await Deno.readTextFile(`${logDir}/${RESPONSES_FILE}`);
  assert.equal(heads.match(/^# /gm)?.length, N);
});

Deno.test("SIGINT stops the server gracefully too", async () => {
  const root = await makeTree({ "index.html": "x" });
  const logDir = await Deno.makeTempDir();
  const server = await startServer({ root, logDir, args: ["--quiet"] });
  await request(server.port, get("/"));
  assert.equal((await server.stop("SIGINT")).code, 0);
  assert.equal(
    (await Deno.readTextFile(`${logDir}/${SOCKETS_FILE}`)).trimEnd().split("\n").length,
    2,
  );
});

Deno.test("a stop signal lets an in-flight download finish before exiting", async () => {
  const size = 32 * 1024 * 1024;
  const root = await makeTree({ "big.bin": new Uint8Array(size) });
  const server = await startServer({ root, args: ["--quiet"] });
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await writeAll(conn, bytes(get("/big.bin")));
  const buf = new Uint8Array(64 * 1024);
  let total = (await conn.read(buf))!;
  const stopped = server.stop("SIGTERM");
  while (true) {
    const n = await conn.read(buf);
    if (n === null) break;
    total += n;
  }
  assert.ok(total > size && total < size + 400, `received ${total} bytes`);
  assert.equal((await stopped).code, 0);
});

Deno.test("GET /STOP from loopback with --allow-stop answers 200, logs it and exits 0", async () => {
  const root = await makeTree({ "index.html": "x" });
  const logDir = await Deno.makeTempDir();
  const server = await startServer({ root, logDir, args: ["--quiet", "--allow-stop"] });
  const res = await request(server.port, get("/STOP"));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("connection"), "close");
  assert.equal((await server.exited()).code, 0);
  const csv = await Deno.readTextFile(`${logDir}/${SOCKETS_FILE}`);
  assert.match(csv, /,GET,\/STOP,HTTP\/1\.1,200,/);
});

Deno.test("without --allow-stop, /STOP is an ordinary path", async () => {
  const root = await makeTree({ "index.html": "x" });
  await using server = await startServer({ root, args: ["--quiet"] });
  assert.equal((await request(server.port, get("/STOP"))).status, 404);
  assert.equal((await request(server.port, get("/"))).status, 200);
});

Deno.test("when the log dir disappears the server warns once on stderr and keeps serving", async () => {
  const root = await makeTree({ "index.html": "x" });
  const logDir = await Deno.makeTempDir();
  await using server = await startServer({ root, logDir, args: ["--quiet"] });
  await request(server.port, get("/"));
  await eventually(async () => {
    try {
      return (await Deno.readTextFile(`${logDir}/${SOCKETS_FILE}`)).includes(",200,");
    } catch {
      return false;
    }
  }, "the first row on disk");
  await Deno.remove(logDir, { recursive: true });
  for (let i = 0; i < 3; i++) {
    assert.equal((await request(server.port, get("/"))).status, 200);
    await eventually(() => server.stderr().includes("Cannot write logs"), "the warning");
  }
  assert.equal(server.stderr().match(/Cannot write logs/g)?.length, 1);
});

Deno.test("without --root and without ./www, the bundled default site is served", async () => {
  const cwd = await Deno.makeTempDir();
  const bundled = new URL("../www", import.meta.url).pathname;
  const help = await run(["--help"], PERMISSIONS, { cwd });
  assert.match(
    help.stdout,
    /Root in use without --root: .*www \(the default site bundled with sockserve; there is no \.\/www here\)\.\n$/,
  );
  await using server = await startServer({
    root: bundled,
    cwd,
    permissions: PERMISSIONS,
    args: ["--quiet"],
    omitRoot: true,
  });
  const res = await request(server.port, get("/"));
  assert.equal(res.status, 200);
  assert.match(res.body, /<h1>sockserve<\/h1>/);
});

Deno.test("without --root, ./www in the current folder is preferred", async () => {
  const cwd = await makeTree({ "www/index.html": "local site" });
  await using server = await startServer({
    root: "./www",
    cwd,
    permissions: PERMISSIONS,
    args: ["--quiet"],
    omitRoot: true,
  });
  assert.equal(server.stdout().split("\n")[0], `Serving ./www at http://127.0.0.1:${server.port}/`);
  assert.equal((await request(server.port, get("/"))).body, "local site");
});

Deno.test("a log dir inside the served root gets a warning on stderr", async () => {
  const root = await makeTree({ "index.html": "x" });
  await using server = await startServer({ root, logDir: `${root}/logs`, args: ["--quiet"] });
  await eventually(() => server.stderr().includes("Warning"), "the warning");
  assert.equal(
    server.stderr(),
    `Warning: log dir "${root}/logs" is inside the served root "${root}", so anyone can download the logs; choose a --log-dir outside it.\n`,
  );
});

Deno.test("a console nobody reads does not stop the log files", async () => {
  const root = await makeTree({ "a.txt": "a" });
  const logDir = await Deno.makeTempDir();
  const [cmd, ...args] = launcher(PERMISSIONS, ["-p", "0", "-d", root, "--log-dir", logDir]);
  const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "null", stdin: "null" })
    .spawn();
  // Read only the startup line, then leave stdout unread so the pipe fills up.
  const reader = child.stdout.getReader();
  let out = "";
  while (!/:(\d+)\/\n/.test(out)) out += new TextDecoder().decode((await reader.read()).value);
  const port = Number(/:(\d+)\/\n/.exec(out)![1]);
  try {
    const requests = 3000; // ~250 KB of access lines: far more than a pipe buffer
    const batch = "GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(99) + get("/a.txt");
    for (let i = 0; i < requests / 100; i++) await exchange(port, batch);
    await eventually(async () => {
      const csv = await Deno.readTextFile(`${logDir}/${SOCKETS_FILE}`).catch(() => "");
      return csv.trimEnd().split("\n").length === requests + 1;
    }, "every row in SocketOutput.csv");
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel();
  }
});

Deno.test("GET /STOP from a web page (cross-site fetch metadata, foreign Host or Origin) does not stop the server", async () => {
  const root = await makeTree({ "index.html": "x" });
  await using server = await startServer({ root, args: ["--quiet", "--allow-stop"] });
  const attempts: [string, number][] = [
    // A local Host with browser metadata or Origin saying "another site": /STOP is a plain path.
    ["Host: 127.0.0.1\r\nSec-Fetch-Site: cross-site", 404],
    ["Host: localhost:8080\r\nOrigin: http://attacker.example", 404],
    ["Host: localhost:8080\r\nOrigin: http://127.0.0.1.nip.io", 404],
    ["Host: localhost:8080\r\nOrigin: http://127.attacker.example:8080", 404],
    // Relayed by a proxy on this machine: the peer looks local, the client may be anyone.
    ["Host: 127.0.0.1:8080\r\nX-Forwarded-For: 203.0.113.9", 404],
    ["Host: 127.0.0.1:8080\r\nForwarded: for=203.0.113.9", 404],
    ["Host: 127.0.0.1:8080\r\nVia: 1.1 proxy", 404],
    // A foreign Host (DNS rebinding) gets no answer at all, whatever it looks like.
    ["Host: rebind.attacker.example", 421],
    ["Host: 127.rebind.attacker.example\r\nSec-Fetch-Site: same-origin", 421],
    ["Host: 127.0.0.1.nip.io", 421],
    // Not even a valid authority.
    ["Host: 127.0.0.1:18086:99", 400],
  ];
  for (const [fields, status] of attempts) {
    const attempt = `GET /STOP HTTP/1.1\r\n${fields}\r\nConnection: close\r\n\r\n`;
    assert.equal((await request(server.port, attempt)).status, status, fields);
  }
  // HEAD is safe (RFC 9110 §9.2.1): it never stops the server.
  const head = "HEAD /STOP HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  assert.equal((await request(server.port, head)).status, 404);
  assert.equal((await request(server.port, get("/"))).status, 200, "still serving");
  const typed =
    "GET /STOP HTTP/1.1\r\nHost: localhost:8080\r\nSec-Fetch-Site: none\r\nConnection: close\r\n\r\n";
  assert.equal((await request(server.port, typed)).status, 200);
  assert.equal((await server.exited()).code, 0);
});

Deno.test("on loopback only this machine's names are answered (DNS rebinding gets 421); --any-host lifts it", async () => {
  const root = await makeTree({ "secret.txt": "local only" });
  const ask = (port: number, host: string) =>
    request(port, `GET /secret.txt HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  {
    await using server = await startServer({ root, args: ["--quiet"] });
    for (
      const host of [
        "localhost",
        "localhost:8080",
        "127.0.0.1:8080",
        "127.9.9.9",
        "[::1]:80",
        "app.localhost",
      ]
    ) {
      assert.equal((await ask(server.port, host)).body, "local only", host);
    }
    for (
      const host of [
        "attacker.example",
        "127.attacker.example",
        "127.0.0.1.nip.io",
        "localhost.attacker.example",
        "127.1",
        "[::2]",
      ]
    ) {
      const rebound = await ask(server.port, host);
      assert.equal(rebound.status, 421, host);
      assert.ok(!rebound.body.includes("local only"));
    }
    assert.equal((await ask(server.port, "127.0.0.1:18086:99")).status, 400);
    const twoPorts = await request(
      server.port,
      "GET http://127.0.0.1:18086:99/secret.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert.equal(twoPorts.status, 400, "an authority with two ports");
    const absolute = await request(
      server.port,
      "GET http://attacker.example/secret.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert.equal(absolute.status, 421, "the absolute-form authority counts as the host");
  }
  {
    await using server = await startServer({ root, args: ["--quiet", "--any-host"] });
    assert.equal((await ask(server.port, "www.example.org")).body, "local only");
  }
});

Deno.test("with scoped Deno flags (no supervisor) sockserve says its confinement check is weaker", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  const root = await makeTree({ "index.html": "x" });
  const logDir = await Deno.makeTempDir();
  await using server = await startServer({
    root,
    logDir,
    permissions: scopedPermissions(root, logDir),
    denoRun: true,
    args: ["--quiet"],
  });
  await eventually(() => server.stderr().includes("Notice"), "the notice");
  assert.match(server.stderr(), /^Notice: with scoped Deno flags, .* Run with -A /m);
  assert.equal((await request(server.port, get("/"))).body, "x");
});

Deno.test("supervised (all permissions) sockserve prints no confinement notice", async () => {
  const root = await makeTree({ "index.html": "x" });
  await using server = await startServer({ root, args: ["--quiet"], denoRun: true });
  assert.equal((await request(server.port, get("/"))).body, "x");
  await server.stop();
  assert.equal(server.stderr(), "");
});

Deno.test("the seeds' command lines work: -document_root DIR -port N, -d DIR -p N, a bare port", async (t) => {
  const root = await makeTree({ "index.html": "seed" });
  for (
    const args of [
      ["-document_root", root, "-port", "0"],
      ["--document_root", root, "-p", "0"],
      ["-p", "0", "-d", root],
      ["-d", root, "0"],
    ]
  ) {
    await t.step(args.join(" "), async () => {
      await using server = await startServer({
        root,
        omitRoot: true,
        omitPort: true,
        args: [...args, "-q"],
      });
      assert.equal((await request(server.port, get("/"))).body, "seed");
    });
  }
});

Deno.test("a 421 prints the --any-host hint on stderr once, however many there are", async () => {
  const root = await makeTree({ "index.html": "x" });
  await using server = await startServer({ root, args: ["--quiet"] });
  for (const host of ["proxy.example", "other.example"]) {
    const res = await request(
      server.port,
      `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(res.status, 421);
  }
  await eventually(() => server.stderr().includes("--any-host"), "the hint");
  assert.equal(server.stderr().split("--any-host").length - 1, 1, server.stderr());
  assert.match(server.stderr(), /Answered 421 to Host "proxy\.example"/);
});
