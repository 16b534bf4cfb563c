/**
 * Logs on a disk slower than the traffic, end to end: HTTPResponses.txt is a named pipe that the
 * test reads slowly, so the log writer falls behind a real server under wrk. The server must hold
 * requests back until the writer catches up (nginx blocks on its log writes likewise) rather than
 * drop entries: every response is logged exactly once, and `--metrics` counts the waits.
 *
 * The pipe also stands for the logs containers point at `/dev/stdout`: a file without a size.
 */

import assert from "node:assert/strict";
import { RESPONSES_FILE, SOCKETS_FILE } from "../../src/log/format.ts";
import { LOG_STALL_MS, MAX_PENDING_LOG_BYTES } from "../../src/limits.ts";
import { eventually, exchange, get, makeTree, startServer, stoppedCount } from "../helpers.ts";

const decoder = new TextDecoder();

/** Bytes the slow reader takes at a time, and the pause after each: about 640 KB/s. */
const SLOW_READ_BYTES = 64 * 1024;
const SLOW_READ_PAUSE_MS = 100;

/** A query long enough to make each response's log entries ~8 KiB: the disk falls behind fast. */
const LONG_QUERY = "q".repeat(4000);

/** What the reader has read: bytes and whole HTTPResponses.txt entries. */
interface Read {
  bytes: number;
  entries: number;
}

/** Reads a pipe slowly until told to hurry, then to its end, counting HTTPResponses.txt entries. */
function readEntries(pipe: Deno.FsFile): { hurry(): Read; done: Promise<Read> } {
  let slow = true;
  const read: Read = { bytes: 0, entries: 0 };
  const done = (async () => {
    const buf = new Uint8Array(SLOW_READ_BYTES);
    // An entry ends with its head's blank line. Three characters carried over cannot hold a
    // whole one, so a blank line across two reads is counted once, in the second.
    let tail = "";
    for (let n = await pipe.read(buf); n !== null; n = await pipe.read(buf)) {
      const text = tail + decoder.decode(buf.subarray(0, n), { stream: true });
      read.bytes += n;
      read.entries += text.split("\r\n\r\n").length - 1;
      tail = text.slice(-3);
      if (slow) await new Promise((resolve) => setTimeout(resolve, SLOW_READ_PAUSE_MS));
    }
    return read;
  })();
  const hurry = () => {
    slow = false;
    return { ...read };
  };
  return { hurry, done };
}

Deno.test(
  "a log slower than the traffic holds requests back: every response logged once, the waits counted",
  { ignore: Deno.build.os !== "linux" },
  async () => {
    const root = await makeTree({ "index.html": "hello" });
    const logDir = await Deno.makeTempDir();
    const path = `${logDir}/${RESPONSES_FILE}`;
    const made = await new Deno.Command("mkfifo", { args: [path] }).output();
    assert.ok(made.success, "mkfifo");
    // A writer held by the test: the pipe does not end each time the server closes it after a
    // batch, only when the test lets go of this too.
    const keeper = await Deno.open(path, { read: true, write: true });
    const pipe = await Deno.open(path, { read: true });
    const reader = readEntries(pipe);
    const server = await startServer({
      root,
      logDir,
      args: ["-q", "--workers", "2", "--metrics", "/metrics"],
    });
    let sent = 0;
    let readBefore: Read = { bytes: 0, entries: 0 };
    try {
      const wrk = await new Deno.Command("wrk", {
        args: ["-t1", "-c20", "-d3s", `http://127.0.0.1:${server.port}/index.html?${LONG_QUERY}`],
        stdout: "piped",
      }).output();
      assert.ok(wrk.success, decoder.decode(wrk.stdout));
      readBefore = reader.hurry();
      sent = Number(/(\d+) requests in/.exec(decoder.decode(wrk.stdout))?.[1]);
      const metrics = await exchange(server.port, get("/metrics"));
      const waits = Number(/^sockserve_log_waits_total (\d+)$/m.exec(metrics)?.[1]);
      const seconds = Number(/^sockserve_log_wait_seconds_total (\S+)$/m.exec(metrics)?.[1]);
      assert.ok(waits >= 1 && seconds > 0, `the server waited for its logs: ${metrics}`);
    } finally {
      reader.hurry();
      await server.stop();
    }
    keeper.close();
    const read = await reader.done;
    pipe.close();
    const served = stoppedCount(server.stdout());
    assert.equal(read.entries, served, server.stderr());
    // What wrk was answered while the pipe was slow, less what had been read: held in memory.
    const backlog = sent * (read.bytes / read.entries) - readBefore.bytes;
    assert.ok(
      backlog <= MAX_PENDING_LOG_BYTES,
      `${sent} responses answered, ${Math.round(backlog / 1024)} KiB of log waiting: not held back`,
    );
    const rows = (await Deno.readTextFile(`${logDir}/${SOCKETS_FILE}`)).trimEnd().split("\n");
    assert.equal(rows.length - 1, served, "one CSV row per response");
    assert.doesNotMatch(server.stderr(), /Dropped|Cannot write logs|no progress/);
  },
);

Deno.test(
  "SIGTERM stops a server whose log nobody takes (a pipe nobody opens) after LOG_STALL_MS, saying what is unwritten",
  { ignore: Deno.build.os !== "linux" },
  async () => {
    const root = await makeTree({ "index.html": "hello" });
    const logDir = await Deno.makeTempDir();
    // Opening a pipe for writing blocks until a reader opens it: the first log write never ends.
    const made = await new Deno.Command("mkfifo", { args: [`${logDir}/${RESPONSES_FILE}`] })
      .output();
    assert.ok(made.success, "mkfifo");
    await using server = await startServer({ root, logDir, args: ["-q"] });
    assert.match(await exchange(server.port, get("/index.html")), /^HTTP\/1\.1 200 /);
    // The stop gives the log LOG_STALL_MS without progress, not forever.
    let status: Deno.CommandStatus | null = null;
    void server.stop("SIGTERM").then((s) => status = s);
    await eventually(() => status !== null, "the server stopped", 1500);
    assert.equal(status!.code, 0, server.stderr());
    assert.ok(
      server.stderr().includes(
        `log entries unwritten: writes to "${logDir}" made no progress for ${
          LOG_STALL_MS / 1000
        } s.`,
      ),
      server.stderr(),
    );
  },
);
