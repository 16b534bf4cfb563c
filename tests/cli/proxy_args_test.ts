/**
 * parseCli(): `--trusted-proxy` and `--metrics`, from the command line, a SOCKSERVE_* variable
 * and the config file. Pure.
 */

import assert from "node:assert/strict";
import { parseCli, type ServeCommand } from "../../src/cli/args.ts";
import { MAX_TRUSTED_PROXIES } from "../../src/limits.ts";

function serve(args: string[], env: Record<string, string> = {}): ServeCommand {
  const command = parseCli(args, 2, { env });
  assert.equal(command.kind, "serve", JSON.stringify(command));
  return command as ServeCommand;
}

function error(args: string[], env: Record<string, string> = {}): string {
  const command = parseCli(args, 2, { env });
  assert.equal(command.kind, "error", `${args.join(" ")} should fail`);
  return command.kind === "error" ? command.message : "";
}

Deno.test("parseCli() trusts no proxy and serves no metrics by default", () => {
  const command = serve([]);
  assert.deepEqual(command.trustedProxies, []);
  assert.equal(command.metrics, null);
});

Deno.test("parseCli() --trusted-proxy takes addresses, CIDR ranges and loopback, repeatable", async (t) => {
  const cases: [string[], string[]][] = [
    [["--trusted-proxy", "loopback"], ["127.0.0.0/8", "::1/128"]],
    [["--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "2001:db8::/32"], [
      "10.0.0.0/8",
      "2001:db8::/32",
    ]],
    [["--trusted-proxy", "192.0.2.7"], ["192.0.2.7"]],
    [["--trusted-proxy", "loopback", "--trusted-proxy", "loopback"], ["127.0.0.0/8", "::1/128"]],
  ];
  for (const [args, expected] of cases) {
    await t.step(args.join(" "), () => assert.deepEqual(serve(args).trustedProxies, expected));
  }
});

Deno.test("parseCli() refuses a --trusted-proxy that is no address or range", async (t) => {
  for (const value of ["example.com", "10.0.0.0/33", "[::1]", "", "localhost"]) {
    await t.step(
      JSON.stringify(value),
      () => assert.match(error(["--trusted-proxy", value]), /^--trusted-proxy takes an address/),
    );
  }
  const many = Array.from({ length: MAX_TRUSTED_PROXIES + 1 }, (_, i) => [
    "--trusted-proxy",
    `10.0.${i}.0/24`,
  ]).flat();
  await t.step("too many", () => assert.match(error(many), /at most/));
});

Deno.test("parseCli() --metrics takes a plain absolute path", async (t) => {
  await t.step(
    "/metrics",
    () => assert.equal(serve(["--metrics", "/metrics"]).metrics, "/metrics"),
  );
  await t.step(
    "/_/stats",
    () => assert.equal(serve(["--metrics", "/_/stats"]).metrics, "/_/stats"),
  );
  for (const value of ["metrics", "/m?x=1", "/a/../m", "/%6d", "/a b", ""]) {
    await t.step(
      JSON.stringify(value),
      () => assert.match(error(["--metrics", value]), /^--metrics takes a path/),
    );
  }
});

Deno.test("parseCli() names SOCKSERVE_TRUSTED_PROXY as the origin of a bad range", () => {
  assert.deepEqual(
    serve([], { SOCKSERVE_TRUSTED_PROXY: "loopback\n10.0.0.0/8" }).trustedProxies,
    ["127.0.0.0/8", "::1/128", "10.0.0.0/8"],
  );
  assert.match(error([], { SOCKSERVE_TRUSTED_PROXY: "nope" }), /SOCKSERVE_TRUSTED_PROXY/);
  assert.match(error([], { SOCKSERVE_METRICS: "nope" }), /SOCKSERVE_METRICS/);
});
