/**
 * sockserve get: pure pieces, then the command as a process against sockserve and against
 * scripted servers that misbehave on purpose.
 */

import assert from "node:assert/strict";
import {
  exitCodeFor,
  formatRequest,
  type GetOptions,
  isTextBody,
  resolveOutputPath,
} from "../../src/client/get.ts";
import { type GetCommand, parseGetArgs } from "../../src/client/args.ts";
import { MAX_REDIRECTS } from "../../src/limits.ts";
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
  ]);
  assert.equal(o.method, "HEAD");
  assert.deepEqual(o.output, { kind: "file", path: "out.bin" });
  assert.deepEqual(o.headers, [["X-A", "1"], ["Range", "bytes=0-1"]]);
  assert.deepEqual([o.timeoutS, o.verbose, o.raw, o.keep], [2.5, true, true, 0]);
  const k = options(["-k", "3", "--raw"]);
  assert.deepEqual([k.keep, k.raw], [3, true]);
});

Deno.test("parseGetArgs() reads -b, -o -, -L and --location-any-host (which implies -L)", () => {
  const d = options([]);
  assert.deepEqual([d.output, d.bodyOnly, d.follow], [{ kind: "show" }, false, "none"]);
  const b = options(["-b", "-o", "-", "-L"]);
  assert.deepEqual([b.output, b.bodyOnly, b.follow], [{ kind: "stdout" }, true, "same-origin"]);
  assert.equal(options(["--body", "--location"]).follow, "same-origin");
  assert.equal(options(["--location-any-host"]).follow, "any-host");
  assert.equal(options(["-L", "--location-any-host"]).follow, "any-host");
  assert.deepEqual(options(["-o", "./-"]).output, { kind: "file", path: "./-" });
});

Deno.test("parseGetArgs() refuses --raw with -b, -o - or -L, and -k with -b, -o or -L", () => {
  for (const extra of [["-b"], ["-o", "-"], ["-L"], ["--location-any-host"]]) {
    assert.equal(
      usageError(["--raw", ...extra]),
      "--raw prints one response exactly as received: not with -b, -o - or -L",
    );
  }
  for (const extra of [["-b"], ["-o", "x"], ["-L"]]) {
    assert.equal(
      usageError(["-k", "2", ...extra]),
      "-k reports a line per response: not with -b, -o or -L",
    );
  }
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

Deno.test("resolveOutputPath() puts a relative -o path in INIT_CWD, and leaves the rest alone", () => {
  assert.equal(resolveOutputPath("out.bin", "/home/me/dl"), "/home/me/dl/out.bin");
  assert.equal(resolveOutputPath("sub/../x/out.bin", "/home/me"), "/home/me/x/out.bin");
  assert.equal(resolveOutputPath("/tmp/out.bin", "/home/me"), "/tmp/out.bin");
  assert.equal(resolveOutputPath("out.bin", null), "out.bin");
  assert.equal(resolveOutputPath("out.bin", "relative/dir"), "out.bin");
});

Deno.test("exitCodeFor() is 0 for 2xx and 3xx, 1 for 4xx and 5xx", () => {
  assert.deepEqual([200, 206, 301, 304, 400, 404, 500].map(exitCodeFor), [0, 0, 0, 0, 1, 1, 1]);
});

/** How {@linkcode runGet} starts the client. */
interface RunOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  /** Deno permission flags; default: those the get task had before INIT_CWD. */
  readonly permissions?: readonly string[];
  /** Use `deno run` even when SOCKSERVE_BIN names a binary (its permissions are all). */
  readonly denoRun?: boolean;
}

/** Runs `main.ts get …` and returns exit code, stdout and stderr. */
async function runGet(args: string[], options: RunOptions = {}) {
  const [cmd, ...rest] = launcher(
    options.permissions ?? ["--allow-net", "--allow-write"],
    ["get", ...args],
    options.denoRun,
  );
  const out = await new Deno.Command(cmd, {
    args: rest,
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
  }).output();
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
  assert.match(result.stderr, /^Server address: 127\.0\.0\.1:\d+\n$/);
});

