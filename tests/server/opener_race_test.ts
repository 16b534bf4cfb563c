/**
 * The swap race: someone who can write inside the served root exchanges a folder, a file, a
 * custom error page and a listed folder with symlinks to outside content, atomically and as fast
 * as they can (renameat2 RENAME_EXCHANGE), while clients ask for them. Not one response may carry
 * outside content, whatever the timing. Linux only (renameat2); needs python3 for the swapper.
 *
 * @module
 */

import assert from "node:assert/strict";
import { serve } from "../../src/server/serve.ts";
import { LogRelay } from "../../src/log/relay.ts";
import { startServer } from "../helpers.ts";

const SWAPPER = new URL("../fixtures/swapper.py", import.meta.url).pathname;
const ATTACK_SECONDS = 3;
const CLIENTS = 8;
/** What every outside file contains; no response body may contain it. */
const SECRET = "OUTSIDE-SECRET";

const canRace = Deno.build.os === "linux" && await hasPython();

async function hasPython(): Promise<boolean> {
  try {
    return (await new Deno.Command("python3", { args: ["--version"] }).output()).success;
  } catch {
    return false;
  }
}

/** Builds root/ and outside/ side by side; returns the root and the pairs the swapper flips. */
async function buildSite(): Promise<{ root: string; pairs: string[] }> {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "sockserve-race-" }));
  const root = `${base}/root`;
  const outside = `${base}/outside`;
  for (const dir of [`${root}/d`, `${root}/list`, `${outside}/d`, `${outside}/list`]) {
    await Deno.mkdir(dir, { recursive: true });
  }
  await Deno.writeTextFile(`${root}/d/f.txt`, "inside d\n");
  await Deno.writeTextFile(`${root}/g.txt`, "inside g\n");
  await Deno.writeTextFile(`${root}/404.html`, "inside 404\n");
  await Deno.writeTextFile(`${root}/list/a.txt`, "a\n");
  await Deno.writeTextFile(`${outside}/d/f.txt`, `${SECRET} d\n`);
  await Deno.writeTextFile(`${outside}/g.txt`, `${SECRET} g\n`);
  await Deno.writeTextFile(`${outside}/404.html`, `${SECRET} 404\n`);
  await Deno.writeTextFile(`${outside}/list/${SECRET}-name.txt`, "x\n");
  await Deno.symlink("../outside/d", `${root}/dl`);
  await Deno.symlink("../outside/g.txt", `${root}/gl`);
  await Deno.symlink("../outside/404.html", `${root}/404l`);
  await Deno.symlink("../outside/list", `${root}/listl`);
  const pairs = ["d", "dl", "g.txt", "gl", "404.html", "404l", "list", "listl"]
    .map((name) => `${root}/${name}`);
  return { root, pairs };
}

/** What the clients saw during an attack. */
interface Outcome {
  readonly responses: number;
  readonly leaks: string[];
  readonly insideBodies: number;
  readonly statuses: Map<number, number>;
  readonly swaps: number;
}

/** Runs the swapper while CLIENTS loop over the four targets. */
async function attack(port: number, pairs: readonly string[]): Promise<Outcome> {
  const swapper = new Deno.Command("python3", {
    args: [SWAPPER, String(ATTACK_SECONDS), ...pairs],
    stdout: "piped",
  }).spawn();
  const targets = ["/d/f.txt", "/g.txt", "/missing", "/list/"];
  const leaks: string[] = [];
  const statuses = new Map<number, number>();
  let responses = 0;
  let insideBodies = 0;
  const end = performance.now() + ATTACK_SECONDS * 1000;
  await Promise.all(Array.from({ length: CLIENTS }, async (_, client) => {
    for (let i = client; performance.now() < end; i++) {
      const target = targets[i % targets.length];
      const response = await fetch(`http://127.0.0.1:${port}${target}`);
      const body = await response.text();
      responses++;
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (body.includes(SECRET)) leaks.push(`${target} → ${response.status}: ${body.slice(0, 80)}`);
      if (body.includes("inside") || body.includes("a.txt")) insideBodies++;
    }
  }));
  const swaps = Number(new TextDecoder().decode((await swapper.output()).stdout).trim());
  return { responses, leaks, insideBodies, statuses, swaps };
}

