/**
 * Startup (src/cli/startup.ts): the banner, as a pure function.
 */

import assert from "node:assert/strict";
import { type BannerFacts, formatBanner } from "../../src/cli/startup.ts";

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
