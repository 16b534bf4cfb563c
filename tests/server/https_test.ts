/**
 * HTTPS end to end: a real sockserve process with `--tls-cert/--tls-key`, and real clients —
 * Deno's TLS client with the development CA, curl and openssl s_client — over real sockets. The
 * same parser, limits and logs as plain HTTP; certificate reload under open connections; every
 * bad file refused at start with one line and exit code 2; the HTTPS redirect and HSTS.
 */

import assert from "node:assert/strict";
import {
  bytes,
  eventually,
  latin1,
  launcher,
  makeTree,
  readToEnd,
  redirectPortOf,
  splitResponses,
  startServer,
  writeAll,
} from "../helpers.ts";
import { makeCertificates, type TestCertificates } from "../fixtures/certificates.ts";

const INDEX = "<!doctype html><title>t</title><h1>secure index</h1>\n";

function site(): Promise<string> {
  return makeTree({ "index.html": INDEX, "hello.txt": "hello\n" });
}

function tlsArgs(certs: TestCertificates): string[] {
  return ["--tls-cert", certs.cert, "--tls-key", certs.key];
}

/** Sends raw requests over TLS (trusting one CA) and reads until the server closes. */
async function tlsExchange(
  port: number,
  caPem: string,
  raw: string,
): Promise<{ text: string; alpn: string | null }> {
  const conn = await Deno.connectTls({
    hostname: "127.0.0.1",
    port,
    caCerts: [caPem],
    alpnProtocols: ["h2", "http/1.1"],
  });
  try {
    const { alpnProtocol } = await conn.handshake();
    await writeAll(conn, bytes(raw));
    return { text: latin1(await readToEnd(conn)), alpn: alpnProtocol };
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the server already.
    }
  }
}

function run(cmd: string, args: string[], stdin?: string) {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    void writer.write(bytes(stdin)).then(() => writer.close());
  }
  return child.output().then((out) => ({
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  }));
}

async function csvRows(logDir: string): Promise<string[]> {
  return (await Deno.readTextFile(`${logDir}/SocketOutput.csv`)).trim().split("\n").slice(1);
}

