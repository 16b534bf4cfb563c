/**
 * sockserve get: pure pieces, then the command as a process against sockserve and against
 * scripted servers that misbehave on purpose.
 */

import assert from "node:assert/strict";
import {
  exitCodeFor,
  formatProgress,
  formatRequest,
  type GetOptions,
  isTextBody,
} from "../../src/client/get.ts";
import { type GetCommand, parseGetArgs } from "../../src/client/args.ts";
import { SOCKETS_FILE } from "../../src/log/format.ts";
import { bytes, launcher, makeTree, readToEnd, startServer, writeAll } from "../helpers.ts";

function options(args: string[]): GetCommand {
  const command = parseGetArgs(args);
  assert.equal(command.kind, "get", JSON.stringify(command));
  return command as GetCommand;
}

function usageError(args: string[]): string {
  const command = parseGetArgs(args);
  assert.equal(command.kind, "error", `${args.join(" ")} should fail`);
  return command.kind === "error" ? command.message : "";
}

Deno.test("parseGetArgs() defaults to 127.0.0.1, 8080, / and takes host, port, path in order", () => {
  const d = options([]);
  assert.deepEqual([d.host, d.port, d.path, d.method, d.timeoutS, d.keep], [
    "127.0.0.1",
    8080,
    "/",
    "GET",
    30,
    0,
  ]);
  const p = options(["example.org", "9000", "a/b?c=1"]);
  assert.deepEqual([p.host, p.port, p.path], ["example.org", 9000, "/a/b?c=1"]);
});

Deno.test("parseGetArgs() accepts an http URL, with IPv6 hosts and the default port 80", () => {
  const u = options(["http://localhost:8000/x/y?q"]);
  assert.deepEqual([u.host, u.port, u.path], ["localhost", 8000, "/x/y?q"]);
  const v6 = options(["http://[::1]/"]);
  assert.deepEqual([v6.host, v6.port, v6.path], ["::1", 80, "/"]);
  assert.match(usageError(["https://example.org/"]), /Only http:\/\/ URLs/);
});

Deno.test("parseGetArgs() reads -I, -o, repeated -H, --timeout, -v, --raw and -k", () => {
  const o = options([
    "-I",
    "-o",
    "out.bin",
    "-H",
    "X-A: 1",
    "-H",
    "Range: bytes=0-1",
    "--timeout",
    "2.5",
    "-v",
    "--raw",
    "-k",
    "3",
  ]);
  assert.equal(o.method, "HEAD");
  assert.equal(o.output, "out.bin");
  assert.deepEqual(o.headers, [["X-A", "1"], ["Range", "bytes=0-1"]]);
  assert.deepEqual([o.timeoutS, o.verbose, o.raw, o.keep], [2.5, true, true, 3]);
});

Deno.test("parseGetArgs() refuses bad ports, headers, paths, keep counts and timeouts in one line", () => {
  assert.match(usageError(["h", "0"]), /Port must be an integer from 1/);
  assert.match(usageError(["h", "http"]), /Port must be/);
  assert.match(usageError(["-H", "no colon"]), /A header must look like/);
  assert.match(usageError(["-H", "Bad Name: x"]), /A header must look like/);
  assert.match(usageError(["h", "80", "/a b"]), /printable ASCII/);
  assert.match(usageError(["-k", "0"]), /--keep must be/);
  assert.match(usageError(["--timeout", "-1"]), /timeout|ambiguous/);
  assert.match(usageError(["a", "1", "/", "extra"]), /Unexpected argument "extra"/);
  assert.equal(parseGetArgs(["--help"]).kind, "get-help");
});

const BASE: GetOptions = options(["127.0.0.1", "8080", "/a"]);

