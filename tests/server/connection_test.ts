/**
 * Connection in-process: what no real resolver can be made to do on demand.
 */

import assert from "node:assert/strict";
import { Connection, type ConnectionOptions, type Handler } from "../../src/server/connection.ts";
import { LogWriter, SOCKETS_FILE } from "../../src/log/logs.ts";
import { bytesReply } from "../../src/server/responder.ts";
import { exchange, get, splitResponses } from "../helpers.ts";

const OPTIONS: ConnectionOptions = {
  headerTimeoutMs: 5000,
  idleTimeoutMs: 5000,
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