Deno.test("get --raw -o FILE prints the bytes as received and saves the body", async () => {
  const dir = await Deno.makeTempDir();
  const response = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
  await using server = scripted(send(response));
  const result = await runGet(["--raw", "-o", `${dir}/out.txt`, "127.0.0.1", String(server.port)]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, response);
  assert.equal(await Deno.readTextFile(`${dir}/out.txt`), "abc");
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
    assert.match(text, /\[8 bytes of image\/png; use -o FILE to save, -o - to print\]/);
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

/**
 * Runs `main.ts get …` under `script` (util-linux), so stdout and stderr are a pseudo-terminal
 * (unless `redirect` sends stdout to a file); returns what the terminal showed.
 */
async function runGetOnTerminal(args: string[], redirect = "") {
  const line = launcher(["--allow-net", "--allow-write"], ["get", ...args])
    .map((word) => `'${word}'`).join(" ") + redirect;
  const out = await new Deno.Command("script", { args: ["-qec", line, "/dev/null"] }).output();
  return { code: out.code, text: new TextDecoder().decode(out.stdout) };
}

/** A scripted server that answers by request-target and keeps every request head it gets. */
function routed(answer: (target: string, port: number) => string) {
  const requests: string[] = [];
  let port = 0;
  const server = scripted(async (conn, request) => {
    requests.push(request);
    await writeAll(conn, bytes(answer(request.split(" ")[1], port)));
  });
  port = server.port;
  return Object.assign(server, { requests });
}

const moved = (status: number, location: string) =>
  `HTTP/1.1 ${status} Moved\r\nLocation: ${location}\r\nContent-Length: 0\r\n\r\n`;
const ok = (body: string) =>
  `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
const requestLines = (requests: string[]) => requests.map((r) => r.split("\r\n")[0]);
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

Deno.test("get -L follows a same-origin chain of 301, 302, 307 and 308, resolving relative Locations", async () => {
  await using server = routed((target, port) =>
    ({
      "/dir/a": moved(301, "../c/d"),
      "/c/d": moved(302, `http://127.0.0.1:${port}/e?x=1`),
      "/e?x=1": moved(307, "f#ignored"),
      "/f": moved(308, "?y=2"),
      "/f?y=2": ok("done"),
    })[target] ?? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
  );
  const result = await runGet(["-L", "-v", `http://127.0.0.1:${server.port}/dir/a`]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(requestLines(server.requests), [
    "GET /dir/a HTTP/1.1",
    "GET /c/d HTTP/1.1",
    "GET /e?x=1 HTTP/1.1",
    "GET /f HTTP/1.1",
    "GET /f?y=2 HTTP/1.1",
  ]);
  for (const request of server.requests) {
    assert.match(request, new RegExp(`\r\nHost: 127\\.0\\.0\\.1:${server.port}\r\n`));
  }
  // stdout has the final response only; stderr (-v) has every hop's request.
  assert.match(result.stdout, /^Server address: [^\n]+\nHTTP\/1\.1 200 OK\n/);
  assert.equal(result.stdout.match(/^HTTP\/1\.1 /gm)?.length, 1);
  assert.ok(result.stdout.endsWith("\n\ndone"));
  assert.equal(result.stderr.match(/^> GET /gm)?.length, 5);
  assert.match(
    result.stderr,
    /\n>\n< HTTP\/1\.1 301 Moved\n< Location: \.\.\/c\/d\n> GET \/c\/d HTTP\/1\.1\n/,
  );
});

Deno.test("get without -L prints a redirect as the answer and does not follow it", async () => {
  await using server = routed(() => moved(302, "/b"));
  const result = await runGet([`http://127.0.0.1:${server.port}/a`]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /\nHTTP\/1\.1 302 Moved\nLocation: \/b\n/);
  assert.equal(server.requests.length, 1);
});

