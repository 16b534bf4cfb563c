/**
 * Startup (src/cli/startup.ts): the banner, as a pure function, and what is ready when it is
 * printed.
 */

import assert from "node:assert/strict";
import { parseCli } from "../../src/cli/args.ts";
import { type BannerFacts, formatBanner, startServer } from "../../src/cli/startup.ts";
import { makeTree } from "../helpers.ts";

const FACTS: BannerFacts = {
  root: "./www",
  hosts: ["127.0.0.1"],
  port: 8080,
  networkAddresses: [],
  workers: 1,
  supervised: true,
  logDir: "./logs",
  verbose: false,
  certificate: null,
  redirectPort: null,
};

Deno.test("formatBanner() names the URL to open, the isolates and both logs", () => {
  assert.deepEqual(formatBanner(FACTS), [
    "Serving ./www at http://127.0.0.1:8080/",
    "  1 serving isolate, each allowed to read only the root; logs: ./logs/HTTPResponses.txt and ./logs/SocketOutput.csv",
  ]);
});

Deno.test("formatBanner() on every interface shows the loopback URL first, then each network address", () => {
  const lines = formatBanner({
    ...FACTS,
    hosts: ["::"],
    networkAddresses: ["192.168.1.5", "2001:db8::5"],
    workers: 2,
    supervised: false,
  });
  assert.deepEqual(lines.slice(0, 3), [
    "Serving ./www at http://[::1]:8080/",
    "  on the network: http://192.168.1.5:8080/",
    "  on the network: http://[2001:db8::5]:8080/",
  ]);
  assert.match(lines[3], /^ {2}2 serving isolates; logs:/);
  assert.equal(
    formatBanner({ ...FACTS, hosts: ["0.0.0.0"] })[0],
    "Serving ./www at http://127.0.0.1:8080/",
  );
});

Deno.test("formatBanner() with --verbose adds the seed's welcome-socket line", () => {
  assert.equal(
    formatBanner({ ...FACTS, verbose: true }).at(-1),
    "Welcome socket created: 127.0.0.1, 8080",
  );
});

Deno.test("startServer() handles SIGINT, SIGTERM, SIGUSR1 and SIGHUP before its banner says the server is up", async () => {
  const root = await makeTree({ "index.html": "hi" });
  const logDir = await Deno.makeTempDir({ prefix: "sockserve-logs-" });
  const command = parseCli(["--root", root, "--port", "0", "--log-dir", logDir, "--workers", "1"]);
  assert.equal(command.kind, "serve");
  if (command.kind !== "serve") return;
  // Whoever waits for the banner may signal at once: record what is handled when it appears.
  const handled = new Set<Deno.Signal>();
  let handledAtBanner: Deno.Signal[] | null = null;
  const real = {
    add: Deno.addSignalListener,
    remove: Deno.removeSignalListener,
    log: console.log,
  };
  Deno.addSignalListener = (signal) => void handled.add(signal);
  Deno.removeSignalListener = (signal) => void handled.delete(signal);
  console.log = (line?: unknown) => {
    if (handledAtBanner === null && String(line).startsWith("Serving ")) {
      handledAtBanner = [...handled].sort();
    }
  };
  let server;
  try {
    server = await startServer(command, false, false);
  } finally {
    Object.assign(Deno, { addSignalListener: real.add, removeSignalListener: real.remove });
    console.log = real.log;
  }
  await server.stop();
  assert.deepEqual(handledAtBanner, ["SIGHUP", "SIGINT", "SIGTERM", "SIGUSR1"]);
});