function assertNoLeak(outcome: Outcome): void {
  assert.deepEqual(outcome.leaks.slice(0, 5), [], `${outcome.leaks.length} leaks`);
  // The attack was real: the swapper flipped the names many times, and the inside content
  // was still served between the swaps.
  assert.ok(outcome.swaps > 1000, `only ${outcome.swaps} swaps`);
  assert.ok(outcome.insideBodies > 20, `only ${outcome.insideBodies} inside bodies`);
}

Deno.test({
  name: "swap race: the supervised server (scoped serving isolate) never answers outside content",
  ignore: !canRace,
  async fn() {
    const { root, pairs } = await buildSite();
    await using server = await startServer({
      root,
      args: ["--listing", "--quiet"],
      permissions: ["--allow-all"],
      denoRun: true,
    });
    const outcome = await attack(server.port, pairs);
    assertNoLeak(outcome);
    await server.stop();
    assert.doesNotMatch(server.stderr(), /NotCapable|^ {4}at /m, "no stack trace on stderr");
  },
});

Deno.test({
  name: "swap race: the kernel-proven server (all permissions, one isolate) never leaks",
  ignore: !canRace,
  async fn() {
    const { root, pairs } = await buildSite();
    const logDir = await Deno.makeTempDir({ prefix: "sockserve-logs-" });
    const server = await serve({
      root,
      host: "127.0.0.1",
      port: 0,
      logDir,
      headerTimeoutS: 10,
      idleTimeoutS: 10,
      protocol: "1.1",
      allowStop: false,
      quiet: true,
      verbose: false,
      colour: false,
      listing: true,
      logs: new LogRelay(() => {}, false),
    });
    try {
      assert.equal(server.confinement, "kernel");
      assertNoLeak(await attack(server.addr.port, pairs));
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "swap race: a FIFO swapped in for a file never blocks the server, and SIGTERM still ends it",
  ignore: !canRace,
  async fn() {
    const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "sockserve-fifo-" }));
    await Deno.writeTextFile(`${base}/f.txt`, "inside f\n");
    const mkfifo = await new Deno.Command("mkfifo", { args: [`${base}/pipe`] }).output();
    assert.ok(mkfifo.success, "mkfifo");
    await using server = await startServer({ root: base, args: ["--quiet"], denoRun: true });
    const swapper = new Deno.Command("python3", {
      args: [SWAPPER, String(ATTACK_SECONDS), `${base}/f.txt`, `${base}/pipe`],
      stdout: "piped",
    }).spawn();
    const statuses = new Map<number, number>();
    let stalled = 0;
    const end = performance.now() + ATTACK_SECONDS * 1000;
    // More clients than the runtime has blocking threads (32), so one blocked open per thread
    // would be enough to hang every later request.
    await Promise.all(Array.from({ length: 48 }, async () => {
      while (performance.now() < end) {
        try {
          const response = await fetch(`http://127.0.0.1:${server.port}/f.txt`, {
            // A blocked open hangs forever; 15 s only rules out a slow, loaded machine.
            signal: AbortSignal.timeout(15_000),
          });
          await response.body?.cancel();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        } catch {
          stalled++;
          return;
        }
      }
    }));
    await swapper.output();
    assert.equal(stalled, 0, `stalled requests; statuses: ${[...statuses]}`);
    assert.ok((statuses.get(403) ?? 0) > 0, `the FIFO was hit: ${[...statuses]}`);
    await Deno.writeTextFile(`${base}/new.txt`, "fresh\n");
    const fresh = await fetch(`http://127.0.0.1:${server.port}/new.txt`);
    assert.equal(await fresh.text(), "fresh\n");
    const status = await server.stop("SIGTERM");
    assert.equal(status.code, 0);
  },
});