Deno.test("formatRequest() writes Host, User-Agent, Accept, user fields and Connection", () => {
  const text = formatRequest(
    { ...BASE, headers: [["X-A", "1"], ["Connection", "upgrade"]] },
    false,
  );
  assert.match(
    text,
    /^GET \/a HTTP\/1\.1\r\nHost: 127\.0\.0\.1:8080\r\nUser-Agent: sockserve\/[\d.]+\r\nAccept: \*\/\*\r\nX-A: 1\r\nConnection: close\r\n\r\n$/,
  );
  assert.match(formatRequest(BASE, true), /Connection: keep-alive\r\n\r\n$/);
  assert.match(
    formatRequest({ ...BASE, headers: [["host", "other"]] }, false),
    /^GET \/a HTTP\/1\.1\r\nUser-Agent/,
  );
  assert.match(formatRequest({ ...BASE, host: "::1", port: 80 }, false), /Host: \[::1\]\r\n/);
});

Deno.test("isTextBody() prints text types and refuses NUL bytes and binary types", () => {
  const text = bytes("hello");
  assert.equal(isTextBody("text/html; charset=utf-8", text), true);
  assert.equal(isTextBody("application/json", text), true);
  assert.equal(isTextBody("application/ld+json", text), true);
  assert.equal(isTextBody(undefined, text), true);
  assert.equal(isTextBody("image/png", text), false);
  assert.equal(isTextBody("text/plain", new Uint8Array([104, 0, 105])), false);
});

Deno.test("formatProgress() shows bytes, percent when the length is known, and rate", () => {
  assert.equal(
    formatProgress(512 * 1024, 1024 * 1024, 1000),
    "512.0 KiB / 1.0 MiB  50%  512.0 KiB/s",
  );
  assert.equal(formatProgress(2048, null, 2000), "2.0 KiB  1.0 KiB/s");
});

Deno.test("exitCodeFor() is 0 for 2xx and 3xx, 1 for 4xx and 5xx", () => {
  assert.deepEqual([200, 206, 301, 304, 400, 404, 500].map(exitCodeFor), [0, 0, 0, 0, 1, 1, 1]);
});

/** Runs `main.ts get …` and returns exit code, stdout and stderr. */
async function runGet(args: string[], cwd?: string) {
  const [cmd, ...rest] = launcher(["--allow-net", "--allow-write"], ["get", ...args]);
  const out = await new Deno.Command(cmd, { args: rest, cwd, stdin: "null" }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
    raw: out.stdout,
  };
}

/** A one-shot server that reads a request head and answers with `respond`. */
function scripted(respond: (conn: Deno.Conn, request: string) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    for await (const conn of listener) {
      try {
        let request = "";
        const buf = new Uint8Array(16 * 1024);
        while (!request.includes("\r\n\r\n")) {
          const n = await conn.read(buf);
          if (n === null) break;
          request += new TextDecoder().decode(buf.subarray(0, n));
        }
        await respond(conn, request);
      } catch {
        // The client may give up first; that is what some tests check.
      } finally {
        try {
          conn.close();
        } catch {
          // Already closed by the script.
        }
      }
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await served;
    },
  };
}

const send = (text: string) => async (conn: Deno.Conn) => void await writeAll(conn, bytes(text));

Deno.test("get prints the server address, status line, headers and body of sockserve's answer", async () => {
  const root = await makeTree({ "hello.txt": "hello\n" });
  await using server = await startServer({ root, args: ["--quiet"] });
  const result = await runGet(["127.0.0.1", String(server.port), "/hello.txt"]);
  assert.equal(result.code, 0);
  const lines = result.stdout.split("\n");
  assert.equal(lines[0], `Server address: 127.0.0.1:${server.port}`);
  assert.equal(lines[1], "HTTP/1.1 200 OK");
  assert.ok(lines.includes("Content-Length: 6"));
  assert.ok(result.stdout.endsWith("\n\nhello\n"));
});