Deno.test("get -L refuses another origin in one line; --location-any-host follows it without Host or credentials", async () => {
  await using other = routed(() => ok("other origin"));
  await using first = routed(() => moved(302, `http://127.0.0.1:${other.port}/there`));
  const refused = await runGet(["-L", `http://127.0.0.1:${first.port}/`]);
  assert.deepEqual([refused.code, refused.stdout, refused.stderr], [
    2,
    "",
    `Not following the redirect: "http://127.0.0.1:${other.port}/there" is on another host or port (add --location-any-host to follow it)\n`,
  ]);
  assert.equal(other.requests.length, 0);

  const followed = await runGet([
    "--location-any-host",
    "-H",
    "Authorization: Bearer secret",
    "-H",
    "Cookie: c=1",
    "-H",
    "X-Keep: yes",
    `http://127.0.0.1:${first.port}/`,
  ]);
  assert.equal(followed.code, 0, followed.stderr);
  assert.ok(followed.stdout.endsWith("\n\nother origin"));
  assert.match(first.requests[1], /\r\nAuthorization: Bearer secret\r\nCookie: c=1\r\n/);
  assert.deepEqual(requestLines(other.requests), ["GET /there HTTP/1.1"]);
  assert.match(other.requests[0], new RegExp(`\r\nHost: 127\\.0\\.0\\.1:${other.port}\r\n`));
  assert.match(other.requests[0], /\r\nX-Keep: yes\r\n/);
  assert.doesNotMatch(other.requests[0], /authorization|cookie/i);
});

Deno.test("get -L stops a redirect loop at the limit with one line, exit 2", async () => {
  await using server = routed(() => moved(302, "/loop"));
  const result = await runGet(["-L", `http://127.0.0.1:${server.port}/loop`]);
  assert.deepEqual([result.code, result.stdout, result.stderr], [
    2,
    "",
    `Stopped after ${MAX_REDIRECTS} redirects (the limit); the next was to "http://127.0.0.1:${server.port}/loop"\n`,
  ]);
  assert.equal(server.requests.length, MAX_REDIRECTS + 1);
});

Deno.test("get -L turns a 303 into GET (HEAD stays HEAD)", async () => {
  await using server = routed((target) =>
    target === "/form" ? moved(303, "/result") : ok("result")
  );
  const got = await runGet(["-L", "-b", `http://127.0.0.1:${server.port}/form`]);
  assert.deepEqual([got.code, got.stdout], [0, "result"]);
  const head = await runGet(["-L", "-I", `http://127.0.0.1:${server.port}/form`]);
  assert.equal(head.code, 0);
  assert.deepEqual(requestLines(server.requests), [
    "GET /form HTTP/1.1",
    "GET /result HTTP/1.1",
    "HEAD /form HTTP/1.1",
    "HEAD /result HTTP/1.1",
  ]);
});

Deno.test("get -L refuses an https:// Location in one line, exit 2", async () => {
  await using server = routed((_, port) => moved(301, `https://127.0.0.1:${port}/secure`));
  const result = await runGet(["-L", `http://127.0.0.1:${server.port}/`]);
  assert.deepEqual([result.code, result.stderr], [
    2,
    `Not following the redirect: "https://127.0.0.1:${server.port}/secure" is https://, and get speaks only plain http://\n`,
  ]);
  assert.equal(server.requests.length, 1);
});

/** A body with every byte value, NUL and CR LF included, as a binary type. */
const EVERY_BYTE = new Uint8Array(1024).map((_, i) => (i * 7) % 256);
const sendEveryByte = async (conn: Deno.Conn) => {
  await writeAll(
    conn,
    bytes(
      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1024\r\n\r\n",
    ),
  );
  await writeAll(conn, EVERY_BYTE);
};

Deno.test("get -o - writes exactly the body's bytes to stdout, and nothing else", async () => {
  await using server = scripted(sendEveryByte);
  const result = await runGet(["-o", "-", `http://127.0.0.1:${server.port}/`]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.raw, EVERY_BYTE);
  assert.equal(result.stderr, "");
});

Deno.test("get -o - writes a binary body even to a terminal, as asked", async () => {
  await using server = scripted(
    send("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 12\r\n\r\n\0PNG-PAYLOAD"),
  );
  const { code, text } = await runGetOnTerminal(["-o", "-", `http://127.0.0.1:${server.port}/`]);
  assert.equal(code, 0, text);
  assert.ok(text.includes("PNG-PAYLOAD"), text);
  assert.ok(!text.includes("bytes of image/png") && !text.includes("Server address"), text);
});