Deno.test("HTTPS: Deno's client with the dev CA negotiates http/1.1 by ALPN and gets the page, logged like plain HTTP", async () => {
  const root = await site();
  const certs = await makeCertificates();
  const logDir = await Deno.makeTempDir();
  await using server = await startServer({ root, logDir, args: [...tlsArgs(certs), "--quiet"] });
  assert.match(server.stdout(), /Serving .* at https:\/\/127\.0\.0\.1:\d+\//);
  await eventually(() => /serving isolate/.test(server.stdout()), "the whole banner");
  assert.match(
    server.stdout(),
    /certificate: CN=localhost, O=sockserve development certificate, valid until \d{4}/,
  );
  const { text, alpn } = await tlsExchange(
    server.port,
    certs.caPem,
    "GET / HTTP/1.1\r\nHost: localhost\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
  );
  assert.equal(alpn, "http/1.1");
  const [first, second] = splitResponses(text);
  assert.equal(first.status, 200);
  assert.equal(first.body, INDEX);
  assert.equal(second.body, "hello\n");
  await server.stop();
  const rows = await csvRows(logDir);
  assert.equal(rows.length, 2);
  // The same 4-tuple on both rows: one kept-alive TLS connection.
  const tuple = (row: string) => row.split(",").slice(1, 5).join(",");
  assert.equal(tuple(rows[0]), tuple(rows[1]));
  assert.match(rows[0], /127\.0\.0\.1/);
  const heads = await Deno.readTextFile(`${logDir}/HTTPResponses.txt`);
  assert.equal(heads.match(/HTTP\/1\.1 200 OK/g)?.length, 2);
});

Deno.test("HTTPS: curl --cacert verifies the certificate for localhost and 127.0.0.1, and gets the file byte for byte", async () => {
  const root = await site();
  const certs = await makeCertificates();
  await using server = await startServer({ root, args: [...tlsArgs(certs), "--quiet"] });
  for (const host of ["localhost", "127.0.0.1"]) {
    const url = `https://${host}:${server.port}/hello.txt`;
    const out = await run("curl", [
      "-sS",
      "--cacert",
      certs.ca,
      ...(host === "localhost" ? ["--resolve", `localhost:${server.port}:127.0.0.1`] : []),
      "-w",
      "\n%{http_code} %{http_version} %{ssl_verify_result}",
      url,
    ]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, "hello\n\n200 1.1 0", host);
  }
  // Without the CA curl refuses: the certificate is really checked.
  const untrusted = await run("curl", ["-sS", `https://127.0.0.1:${server.port}/`]);
  assert.equal(untrusted.code, 60);
});

Deno.test("HTTPS: openssl s_client verifies the chain, sees ALPN http/1.1 and TLS 1.2 or 1.3, and is served", async () => {
  const root = await site();
  const certs = await makeCertificates();
  await using server = await startServer({ root, args: [...tlsArgs(certs), "--quiet"] });
  const out = await run("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${server.port}`,
    "-servername",
    "localhost",
    "-verify_hostname",
    "localhost",
    "-CAfile",
    certs.ca,
    "-alpn",
    "http/1.1",
    "-ign_eof",
  ], "GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  assert.match(out.stdout, /ALPN protocol: http\/1\.1/);
  assert.match(out.stdout, /Verify return code: 0 \(ok\)/);
  assert.match(out.stdout, /Protocol *: TLSv1\.[23]|New, TLSv1\.[23]/);
  assert.match(out.stdout, /HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello\n/);
});

Deno.test("HTTPS: a client offering only h2 fails the handshake (RFC 7301 §3.2), and the server keeps serving", async () => {
  const root = await site();
  const certs = await makeCertificates();
  await using server = await startServer({ root, args: [...tlsArgs(certs), "--quiet"] });
  const h2 = await run("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${server.port}`,
    "-alpn",
    "h2",
  ], "");
  assert.notEqual(h2.code, 0);
  assert.match(h2.stdout + h2.stderr, /no application protocol|alert number 120/i);
  const { text } = await tlsExchange(
    server.port,
    certs.caPem,
    "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
  );
  assert.equal(splitResponses(text)[0].status, 200);
  assert.equal(server.stderr(), "", "a failed handshake is not an error worth a line");
});

