/**
 * Binding end to end: `--host` repeated, `localhost` on both loopbacks, `::` serving IPv4 too,
 * IPv4-mapped peers unmapped in both logs, and the Host policy for IPv6 literals.
 */

import assert from "node:assert/strict";
import {
  bytes,
  latin1,
  launcher,
  makeTree,
  readToEnd,
  splitResponses,
  startServer,
  writeAll,
} from "../helpers.ts";

/** Whether this machine has IPv6 loopback (containers sometimes do not). */
function hasIpv6(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

async function status(hostname: string, port: number, host: string): Promise<number> {
  using conn = await Deno.connect({ hostname, port });
  await writeAll(conn, bytes(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
  return splitResponses(latin1(await readToEnd(conn)))[0].status;
}

function site() {
  return makeTree({ "index.html": "home" });
}

Deno.test("--host :: answers on 127.0.0.1 and ::1, and logs the IPv4 client as 127.0.0.1, not ::ffff:127.0.0.1", async () => {
  if (!hasIpv6()) return;
  const logDir = await Deno.makeTempDir();
  await using server = await startServer({ root: await site(), logDir, args: ["--host", "::"] });
  assert.match(server.stdout(), /at http:\/\/\[::1\]:\d+\//);
  assert.equal(await status("127.0.0.1", server.port, `127.0.0.1:${server.port}`), 200);
  assert.equal(await status("::1", server.port, `[::1]:${server.port}`), 200);
  await server.stop();
  const csv = await Deno.readTextFile(`${logDir}/SocketOutput.csv`);
  assert.doesNotMatch(csv, /ffff/i);
  const rows = csv.trim().split("\n").slice(1);
  assert.match(rows[0], /^[^,]+,127\.0\.0\.1,\d+,127\.0\.0\.1,/);
  assert.match(rows[1], /^[^,]+,::1,\d+,::1,/);
  assert.match(server.stdout(), /127\.0\.0\.1:\d+ "GET \/ HTTP\/1\.1" 200/);
  assert.doesNotMatch(server.stdout(), /ffff/i);
});

Deno.test("--host localhost answers on 127.0.0.1 and ::1 on one port, and the banner says localhost", async () => {
  await using server = await startServer({
    root: await site(),
    args: ["--host", "localhost", "--quiet"],
  });
  assert.match(server.stdout(), /^Serving .* at http:\/\/localhost:\d+\/$/m);
  assert.equal(await status("127.0.0.1", server.port, "localhost"), 200);
  if (hasIpv6()) assert.equal(await status("::1", server.port, "localhost"), 200);
});

Deno.test("--host given twice listens on both addresses, with the same port, and says so", async () => {
  if (!hasIpv6()) return;
  await using server = await startServer({
    root: await site(),
    args: ["--host", "127.0.0.1", "--host", "[::1]", "--quiet"],
  });
  assert.match(server.stdout(), new RegExp(`^  also at http://\\[::1\\]:${server.port}/$`, "m"));
  assert.equal(await status("127.0.0.1", server.port, "localhost"), 200);
  assert.equal(await status("::1", server.port, "localhost"), 200);
});

Deno.test("on loopback the Host [::1]:PORT is answered and other names still get 421", async () => {
  await using server = await startServer({
    root: await site(),
    args: ["--host", "localhost", "--quiet"],
  });
  const cases: [string, number][] = [
    [`[::1]:${server.port}`, 200],
    ["[::1]", 200],
    [`127.0.0.1:${server.port}`, 200],
    [`localhost:${server.port}`, 200],
    ["[::ffff:127.0.0.1]", 200],
    ["example.com", 421],
    ["[2001:db8::1]", 421],
    ["127.0.0.1.nip.io", 421],
  ];
  for (const [host, expected] of cases) {
    assert.equal(await status("127.0.0.1", server.port, host), expected, host);
  }
});

Deno.test("with scoped Deno flags, --host localhost needs only the addresses it binds, named at start", async () => {
  const root = await site();
  const logDir = await Deno.makeTempDir();
  await using server = await startServer({
    root,
    logDir,
    denoRun: true,
    permissions: ["--allow-net=127.0.0.1,[::1]", `--allow-read=${root}`, `--allow-write=${logDir}`],
    args: ["--host", "localhost", "--quiet"],
  });
  assert.equal(await status("127.0.0.1", server.port, "localhost"), 200);
  const [cmd, ...rest] = launcher(
    ["--allow-net=[::1]", `--allow-read=${root}`, `--allow-write=${logDir}`],
    ["--root", root, "--log-dir", logDir, "--port", "0", "--host", "localhost", "--host", "::1"],
    true,
  );
  const refused = await new Deno.Command(cmd, { args: rest, stdin: "null" }).output();
  assert.equal(refused.code, 2);
  assert.equal(
    new TextDecoder().decode(refused.stderr).trim(),
    'Network access to "127.0.0.1" is not granted: add --allow-net=127.0.0.1,[::1]',
  );
});