Deno.test("get -o - to a pipe draws the bar on a terminal's stderr and ends with 'wrote SIZE to stdout'", async () => {
  const dir = await Deno.makeTempDir();
  await using server = scripted(sendEveryByte);
  const { code, text } = await runGetOnTerminal(
    ["-o", "-", `http://127.0.0.1:${server.port}/`],
    ` > '${dir}/body.bin'`,
  );
  assert.equal(code, 0, text);
  assert.match(text, /\r *\d+% \[[=> ]+\] [\d.]+ (?:B|KiB) \/ 1\.0 KiB /);
  assert.match(text, /\rwrote 1\.0 KiB to stdout in \d+\.\d s\r\n$/);
  assert.deepEqual(await Deno.readFile(`${dir}/body.bin`), EVERY_BYTE);
});

Deno.test("get -b prints exactly the body: no address, status line or headers", async () => {
  const root = await makeTree({ "hello.txt": "hello\n" });
  await using server = await startServer({ root, args: ["--quiet"] });
  const hello = await runGet(["-b", `http://127.0.0.1:${server.port}/hello.txt`]);
  assert.deepEqual([hello.code, hello.stdout, hello.stderr], [0, "hello\n", ""]);
  const missing = await runGet(["--body", `http://127.0.0.1:${server.port}/missing`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, /^<!DOCTYPE html>/i);
  assert.doesNotMatch(missing.stdout, /Server address|^HTTP\/1\.1|^Content-Length/m);
  {
    await using chunked = scripted(
      send(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n",
      ),
    );
    const result = await runGet(["-b", `http://127.0.0.1:${chunked.port}/`]);
    assert.deepEqual([result.code, result.stdout], [0, "hello, world"]);
  }
});

/** A body of `size` bytes in ten writes, with or without a Content-Length. */
function sendSized(size: number, withLength: boolean) {
  return async (conn: Deno.Conn) => {
    const length = withLength ? `Content-Length: ${size}\r\n` : "";
    await writeAll(conn, bytes(`HTTP/1.1 200 OK\r\n${length}Connection: close\r\n\r\n`));
    for (let i = 0; i < 10; i++) await writeAll(conn, new Uint8Array(size / 10).fill(i));
  };
}

Deno.test("get -o draws a progress bar on a terminal and ends with 'saved FILE (size) in time'", async () => {
  const dir = await Deno.makeTempDir();
  await using server = scripted(sendSized(300_000, true));
  const { code, text } = await runGetOnTerminal([
    "-o",
    `${dir}/out.bin`,
    `http://127.0.0.1:${server.port}/`,
  ]);
  assert.equal(code, 0, text);
  const frames = text.split("\r").filter((frame) => frame.includes("%"));
  assert.ok(frames.length >= 1, text);
  for (const frame of frames) {
    assert.match(
      frame,
      /^ *\d{1,3}% \[[=> ]{10,40}\] [\d.]+ (?:B|KiB) \/ 293\.0 KiB {2}[\d.]+ (?:B|KiB|MiB|GiB)\/s {2}ETA (?:\d+:\d\d|--:--) *$/,
    );
    // The pseudo-terminal reports no size, so the bar assumes 80 columns and uses 79.
    assert.ok(frame.trimEnd().length < 80, frame);
  }
  assert.match(
    text,
    new RegExp(
      `\\r +\\rsaved ${escapeRegExp(dir)}/out\\.bin \\(293\\.0 KiB\\) in \\d+\\.\\d s\\r\\n$`,
    ),
  );
  assert.equal((await Deno.stat(`${dir}/out.bin`)).size, 300_000);
});

Deno.test("get -o without a Content-Length shows bytes and speed on a terminal", async () => {
  const dir = await Deno.makeTempDir();
  await using server = scripted(sendSized(300_000, false));
  const { code, text } = await runGetOnTerminal([
    "-o",
    `${dir}/out.bin`,
    `http://127.0.0.1:${server.port}/`,
  ]);
  assert.equal(code, 0, text);
  assert.match(text, /\r[\d.]+ (?:B|KiB) {2}[\d.]+ (?:B|KiB|MiB|GiB)\/s/);
  assert.doesNotMatch(text, /%|ETA/);
  assert.match(text, /\rsaved [^\r]+\/out\.bin \(293\.0 KiB\) in \d+\.\d s\r\n$/);
});

Deno.test("get -o draws no bar when stderr is not a terminal, only the saved line", async () => {
  const dir = await Deno.makeTempDir();
  await using server = scripted(sendSized(300_000, true));
  const result = await runGet(["-o", `${dir}/out.bin`, `http://127.0.0.1:${server.port}/`]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(`^saved ${escapeRegExp(dir)}/out\\.bin \\(293\\.0 KiB\\) in \\d+\\.\\d s\\n$`),
  );
  assert.match(result.stdout, /^Server address: .*\nHTTP\/1\.1 200 OK\n/);
});

Deno.test("deno task get -o saves relative to the folder it was started from, and nowhere outside it", async () => {
  await using server = routed(() => ok("saved by the task"));
  const user = await Deno.realPath(await Deno.makeTempDir());
  // deno task keeps an INIT_CWD it inherits (as from `deno task test`); the user's shell has none.
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  const task = async (args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "task",
        "--config",
        new URL("../../deno.json", import.meta.url).pathname,
        "get",
        ...args,
      ],
      cwd: user,
      clearEnv: true,
      env,
      stdin: "null",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  };
  const saved = await task(["-o", "out.txt", `http://127.0.0.1:${server.port}/`]);
  assert.equal(saved.code, 0, saved.stderr);
  assert.equal(await Deno.readTextFile(`${user}/out.txt`), "saved by the task");
  assert.match(saved.stderr, new RegExp(`\nsaved ${escapeRegExp(user)}/out\\.txt \\(17 B\\) in `));
  await assert.rejects(Deno.stat(new URL("../../out.txt", import.meta.url)), Deno.errors.NotFound);

  const name = `escape-${crypto.randomUUID()}.txt`;
  const outside = await task(["-o", `../${name}`, `http://127.0.0.1:${server.port}/`]);
  const parent = user.slice(0, user.lastIndexOf("/"));
  assert.equal(outside.code, 2);
  assert.ok(
    outside.stderr.endsWith(
      `Write access to "${parent}/${name}" is not granted: deno task get writes only inside "${user}", where it was started (or run main.ts with --allow-write=${parent}/${name})\n`,
    ),
    outside.stderr,
  );
  await assert.rejects(Deno.stat(`${parent}/${name}`), Deno.errors.NotFound);
  assert.equal(server.requests.length, 1, "a refused -o costs no request");
});

Deno.test("get -o resolves a relative path against INIT_CWD when allowed to read it, else its own folder", async () => {
  await using server = routed(() => ok("x"));
  const user = await Deno.realPath(await Deno.makeTempDir());
  const elsewhere = await Deno.realPath(await Deno.makeTempDir());
  const url = `http://127.0.0.1:${server.port}/`;
  const allowed = await runGet(["-o", "out.txt", url], {
    cwd: elsewhere,
    env: { INIT_CWD: user },
    permissions: ["--allow-net", `--allow-write=${user}`, "--allow-env=INIT_CWD"],
  });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.equal(await Deno.readTextFile(`${user}/out.txt`), "x");
  assert.deepEqual([...Deno.readDirSync(elsewhere)], []);

  // Without --allow-env=INIT_CWD the variable is not read (and no prompt asks for it).
  const unread = await runGet(["-o", "out.txt", url], {
    cwd: elsewhere,
    env: { INIT_CWD: `${user}/never` },
    denoRun: true,
  });
  assert.equal(unread.code, 0, unread.stderr);
  assert.equal(await Deno.readTextFile(`${elsewhere}/out.txt`), "x");
  assert.match(unread.stderr, /^saved out\.txt \(1 B\) in /);
});
