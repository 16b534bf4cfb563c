/**
 * `deno task serve` as a new user runs it (src/cli/startup.ts, deno.json): in a terminal and
 * through a pipe, for any folder, host and worker count, never prompting, with the serving
 * isolates granted only what serving needs.
 */

import assert from "node:assert/strict";
import { eventually, makeTree } from "../helpers.ts";

const REPO = new URL("../../", import.meta.url).pathname;

/** A running `deno task serve …` whose output is read as it comes. */
interface Task extends AsyncDisposable {
  readonly output: () => string;
  readonly port: () => Promise<number>;
  readonly stop: () => Promise<{ code: number; output: string }>;
  /** Kills the terminal (`script`) and its shell, as closing a terminal window does. */
  readonly closeTerminal: () => Promise<void>;
}

/**
 * Starts `deno task serve ARGS` in the repository, through a pseudo-terminal (`script`) or a
 * pipe, and collects everything it prints (stdout and stderr together).
 */
function serveTask(args: readonly string[], terminal: boolean): Task {
  const task = [Deno.execPath(), "task", "serve", ...args].map((a) => `'${a}'`).join(" ");
  // setsid: the task, its deno and sockserve form one process group, stopped together.
  const command = terminal
    ? new Deno.Command("setsid", {
      args: ["script", "-q", "-e", "-c", task, "/dev/null"],
      cwd: REPO,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    })
    : new Deno.Command("setsid", {
      args: ["sh", "-c", `${task} 2>&1`],
      cwd: REPO,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    });
  const child = command.spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pumps = Promise.all([child.stdout, child.stderr].map(async (stream) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  }));
  const port = async () => {
    for (let i = 0; i < 1000; i++) {
      const match = /Serving .* at http:\/\/[^ ]*:(\d+)\//.exec(text);
      if (match) return Number(match[1]);
      if (/Allow\?|Deno requests/.test(text)) throw new Error(`A permission prompt:\n${text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`No banner:\n${text}`);
  };
  const signalGroup = (signal: string) =>
    new Deno.Command("kill", { args: [`-${signal}`, "--", `-${child.pid}`], stderr: "null" })
      .output();
  const stop = async () => {
    await signalGroup("TERM");
    const status = await child.status;
    await pumps;
    return { code: status.code, output: text };
  };
  return {
    output: () => text,
    port,
    stop,
    closeTerminal: async () => void await signalGroup("KILL"),
    [Symbol.asyncDispose]: async () => {
      await signalGroup("KILL");
      await child.status;
      await pumps;
    },
  };
}

async function fetchText(port: number, host = "127.0.0.1"): Promise<string> {
  const response = await fetch(`http://${host.includes(":") ? `[${host}]` : host}:${port}/`);
  return await response.text();
}

for (const terminal of [true, false]) {
  Deno.test(`deno task serve starts ${terminal ? "in a terminal" : "through a pipe"} without a permission prompt`, async () => {
    const root = await makeTree({ "index.html": "task" });
    const logs = await Deno.makeTempDir();
    await using task = serveTask(["-p", "0", "-d", root, "--log-dir", logs], terminal);
    const port = await task.port();
    assert.equal(await fetchText(port), "task");
    assert.doesNotMatch(task.output(), /Allow\?|Deno requests/);
  });
}

Deno.test("deno task serve -d DIR --log-dir DIR: the serving isolate may read the root and nothing else", async () => {
  const root = await makeTree({ "index.html": "scoped" });
  const logs = await Deno.makeTempDir();
  await using task = serveTask(["-p", "0", "-d", root, "--log-dir", logs, "-v"], false);
  const port = await task.port();
  assert.equal(await fetchText(port), "scoped");
  // The serving isolate asks Deno itself; these are Deno's answers, not sockserve's checks.
  const line = /Serving isolate 1: (.*)/.exec(task.output())?.[1] ?? "";
  assert.equal(
    line.trim(),
    `read ${root}: granted, read ${root}/..: denied, write: denied, net 127.0.0.1: granted, ` +
      "net elsewhere: denied, env: denied, run: denied, ffi: denied, sys: denied",
  );
});

for (const host of ["0.0.0.0", "::", "localhost"]) {
  Deno.test(`deno task serve --host ${host} listens where asked`, async () => {
    const root = await makeTree({ "index.html": "host" });
    const logs = await Deno.makeTempDir();
    await using task = serveTask(["-p", "0", "-d", root, "--log-dir", logs, "--host", host], false);
    const port = await task.port();
    const client = host === "::" ? "::1" : "127.0.0.1";
    // A wildcard address answers any Host; localhost answers its own name.
    assert.equal(await fetchText(port, client), "host");
  });
}

Deno.test("deno task serve --workers 2 serves from two scoped isolates", async () => {
  const root = await makeTree({ "index.html": "two" });
  const logs = await Deno.makeTempDir();
  await using task = serveTask(
    ["-p", "0", "-d", root, "--log-dir", logs, "--workers", "2", "-v"],
    false,
  );
  const port = await task.port();
  for (let i = 0; i < 6; i++) assert.equal(await fetchText(port), "two");
  assert.match(
    task.output(),
    /Serving isolate 1: read .*: granted, read .*: denied, write: denied/,
  );
  assert.match(
    task.output(),
    /Serving isolate 2: read .*: granted, read .*: denied, write: denied/,
  );
  assert.match(task.output(), /2 serving isolates/);
});

Deno.test("deno task serve with a missing root says so in one line and exits 2", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "serve", "-p", "0", "-d", "/nonexistent-sockserve-root"],
    cwd: REPO,
  }).output();
  assert.equal(output.code, 2);
  assert.match(
    new TextDecoder().decode(output.stderr),
    /^Directory \/nonexistent-sockserve-root does not exist\.$/m,
  );
});

Deno.test("deno task serve: SIGTERM ends it with a line saying how many responses it served", async () => {
  const root = await makeTree({ "index.html": "count" });
  const logs = await Deno.makeTempDir();
  await using task = serveTask(["-p", "0", "-d", root, "--log-dir", logs, "-q"], false);
  const port = await task.port();
  for (let i = 0; i < 3; i++) await fetchText(port);
  const { output } = await task.stop();
  assert.match(output, /^sockserve stopped after 3 responses\.$/m);
});

Deno.test("in a terminal, a hang-up (the terminal closing) stops sockserve: nothing is left holding the port", async () => {
  const root = await makeTree({ "index.html": "hang-up" });
  const logs = await Deno.makeTempDir();
  await using task = serveTask(["-p", "0", "-d", root, "--log-dir", logs], true);
  const port = await task.port();
  assert.equal(await fetchText(port), "hang-up");
  // The kernel sends SIGHUP to the programs of a terminal that goes away.
  await task.closeTerminal();
  await eventually(async () => {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return false;
    } catch {
      return true;
    }
  }, "sockserve to stop after its terminal closed");
});
