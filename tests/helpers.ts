/**
 * Test helpers: start sockserve as a real process on port 0, talk raw bytes to it, build sites.
 *
 * The launcher is `deno run <scoped permissions> main.ts`, or the compiled binary named by the
 * SOCKSERVE_BIN environment variable, so the same integration tests prove either.
 *
 * @module
 */

/** Absolute path of the project's main.ts. */
export const MAIN = new URL("../main.ts", import.meta.url).pathname;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes text as bytes (tests write requests as strings with explicit CRLF). */
export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The flags of `deno task serve`: every permission, so the main isolate supervises. */
export const SUPERVISED: readonly string[] = ["--allow-all"];

/**
 * Scoped flags for running sockserve directly (no supervisor): read the root, write the logs,
 * listen on loopback.
 */
export function scopedPermissions(root: string, logDir: string): string[] {
  return ["--allow-net=127.0.0.1,[::1]", `--allow-read=${root}`, `--allow-write=${logDir}`];
}

/** How to run sockserve: the compiled binary when SOCKSERVE_BIN is set, else deno run. */
export function launcher(
  permissions: readonly string[],
  args: readonly string[],
  denoRun = false,
): string[] {
  const bin = Deno.env.get("SOCKSERVE_BIN");
  if (bin && !denoRun) return [bin, ...args];
  return [Deno.execPath(), "run", ...permissions, MAIN, ...args];
}

/** A sockserve process under test. */
export interface TestServer extends AsyncDisposable {
  readonly port: number;
  readonly process: Deno.ChildProcess;
  /** Everything printed on stdout so far. */
  stdout(): string;
  /** Everything printed on stderr so far. */
  stderr(): string;
  /** Sends a signal and waits for the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  /** Waits for the process to exit on its own. */
  exited(): Promise<Deno.CommandStatus>;
}

/** Options for {@linkcode startServer}. */
export interface StartOptions {
  /** Folder to serve. */
  readonly root: string;
  /** Log dir; a fresh temp dir by default. */
  readonly logDir?: string;
  /** More command-line arguments. */
  readonly args?: readonly string[];
  /** Deno permission flags; default: all, so sockserve runs supervised as `deno task serve`. */
  readonly permissions?: readonly string[];
  /** Working directory. */
  readonly cwd?: string;
  /** Always use `deno run` with `permissions`, even when SOCKSERVE_BIN names a binary. */
  readonly denoRun?: boolean;
  /** Do not pass `--port 0`: the arguments say how the port is given. */
  readonly omitPort?: boolean;
  /** Do not pass `--root`: let sockserve choose its default. */
  readonly omitRoot?: boolean;
}

/**
 * Starts sockserve on port 0 and waits for its `Serving … at http://HOST:PORT/` line.
 *
 * @param options Root, logs, arguments, permissions.
 * @returns The running server; dispose it (or `stop()` it) to end it.
 */
export async function startServer(options: StartOptions): Promise<TestServer> {
  const logDir = options.logDir ?? await Deno.makeTempDir({ prefix: "sockserve-logs-" });
  const permissions = options.permissions ?? SUPERVISED;
  const [cmd, ...cmdArgs] = launcher(permissions, [
    ...(options.omitPort ? [] : ["--port", "0"]),
    ...(options.omitRoot ? [] : ["--root", options.root]),
    "--log-dir",
    logDir,
    ...(options.args ?? []),
  ], options.denoRun);
  const process = new Deno.Command(cmd, {
    args: cmdArgs,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const pump = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
  };
  const pumps = Promise.all([
    pump(process.stdout, (s) => out += s),
    pump(process.stderr, (s) => err += s),
  ]);
  const status = process.status;
  let exitStatus: Deno.CommandStatus | null = null;
  status.then((s) => exitStatus = s);
  let port = 0;
  for (let waited = 0; port === 0; waited += 20) {
    // The whole banner: its first line names the port, its "logs:" line ends it.
    const match = /Serving .* at https?:\/\/[^ ]*:(\d+)\/[^]*; logs: .*\n/.exec(out);
    if (match) port = Number(match[1]);
    else if (exitStatus !== null || waited > 20_000) {
      await pumps;
      await status;
      throw new Error(`sockserve did not start:\n${out}\n${err}`);
    } else await new Promise((r) => setTimeout(r, 20));
  }
  let finished: Promise<Deno.CommandStatus> | null = null;
  const exited = () => finished ??= status.then(async (s) => (await pumps, s));
  const stop = async (signal: Deno.Signal = "SIGTERM") => {
    if (exitStatus === null) {
      try {
        process.kill(signal);
      } catch {
        // Already exited.
      }
    }
    return await exited();
  };
  return {
    port,
    process,
    stdout: () => out,
    stderr: () => err,
    stop,
    exited,
    [Symbol.asyncDispose]: async () => void await stop("SIGKILL"),
  };
}

/**
 * Sends raw bytes on a new connection, half-closes, and reads until the server closes.
 *
 * @param port The server's port.
 * @param request The bytes to send (possibly several pipelined requests).
 * @returns Everything the server sent, as Latin-1 text.
 */
export async function exchange(port: number, request: Uint8Array | string): Promise<string> {
  return latin1(await exchangeBytes(port, request));
}

/** Like {@linkcode exchange}, returning bytes. */
export async function exchangeBytes(
  port: number,
  request: Uint8Array | string,
): Promise<Uint8Array> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const data = typeof request === "string" ? bytes(request) : request;
  await writeAll(conn, data);
  await conn.closeWrite();
  return await readToEnd(conn);
}