Deno.test("HTTPS: plain HTTP sent to the TLS port gets no HTTP answer and crashes nothing", async () => {
  const root = await site();
  const certs = await makeCertificates();
  await using server = await startServer({ root, args: [...tlsArgs(certs), "--quiet"] });
  for (let i = 0; i < 3; i++) {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await writeAll(conn, bytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    const reply = latin1(await readToEnd(conn));
    assert.ok(!reply.startsWith("HTTP/"), JSON.stringify(reply));
  }
  const { text } = await tlsExchange(
    server.port,
    certs.caPem,
    "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
  );
  assert.equal(splitResponses(text)[0].status, 200);
  assert.equal(server.stderr(), "");
});

Deno.test("HTTPS: a handshake that does not finish within the header timeout is dropped (slowloris at the TLS layer)", async () => {
  const root = await site();
  const certs = await makeCertificates();
  await using server = await startServer({
    root,
    args: [...tlsArgs(certs), "--quiet", "--header-timeout", "1"],
  });
  // Half a ClientHello record header, then silence: the server must hang up by itself.
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await writeAll(conn, new Uint8Array([0x16, 0x03, 0x01]));
  const reply = await readToEnd(conn);
  assert.equal(reply.length, 0);
  // A client that sends nothing at all is dropped the same way.
  using silent = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  assert.equal((await readToEnd(silent)).length, 0);
  // A real client is still served (retried: the 1 s header timeout also bounds its handshake,
  // which a loaded machine could stretch).
  await eventually(() => trusts(server.port, certs.caPem), "a real client served");
});

/** The inodes of the sockets a process holds open, from /proc/PID/fd (Linux). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`));
      if (inode !== null) inodes.add(inode[1]);
    } catch {
      // Closed while listing.
    }
  }
  return inodes;
}

/**
 * The sockets of the connections a process holds open on one of its ports: those of its sockets
 * that /proc/net/tcp{,6} lists with that local port and not listening (state 0A). Only these:
 * the process opens other sockets of its own at times (Deno's signal pipe, the DNS lookup of
 * Deno's update check), which a count of every socket would take for connections.
 */
function connectionInodes(pid: number, port: number): Set<string> {
  const local = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const listed = new Set<string>();
  for (const table of ["tcp", "tcp6"]) {
    for (const line of Deno.readTextFileSync(`/proc/${pid}/net/${table}`).split("\n")) {
      // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode"
      const fields = line.trim().split(/\s+/);
      if (fields.length >= 10 && fields[1].endsWith(local) && fields[3] !== "0A") {
        listed.add(fields[9]);
      }
    }
  }
  return new Set([...socketInodes(pid)].filter((inode) => listed.has(inode)));
}

for (const workers of [1, 2]) {
  Deno.test(`HTTPS: abandoned handshakes give their sockets back (Deno alone would keep them until the client leaves; ${workers} isolate${workers > 1 ? "s" : ""})`, async () => {
    const root = await site();
    const certs = await makeCertificates();
    await using server = await startServer({
      root,
      args: [...tlsArgs(certs), "--quiet", "--header-timeout", "1", "--workers", String(workers)],
    });
    const pid = server.process.pid;
    const stalled: Deno.Conn[] = [];
    for (let i = 0; i < 30; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await writeAll(conn, new Uint8Array([0x16, 0x03, 0x01]));
      stalled.push(conn);
    }
    // Every connection seen in any poll: on a slow machine the first may be freed (after the
    // 1 s header timeout) before the last is accepted, so no single poll need show all 30.
    const held = new Set<string>();
    await eventually(() => {
      for (const inode of connectionInodes(pid, server.port)) held.add(inode);
      return held.size >= 30;
    }, "the stalled connections accepted");
    // Every client stays connected and silent; the server must end each connection itself.
    // Generous: on a loaded machine freeing them once took over 10 s (alone: 1-3 s).
    await eventually(
      () => ![...socketInodes(pid)].some((inode) => held.has(inode)),
      "the sockets freed",
      3000,
    );
    for (const conn of stalled) assert.equal((await readToEnd(conn)).length, 0);
    for (const conn of stalled) conn.close();
    await eventually(() => trusts(server.port, certs.caPem), "a real client served", 50);
  });
}

Deno.test("HTTPS: the parser's limits apply inside TLS too (an oversized head gets 431)", async () => {
  const root = await site();
  const certs = await makeCertificates();
  await using server = await startServer({ root, args: [...tlsArgs(certs), "--quiet"] });
  const { text } = await tlsExchange(
    server.port,
    certs.caPem,
    `GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${"a".repeat(20 * 1024)}\r\n\r\n`,
  );
  assert.match(text, /^HTTP\/1\.1 431 /);
});

/** Opens a kept-alive TLS connection and sends one request on it; returns a way to send more. */
async function keptAlive(port: number, caPem: string) {
  const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [caPem] });
  const buf = new Uint8Array(64 * 1024);
  const ask = async (path: string): Promise<number> => {
    await writeAll(conn, bytes(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`));
    let text = "";
    while (
      !/\r\n\r\n/.test(text) ||
      text.length <
        text.indexOf("\r\n\r\n") + 4 + Number(/content-length: (\d+)/i.exec(text)?.[1] ?? 0)
    ) {
      const n = await conn.read(buf);
      if (n === null) throw new Error("closed");
      text += latin1(buf.subarray(0, n));
    }
    return Number(text.split(" ")[1]);
  };
  return { ask, close: () => conn.close() };
}

async function trusts(port: number, caPem: string): Promise<boolean> {
  try {
    const { text } = await tlsExchange(
      port,
      caPem,
      "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    return text.startsWith("HTTP/1.1 200");
  } catch {
    return false;
  }
}

for (const workers of [1, 2]) {
  Deno.test(`HTTPS reload on SIGHUP: new handshakes get the new certificate, an open keep-alive connection goes on (${workers} isolate${workers > 1 ? "s" : ""})`, async () => {
    const root = await site();
    const first = await makeCertificates();
    await using server = await startServer({
      root,
      args: [...tlsArgs(first), "--quiet", "--idle-timeout", "60", "--workers", String(workers)],
    });
    const open = await keptAlive(server.port, first.caPem);
    assert.equal(await open.ask("/"), 200);
    // A new CA and leaf written over the same files (what a renewal does).
    const second = await makeCertificates({ dir: first.dir });
    server.process.kill("SIGHUP");
    await eventually(
      () => /Reloaded the certificate \(SIGHUP\)/.test(server.stderr()),
      "the reload note",
    );
    for (let i = 0; i < 4; i++) {
      assert.ok(await trusts(server.port, second.caPem), "new handshakes use the new certificate");
      assert.ok(!(await trusts(server.port, first.caPem)), "…and no longer the old one");
    }
    assert.equal(await open.ask("/hello.txt"), 200, "the open connection keeps its session");
    open.close();
  });
}

Deno.test("HTTPS reload with a bad new pair keeps the current certificate, with a one-line warning", async () => {
  const root = await site();
  const certs = await makeCertificates();
  await using server = await startServer({ root, args: [...tlsArgs(certs), "--quiet"] });
  const other = await makeCertificates();
  await Deno.writeTextFile(certs.key, other.keyPem);
  server.process.kill("SIGHUP");
  await eventually(
    () => /Warning: kept the current certificate/.test(server.stderr()),
    "the warning",
  );
  assert.match(
    server.stderr(),
    /^Warning: kept the current certificate \(SIGHUP\): .*key\.pem does not belong to the certificate in .*cert\.pem/m,
  );
  assert.ok(await trusts(server.port, certs.caPem));
});

Deno.test("HTTPS at start: every bad file exits 2 with its one line, before listening", async () => {
  const root = await site();
  const certs = await makeCertificates();
  const other = await makeCertificates();
  const expired = await makeCertificates({ daysAgo: 400 });
  const dir = certs.dir;
  const der = `${dir}/cert.der`;
  await run("openssl", ["x509", "-in", certs.cert, "-outform", "der", "-out", der]);
  const encrypted = `${dir}/encrypted.pem`;
  await run("openssl", [
    "pkey",
    "-in",
    certs.key,
    "-aes256",
    "-passout",
    "pass:x",
    "-out",
    encrypted,
  ]);
  const inRoot = `${root}/key.pem`;
  await Deno.copyFile(certs.key, inRoot);
  const cases: [string[], RegExp][] = [
    [["--tls-cert", certs.cert], /^--tls-cert and --tls-key go together: give both, as PEM files$/],
    [["--tls-key", certs.key], /^--tls-cert and --tls-key go together/],
    [["--tls-cert", `${dir}/none.pem`, "--tls-key", certs.key], /^\/.*\/none\.pem not found$/],
    [
      ["--tls-cert", der, "--tls-key", certs.key],
      /cert\.der is DER \(binary\), not PEM: convert it with "openssl x509 -inform der/,
    ],
    [
      ["--tls-cert", certs.cert, "--tls-key", encrypted],
      /encrypted\.pem is encrypted with a passphrase/,
    ],
    [
      ["--tls-cert", certs.key, "--tls-key", certs.cert],
      /holds a private key, not a certificate: are --tls-cert and --tls-key swapped\?$/,
    ],
    [
      ["--tls-cert", certs.cert, "--tls-key", other.key],
      /key\.pem does not belong to the certificate in .*cert\.pem/,
    ],
    [
      ["--tls-cert", expired.cert, "--tls-key", expired.key],
      /cert\.pem expired on \d{4}-\d\d-\d\d/,
    ],
    [
      ["--tls-cert", certs.cert, "--tls-key", inRoot],
      /key\.pem is inside the served root .*: anyone could download the private key; move it out\.$/,
    ],
    [["--hsts"], /^--hsts needs HTTPS: give --tls-cert and --tls-key too$/],
    [["--https-redirect-port", "8081"], /^--https-redirect-port needs HTTPS/],
  ];
  for (const [args, message] of cases) {
    const [cmd, ...rest] = launcher(["--allow-all"], ["--root", root, "--port", "0", ...args]);
    const out = await new Deno.Command(cmd, { args: rest, stdin: "null" }).output();
    const stderr = new TextDecoder().decode(out.stderr).trim();
    assert.equal(out.code, 2, `${args.join(" ")}: ${stderr}`);
    assert.match(stderr, message, args.join(" "));
    assert.equal(stderr.split("\n").length, 1, `${args.join(" ")}: one line`);
    assert.doesNotMatch(new TextDecoder().decode(out.stdout), /Serving/);
  }
});

Deno.test("HTTPS at start: a certificate expiring within 7 days starts, with a warning", async () => {
  const root = await site();
  const soon = await makeCertificates({ daysAgo: 393 });
  await using server = await startServer({ root, args: [...tlsArgs(soon), "--quiet"] });
  assert.match(server.stderr(), /^Warning: the certificate in .*cert\.pem expires in [34] days/m);
});

async function plain(port: number, raw: string) {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(conn, bytes(raw));
  return splitResponses(latin1(await readToEnd(conn)), new Set(raw.startsWith("HEAD") ? [0] : []));
}

Deno.test("--https-redirect-port answers 308 to the same target over HTTPS, after the Host policy, and logs it", async () => {
  const root = await site();
  const certs = await makeCertificates();
  const logDir = await Deno.makeTempDir();
  await using server = await startServer({
    root,
    logDir,
    args: [...tlsArgs(certs), "--quiet", "--https-redirect-port", "0"],
  });
  const port = await redirectPortOf(server);
  assert.notEqual(port, server.port);
  const [moved] = await plain(
    port,
    "GET /a/b.txt?x=1&y HTTP/1.1\r\nHost: localhost:" + port + "\r\nConnection: close\r\n\r\n",
  );
  assert.equal(moved.statusLine, "HTTP/1.1 308 Permanent Redirect");
  assert.equal(moved.headers.get("location"), `https://localhost:${server.port}/a/b.txt?x=1&y`);
  const [head] = await plain(
    port,
    `HEAD / HTTP/1.1\r\nHost: [::1]:${port}\r\nConnection: close\r\n\r\n`,
  );
  assert.equal(head.status, 308);
  assert.equal(head.headers.get("location"), `https://[::1]:${server.port}/`);
  assert.equal(head.body, "");
  // No Host (HTTP/1.0): the address the client reached.
  const [bare] = await plain(port, "GET /x HTTP/1.0\r\n\r\n");
  assert.equal(bare.headers.get("location"), `https://127.0.0.1:${server.port}/x`);
  // The DNS-rebinding Host policy comes first, as on the HTTPS port.
  const [misdirected] = await plain(port, "GET / HTTP/1.1\r\nHost: attacker.example\r\n\r\n");
  assert.equal(misdirected.status, 421);
  // And the parser's refusals are the same.
  const [bad] = await plain(port, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  assert.equal(bad.status, 400);
  // curl follows it to the page.
  const curl = await run("curl", [
    "-sS",
    "-L",
    "--cacert",
    certs.ca,
    "--resolve",
    `localhost:${server.port}:127.0.0.1`,
    "--resolve",
    `localhost:${port}:127.0.0.1`,
    `http://localhost:${port}/hello.txt`,
  ]);
  assert.equal(curl.stdout, "hello\n", curl.stderr);
  await server.stop();
  const rows = await csvRows(logDir);
  assert.ok(rows.some((row) => row.includes(",308,") || row.endsWith(",308")), rows.join("\n"));
  const heads = await Deno.readTextFile(`${logDir}/HTTPResponses.txt`);
  assert.match(
    heads,
    /HTTP\/1\.1 308 Permanent Redirect\r?\n(.*\r?\n)*?Location: https:\/\/localhost:\d+\/a\/b\.txt\?x=1&y/,
  );
});

Deno.test("--hsts: Strict-Transport-Security on HTTPS responses for domain names only, never for localhost or IP literals, never on plain HTTP", async () => {
  const root = await site();
  const certs = await makeCertificates({ names: ["example.test"] });
  await using server = await startServer({
    root,
    args: [...tlsArgs(certs), "--quiet", "--any-host", "--hsts", "--https-redirect-port", "0"],
  });
  const hsts = async (host: string) => {
    const { text } = await tlsExchange(
      server.port,
      certs.caPem,
      `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    );
    return splitResponses(text)[0].headers.get("strict-transport-security") ?? null;
  };
  // Alternating, so a hot file's reused response cannot carry one Host's answer to another.
  for (let round = 0; round < 2; round++) {
    assert.equal(await hsts("example.test"), "max-age=31536000");
    assert.equal(await hsts("www.example.test:443"), "max-age=31536000");
    for (const host of ["localhost", "app.localhost", "127.0.0.1", "[::1]", "10.0.0.1:8443"]) {
      assert.equal(await hsts(host), null, host);
    }
  }
  const [redirected] = await plain(
    await redirectPortOf(server),
    "GET / HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n",
  );
  assert.equal(redirected.status, 308);
  assert.equal(redirected.headers.get("strict-transport-security"), undefined);
});

Deno.test("--hsts=SECONDS sets the max-age", async () => {
  const root = await site();
  const certs = await makeCertificates();
  await using server = await startServer({
    root,
    args: [...tlsArgs(certs), "--quiet", "--any-host", "--hsts=600"],
  });
  const { text } = await tlsExchange(
    server.port,
    certs.caPem,
    "GET / HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n",
  );
  assert.equal(splitResponses(text)[0].headers.get("strict-transport-security"), "max-age=600");
});

Deno.test("HTTPS with scoped Deno flags (direct mode): the certificate files need read access, named at start", async () => {
  const root = await site();
  const certs = await makeCertificates();
  const logDir = await Deno.makeTempDir();
  const scoped = ["--allow-net=127.0.0.1", `--allow-read=${root}`, `--allow-write=${logDir}`];
  const [cmd, ...rest] = launcher(scoped, [
    "--root",
    root,
    "--log-dir",
    logDir,
    "--port",
    "0",
    ...tlsArgs(certs),
  ], true);
  const refused = await new Deno.Command(cmd, { args: rest, stdin: "null" }).output();
  assert.equal(refused.code, 2);
  assert.match(
    new TextDecoder().decode(refused.stderr),
    /^Read access to ".*cert\.pem" is not granted: add --allow-read=/,
  );
  await using server = await startServer({
    root,
    logDir,
    denoRun: true,
    permissions: [...scoped.slice(0, 1), `--allow-read=${root},${certs.dir}`, scoped[2]],
    args: [...tlsArgs(certs), "--quiet"],
  });
  assert.ok(await trusts(server.port, certs.caPem));
});