Deno.test("get exits 1 for a 404, and -I sends HEAD with no body", async () => {
  const root = await makeTree({ "hello.txt": "hello\n" });
  await using server = await startServer({ root, args: ["--quiet"] });
  const missing = await runGet([`http://127.0.0.1:${server.port}/missing`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, /HTTP\/1\.1 404 Not Found/);
  const head = await runGet(["-I", `http://127.0.0.1:${server.port}/hello.txt`]);
  assert.equal(head.code, 0);
  assert.ok(head.stdout.endsWith("Connection: close\n\n"));
});

Deno.test("get -k N sends N requests on one persistent connection", async () => {
  const root = await makeTree({ "hello.txt": "hello\n" });
  const logDir = await Deno.makeTempDir();
  const server = await startServer({ root, logDir, args: ["--quiet"] });
  const result = await runGet(["-k", "3", `http://127.0.0.1:${server.port}/hello.txt`]);
  assert.equal(result.code, 0);
  assert.deepEqual(result.stdout.trim().split("\n").slice(1), [
    "#1 HTTP/1.1 200 OK (6 body bytes)",
    "#2 HTTP/1.1 200 OK (6 body bytes)",
    "#3 HTTP/1.1 200 OK (6 body bytes)",
  ]);
  await server.stop();
  const rows = (await Deno.readTextFile(`${logDir}/${SOCKETS_FILE}`)).trim().split("\n").slice(1);
  assert.deepEqual(rows.map((r) => r.split(",").slice(5, 7).join(",")), ["1,1", "1,2", "1,3"]);
});

Deno.test("get -v shows the request it sent on stderr", async () => {
  await using server = scripted(send("HTTP/1.1 204 No Content\r\n\r\n"));
  const result = await runGet(["-v", "-H", "X-Test: yes", "127.0.0.1", String(server.port), "/v"]);
  assert.equal(result.code, 0);
  assert.match(
    result.stderr,
    /^> GET \/v HTTP\/1\.1\n> Host: 127\.0\.0\.1:\d+\n> User-Agent: .*\n> Accept: \*\/\*\n> X-Test: yes\n> Connection: close\n>\n$/,
  );
});

Deno.test("get --raw prints the response bytes exactly as received", async () => {
  const response = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Odd:  spaced \r\n\r\nabc";
  await using server = scripted(send(response));
  const result = await runGet(["--raw", "127.0.0.1", String(server.port)]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, response);
});

Deno.test("get decodes a chunked body with trailers", async () => {
  await using server = scripted(
    send(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n5\r\nhello\r\n7;x=y\r\n, world\r\n0\r\nX-Checksum: 1\r\n\r\n",
    ),
  );
  const result = await runGet(["127.0.0.1", String(server.port)]);
  assert.equal(result.code, 0);
  assert.ok(result.stdout.endsWith("\n\nhello, world"), result.stdout);
});

Deno.test("get skips a 100 Continue interim response", async () => {
  await using server = scripted(
    send("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
  );
  const result = await runGet(["127.0.0.1", String(server.port)]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^Server address: [^\n]+\nHTTP\/1\.1 200 OK\n/);
  assert.ok(result.stdout.endsWith("\n\nok"));
});

Deno.test("get reads a body delimited by the connection closing", async () => {
  await using server = scripted(
    send("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close"),
  );
  const result = await runGet(["127.0.0.1", String(server.port)]);
  assert.equal(result.code, 0);
  assert.ok(result.stdout.endsWith("\n\nuntil close"));
});

Deno.test("get reports a truncated body as an error and leaves no file for -o", async () => {
  const dir = await Deno.makeTempDir();
  await using server = scripted(
    send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"),
  );
  const result = await runGet(["-o", `${dir}/out.txt`, "127.0.0.1", String(server.port)]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, "Response body truncated: got 9 of 100 bytes\n");
  assert.deepEqual([...Deno.readDirSync(dir)], []);
});

Deno.test("get reports a truncated chunked body as an error", async () => {
  await using server = scripted(
    send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort"),
  );
  const result = await runGet(["127.0.0.1", String(server.port)]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^Chunked response body truncated/);
});

Deno.test("get refuses oversized response headers and garbage as malformed", async () => {
  {
    await using server = scripted(
      send(`HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`),
    );
    const result = await runGet(["127.0.0.1", String(server.port)]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, "Malformed response: Response header section is too large\n");
  }
  {
    await using server = scripted(send("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
    const result = await runGet(["127.0.0.1", String(server.port)]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, "Malformed response: Status line is malformed\n");
  }
});

Deno.test("get explains a refused connection, a timeout and a DNS failure in one line, exit 2", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const refused = await runGet(["127.0.0.1", String(port)]);
  assert.deepEqual([refused.code, refused.stderr], [
    2,
    `Connection refused by 127.0.0.1:${port}\n`,
  ]);

  await using silent = scripted((conn) => readToEnd(conn).then(() => {}));
  const slow = await runGet(["--timeout", "0.5", "127.0.0.1", String(silent.port)]);
  assert.deepEqual([slow.code, slow.stderr], [2, "Timed out: no data for 0.5 s\n"]);

  const dns = await runGet(["--timeout", "10", "nonexistent.invalid", "80"]);
  assert.deepEqual([dns.code, dns.stderr], [2, 'Cannot resolve host "nonexistent.invalid"\n']);
});

Deno.test("get does not dump a binary body to a terminal but says how to save it; a pipe gets the bytes", async () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const respond = async (conn: Deno.Conn) => {
    await writeAll(
      conn,
      bytes("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 8\r\n\r\n"),
    );
    await writeAll(conn, png);
  };
  {
    await using server = scripted(respond);
    const piped = await runGet(["127.0.0.1", String(server.port)]);
    assert.equal(piped.code, 0);
    assert.deepEqual([...piped.raw.slice(-8)], [...png]);
  }
  {
    await using server = scripted(respond);
    // `script` (util-linux) gives the command a pseudo-terminal as stdout.
    const line = launcher(["--allow-net"], ["get", "127.0.0.1", String(server.port)])
      .map((word) => `'${word}'`).join(" ");
    const out = await new Deno.Command("script", { args: ["-qec", line, "/dev/null"] }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, text);
    assert.match(text, /\[8 bytes of image\/png; use -o FILE to save\]/);
    assert.ok(!text.includes("PNG"));
  }
});

Deno.test("get -o writes a 50 MiB body byte-identical with bounded memory", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  const size = 50 * 1024 * 1024;
  const block = new Uint8Array(1024 * 1024).map((_, i) => (i * 7) % 256);
  const dir = await Deno.makeTempDir();
  let clientPid = 0;
  const peaks: number[] = [];
  const hwm = async () => {
    const status = await Deno.readTextFile(`/proc/${clientPid}/status`);
    return Number(/VmHWM:\s+(\d+)/.exec(status)![1]) * 1024;
  };
  await using server = scripted(async (conn) => {
    await writeAll(
      conn,
      bytes(
        `HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
    );
    for (let i = 0; i < 50; i++) {
      block[0] = i;
      await writeAll(conn, block);
      // Sample the client's peak memory as the download goes: after 2 MiB and near the end.
      if (i === 1 || i === 48) peaks.push(await hwm());
    }
  });
  const [cmd, ...rest] = launcher(["--allow-net", "--allow-write"], [
    "get",
    "-o",
    `${dir}/big.bin`,
    "127.0.0.1",
    String(server.port),
  ]);
  const child = new Deno.Command(cmd, { args: rest, stdout: "null", stderr: "piped" }).spawn();
  clientPid = child.pid;
  const status = await child.output();
  assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
  const file = await Deno.readFile(`${dir}/big.bin`);
  assert.equal(file.length, size);
  for (let i = 0; i < 50; i++) {
    assert.equal(file[i * 1024 * 1024], i, `block ${i}`);
    assert.equal(file[i * 1024 * 1024 + 1], 7);
  }
  assert.equal(peaks.length, 2);
  const growth = peaks[1] - peaks[0];
  assert.ok(
    growth < 24 * 1024 * 1024,
    `client peak memory grew by ${growth} bytes over a ${size}-byte download`,
  );
});