/** Writes all bytes to a connection. */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.length) written += await conn.write(data.subarray(written));
}

/** Reads from a connection until the peer closes it (or resets it). */
export async function readToEnd(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  while (true) {
    let n: number | null;
    try {
      n = await conn.read(buf);
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset) break;
      throw error;
    }
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  const all = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

/** Decodes bytes one byte per character. */
export function latin1(data: Uint8Array): string {
  let text = "";
  for (let i = 0; i < data.length; i += 8192) {
    text += String.fromCharCode(...data.subarray(i, i + 8192));
  }
  return text;
}

/** A response split from raw text: status, lower-case headers (last wins), body. */
export interface RawResponse {
  readonly statusLine: string;
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly head: string;
  readonly body: string;
}

/**
 * Splits a stream of responses (as from {@linkcode exchange}) using Content-Length; a response
 * to HEAD must be marked in `headRequests` by its index, as it has no body.
 */
export function splitResponses(
  text: string,
  headRequests: ReadonlySet<number> = new Set(),
): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    if (end === -1) {
      throw new Error(`Incomplete response head: ${JSON.stringify(rest.slice(0, 200))}`);
    }
    const head = rest.slice(0, end + 4);
    const [statusLine, ...lines] = head.slice(0, -4).split("\r\n");
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
    }
    const status = Number(statusLine.split(" ")[1]);
    const length = headRequests.has(responses.length) || status === 304 || status === 204
      ? 0
      : Number(headers.get("content-length") ?? rest.length - end - 4);
    responses.push({
      statusLine,
      status,
      headers,
      head,
      body: rest.slice(end + 4, end + 4 + length),
    });
    rest = rest.slice(end + 4 + length);
  }
  return responses;
}

/** Sends one request and returns the one parsed response. */
export async function request(port: number, raw: string): Promise<RawResponse> {
  const responses = splitResponses(
    await exchange(port, raw),
    new Set(raw.startsWith("HEAD") ? [0] : []),
  );
  if (responses.length !== 1) throw new Error(`Expected one response, got ${responses.length}`);
  return responses[0];
}

/** A GET for a path with Host, closing the connection after the response. */
export function get(path: string, extra = ""): string {
  return `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}Connection: close\r\n\r\n`;
}

/**
 * Creates a temp directory with the given files (path → content; a trailing `/` makes a dir).
 *
 * @returns Its real path.
 */
export async function makeTree(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "sockserve-test-" }));
  for (const [path, content] of Object.entries(files)) {
    const full = `${dir}/${path}`;
    if (path.endsWith("/")) {
      await Deno.mkdir(full, { recursive: true });
      continue;
    }
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(full, content);
    else await Deno.writeFile(full, content);
  }
  return dir;
}

/** Waits until a condition holds, polling; fails after a generous bound (not a timing assertion). */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  attempts = 500,
): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`Gave up waiting: ${what}`);
}

/** Resident memory of a process in bytes, from `ps` (Deno guards /proc behind --allow-all). */
export async function residentBytes(pid: number): Promise<number> {
  const ps = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)] }).output();
  return Number(new TextDecoder().decode(ps.stdout).trim()) * 1024;
}

/**
 * The plain port of `--https-redirect-port`, from the banner line naming it: awaited, since the
 * server may print it after the line that startServer waits for.
 */
export async function redirectPortOf(server: TestServer): Promise<number> {
  const line = /http:\/\/[^ ]*:(\d+)\/ redirects to HTTPS/;
  await eventually(() => line.test(server.stdout()), "the banner's redirect line");
  return Number(line.exec(server.stdout())![1]);
}

/**
 * The server's own count of responses, from its last line ("sockserve stopped after N responses.").
 *
 * @param stdout What the stopped server printed.
 * @returns N.
 */
export function stoppedCount(stdout: string): number {
  const match = /^sockserve stopped after (\d+) responses?\.$/m.exec(stdout);
  if (match === null) throw new Error(`no "sockserve stopped after" line in:\n${stdout}`);
  return Number(match[1]);
}
