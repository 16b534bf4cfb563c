/**
 * Connection in-process: what no real resolver can be made to do on demand.
 */

import assert from "node:assert/strict";
import { Connection, type ConnectionOptions, type Handler } from "../../src/server/connection.ts";
import { SOCKETS_FILE } from "../../src/log/format.ts";
import { LogWriter } from "../../src/log/writer.ts";
import type { LogSink } from "../../src/log/sink.ts";
import { bytesReply } from "../../src/server/responder.ts";
import { errorReply } from "../../src/server/error_pages.ts";
import { exchange, get, splitResponses } from "../helpers.ts";

const OPTIONS: ConnectionOptions = {
  timeouts: { headerMs: 5000, bodyMs: 5000, idleMs: 5000, minSendBytesPerS: 1024 },
  errorPage: (status, options) => Promise.resolve(errorReply(status, options)),
  protocol: "1.1",
  accessLines: false,
  connectionEvents: false,
  colour: false,
};

/** Serves `count` connections with a handler, in this process. */
async function withConnections(
  handler: Handler,
  count: number,
  body: (port: number) => Promise<void>,
) {
  const logDir = await Deno.makeTempDir();
  const logs = new LogWriter(logDir);
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    for (let id = 1; id <= count; id++) {
      const conn = await listener.accept();
      const info = {
        id,
        client: { ip: "127.0.0.1", port: 1 },
        server: { ip: "127.0.0.1", port: 2 },
        secure: false,
      };
      await new Connection(conn, info, OPTIONS, handler, logs).run();
    }
  })();
  await body((listener.addr as Deno.NetAddr).port);
  await served;
  await logs.close();
  return await Deno.readTextFile(`${logDir}/${SOCKETS_FILE}`);
}

Deno.test("Connection answers 500 and closes when the handler throws, and the next connection is served", async () => {
  let calls = 0;
  const handler: Handler = () => {
    if (++calls === 1) throw new Error("boom");
    return Promise.resolve(bytesReply(200, new TextEncoder().encode("ok"), "text/plain"));
  };
  const originalError = console.error;
  console.error = () => {};
  try {
    const csv = await withConnections(handler, 2, async (port) => {
      const first = splitResponses(
        await exchange(port, get("/a").replace("Connection: close\r\n", "") + get("/b")),
      );
      assert.deepEqual(first.map((r) => r.status), [500]);
      assert.equal(first[0].headers.get("connection"), "close");
      assert.match(first[0].body, /500 Internal Server Error/);
      assert.ok(!first[0].body.includes("boom"), "the error is not revealed");
      const second = splitResponses(await exchange(port, get("/c")));
      assert.equal(second[0].body, "ok");
    });
    assert.match(csv, /,GET,\/a,HTTP\/1\.1,500,/);
  } finally {
    console.error = originalError;
  }
});

/** A socket in memory: the test pushes bytes in, reads what was written, and closes it. */
class FakeConn {
  readonly written: Uint8Array[] = [];
  closed = false;
  #incoming: Uint8Array[] = [];
  #waiting: ((n: number | null) => void) | null = null;
  #target: Uint8Array | null = null;

  /** Delivers bytes to a pending or future read. */
  push(text: string): void {
    this.#incoming.push(new TextEncoder().encode(text));
    this.#deliver();
  }

  read(buf: Uint8Array): Promise<number | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#target = buf;
      this.#deliver();
    });
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("closed"));
    this.written.push(bytes.slice());
    return Promise.resolve(bytes.length);
  }

  close(): void {
    this.closed = true;
    this.#waiting?.(null);
    this.#waiting = null;
  }

  text(): string {
    return this.written.map((b) => new TextDecoder().decode(b)).join("");
  }

  #deliver(): void {
    if (this.#waiting === null || this.#incoming.length === 0) return;
    const chunk = this.#incoming.shift()!;
    const n = Math.min(chunk.length, this.#target!.length);
    this.#target!.set(chunk.subarray(0, n));
    if (n < chunk.length) this.#incoming.unshift(chunk.subarray(n));
    const resolve = this.#waiting;
    this.#waiting = null;
    resolve(n);
  }
}

/** Logs in memory that count their records and are behind the disk when the test says so. */
class FakeLogs implements LogSink {
  records = 0;
  #behind: Promise<void> | null = null;
  #caughtUp: (() => void) | null = null;

  record(): void {
    this.records++;
  }
  line(): void {}
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  ready(): Promise<void> | null {
    return this.#behind;
  }
  /** Falls behind (connections must wait) or catches up. */
  behind(behind: boolean): void {
    if (behind) this.#behind ??= new Promise((resolve) => this.#caughtUp = resolve);
    else {
      this.#caughtUp?.();
      this.#behind = this.#caughtUp = null;
    }
  }
}

