/**
 * V8 flags from the code (src/cli/v8_flags.ts): when a server replaces itself to run with
 * sockserve's V8 flags, and that a supervised server really runs with them.
 */

import assert from "node:assert/strict";
import {
  parseCmdline,
  planReexec,
  SERVE_V8_FLAGS,
  V8_FLAGS_VARIABLE,
} from "../../src/cli/v8_flags.ts";
import { makeTree, startServer } from "../helpers.ts";

const DENO = "/usr/bin/deno";
const RUN = ["deno", "run", "-A", "main.ts", "-p", "8080"];

Deno.test("planReexec() runs the same command again with DENO_V8_FLAGS added", () => {
  const plan = planReexec({ cmdline: RUN, env: { HOME: "/root" }, execPath: DENO });
  assert.deepEqual(plan, {
    path: DENO,
    argv: RUN,
    env: ["HOME=/root", `${V8_FLAGS_VARIABLE}=${SERVE_V8_FLAGS}`],
  });
});

Deno.test("planReexec() leaves V8 flags the user chose, and a process that already has them", async (t) => {
  const cases: [string, readonly string[], Record<string, string>][] = [
    ["--v8-flags=…", ["deno", "run", "--v8-flags=--max-old-space-size=64", "main.ts"], {}],
    ["--v8-flags …", ["deno", "run", "--v8-flags", "--expose-gc", "main.ts"], {}],
    ["DENO_V8_FLAGS", RUN, { [V8_FLAGS_VARIABLE]: "--expose-gc" }],
    ["after the re-execution", RUN, { [V8_FLAGS_VARIABLE]: SERVE_V8_FLAGS }],
    ["a debugger", ["deno", "run", "--inspect-brk", "-A", "main.ts"], {}],
    ["no command line", [], {}],
  ];
  for (const [name, cmdline, env] of cases) {
    await t.step(name, () => assert.equal(planReexec({ cmdline, env, execPath: DENO }), null));
  }
});

Deno.test("planReexec() does not mistake an empty DENO_V8_FLAGS for flags", () => {
  assert.notEqual(
    planReexec({ cmdline: RUN, env: { [V8_FLAGS_VARIABLE]: "" }, execPath: DENO }),
    null,
  );
});

Deno.test("parseCmdline() splits /proc/self/cmdline at NUL bytes", () => {
  assert.deepEqual(parseCmdline("deno\0run\0main.ts\0\0"), ["deno", "run", "main.ts", ""]);
  assert.deepEqual(parseCmdline("deno\0run\0"), ["deno", "run"]);
});

Deno.test("a supervised server runs with sockserve's V8 flags, same process, same arguments", {
  ignore: Deno.build.os !== "linux" || Deno.env.get("SOCKSERVE_BIN") !== undefined,
}, async () => {
  await using server = await startServer({
    root: await makeTree({ "a.txt": "a" }),
    args: ["--quiet"],
  });
  const pid = server.process.pid;
  const environ = parseCmdline(await Deno.readTextFile(`/proc/${pid}/environ`));
  assert.ok(environ.includes(`${V8_FLAGS_VARIABLE}=${SERVE_V8_FLAGS}`), "the flags are set");
  const cmdline = parseCmdline(await Deno.readTextFile(`/proc/${pid}/cmdline`));
  assert.ok(!cmdline.some((arg) => arg.includes("v8-flags")), cmdline.join(" "));
  assert.equal(server.stderr(), "", "one start, no notice printed twice");
});