/** A connection on a fake socket with a clock the test moves by hand. */
function fakeConnection(handler: Handler = () => bytesReply(200, new Uint8Array(), "text/plain")) {
  const conn = new FakeConn();
  let now = 0;
  const logs = new FakeLogs();
  const connection = new Connection(
    conn as unknown as Deno.Conn,
    {
      id: 1,
      client: { ip: "127.0.0.1", port: 1 },
      server: { ip: "127.0.0.1", port: 2 },
      secure: false,
    },
    { ...OPTIONS, clock: () => now },
    handler,
    logs,
  );
  const running = connection.run();
  const tick = async (to: number) => {
    now = to;
    connection.expire(now);
    // Let the connection's promises settle.
    for (let i = 0; i < 20; i++) await Promise.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { conn, connection, running, tick, logs };
}

Deno.test("Connection: a head not complete within the header timeout of accept gets 408 and a close", async () => {
  const { conn, running, tick } = fakeConnection();
  conn.push("GET / HTTP/1.1\r\nHost: x\r\n");
  await tick(4999);
  assert.equal(conn.closed, false);
  await tick(5000);
  await running;
  assert.match(conn.text(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.equal(conn.closed, true);
});

Deno.test("Connection: a connection that sends nothing is closed at the header timeout, silently", async () => {
  const { conn, running, tick } = fakeConnection();
  await tick(4999);
  assert.equal(conn.closed, false);
  await tick(5000);
  await running;
  assert.equal(conn.text(), "");
});

Deno.test("Connection: a keep-alive connection idles for the idle timeout after a response, then closes", async () => {
  const { conn, running, tick } = fakeConnection();
  conn.push("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await tick(1000);
  assert.match(conn.text(), /^HTTP\/1\.1 200 OK\r\n/);
  await tick(5999);
  assert.equal(conn.closed, false, "still within the idle timeout, counted from the response");
  await tick(6000);
  await running;
  assert.equal(conn.closed, true);
  assert.equal(conn.text().split("HTTP/1.1").length - 1, 1, "no 408 for an idle connection");
});

Deno.test("Connection: a later head counts its header timeout from its first byte", async () => {
  const { conn, running, tick } = fakeConnection();
  conn.push("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await tick(1000);
  await tick(3000);
  conn.push("GET / HTTP/1.1\r\n");
  await tick(3001);
  await tick(8000);
  assert.equal(conn.closed, false);
  await tick(8001);
  await running;
  assert.match(conn.text(), /408 Request Timeout/);
});

Deno.test("Connection: a request body has one deadline for the whole body, however it drips", async () => {
  const { conn, running, tick } = fakeConnection();
  conn.push("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n");
  await tick(1000);
  for (let t = 1500; t < 6000; t += 500) {
    conn.push("x");
    await tick(t);
  }
  assert.equal(conn.closed, false);
  await tick(6000);
  await running;
  assert.equal(conn.closed, true);
});

Deno.test("Connection: while the logs are behind, the next request stays unread until they catch up", async () => {
  const { conn, running, tick, logs, connection } = fakeConnection();
  conn.push("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n");
  await tick(100);
  assert.equal(logs.records, 1);
  logs.behind(true);
  conn.push("GET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
  await tick(200);
  assert.equal(logs.records, 1, "nothing more is answered (or logged) while the logs are behind");
  assert.equal(conn.text().split("HTTP/1.1 200").length - 1, 1);
  logs.behind(false);
  await tick(300);
  assert.equal(logs.records, 3, "both waiting requests are answered once they caught up");
  connection.stop();
  await running;
});

Deno.test("Connection: a stop ends a wait for the logs at once", async () => {
  const { conn, running, tick, logs, connection } = fakeConnection();
  conn.push("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await tick(100);
  logs.behind(true);
  conn.push("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await tick(200);
  connection.stop();
  await running;
  assert.equal(conn.closed, true);
  assert.equal(logs.records, 1);
});

Deno.test("Connection: a request waiting for the logs is not closed at the idle deadline, and is answered when they catch up", async () => {
  const { conn, running, tick, logs } = fakeConnection();
  conn.push("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await tick(1000);
  logs.behind(true);
  conn.push("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await tick(2000);
  await tick(60_000); // far past the idle (5 s) and header timeouts
  assert.equal(conn.closed, false);
  assert.equal(logs.records, 1);
  logs.behind(false);
  await tick(60_001);
  assert.equal(logs.records, 2);
  assert.equal(conn.text().split("HTTP/1.1 200").length - 1, 2);
  await tick(66_001); // the idle deadline counts again from the answer
  await running;
  assert.equal(conn.closed, true);
});

Deno.test("Connection: a stop ends a wait for the logs between pipelined requests at once", async () => {
  const { conn, running, tick, logs, connection } = fakeConnection();
  conn.push("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await tick(100);
  logs.behind(true);
  conn.push("GET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
  await tick(200);
  assert.equal(logs.records, 1);
  connection.stop();
  await running;
  assert.equal(conn.closed, true);
  assert.equal(logs.records, 1);
});

Deno.test("Connection bumps arrivals after each read, before answering the requests it brought", async () => {
  const conn = new FakeConn();
  const arrivals = { count: 0 };
  const seen: number[] = [];
  const handler: Handler = () => {
    seen.push(arrivals.count);
    return bytesReply(200, new Uint8Array(), "text/plain");
  };
  const logs = new FakeLogs();
  const connection = new Connection(
    conn as unknown as Deno.Conn,
    {
      id: 1,
      client: { ip: "127.0.0.1", port: 1 },
      server: { ip: "127.0.0.1", port: 2 },
      secure: false,
    },
    { ...OPTIONS, arrivals },
    handler,
    logs,
  );
  const running = connection.run();
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  const request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  conn.push(request.repeat(3)); // one read, three pipelined requests
  await settle();
  conn.push(request);
  await settle();
  conn.close();
  await running;
  assert.deepEqual(seen, [1, 1, 1, 2]);
});
