/**
 * The binary build: argument assembly (pure), checksums, and the release workflows' YAML.
 * Whether a binary can be built at all depends on Deno's denort download: `.ci/run` tries and
 * says why not; `SOCKSERVE_BIN=… deno task test` runs every integration test on a binary.
 */

import assert from "node:assert/strict";
import { parse } from "yaml";
import {
  compilePlan,
  formatChecksums,
  hostTarget,
  outputName,
  TARGETS,
} from "../../scripts/compile.ts";

Deno.test("outputName() is sockserve-<target>, with .exe on Windows and -locked for locked builds", () => {
  assert.equal(outputName("x86_64-unknown-linux-gnu", false), "sockserve-x86_64-unknown-linux-gnu");
  assert.equal(outputName("x86_64-pc-windows-msvc", false), "sockserve-x86_64-pc-windows-msvc.exe");
  assert.equal(outputName("aarch64-apple-darwin", true), "sockserve-locked-aarch64-apple-darwin");
});

Deno.test("compilePlan() builds the general binary supervised (all permissions) with the embedded site", () => {
  const plan = compilePlan("aarch64-unknown-linux-gnu", { dist: "dist" });
  assert.equal(plan.output, "dist/sockserve-aarch64-unknown-linux-gnu");
  assert.deepEqual(plan.args, [
    "compile",
    "--target",
    "aarch64-unknown-linux-gnu",
    "--output",
    "dist/sockserve-aarch64-unknown-linux-gnu",
    "--unstable-net",
    "--unstable-worker-options",
    "--v8-flags=--max-semi-space-size=2",
    "--include",
    "www",
    "--include",
    "src/server/worker.ts",
    "--allow-all",
    "main.ts",
  ]);
});

Deno.test("compilePlan() scopes a locked build's read and write to its root and log dir, and bakes them in", () => {
  const plan = compilePlan("x86_64-unknown-linux-gnu", {
    dist: "out",
    locked: { root: "/srv/site", logDir: "/var/log/sockserve" },
  });
  assert.equal(plan.output, "out/sockserve-locked-x86_64-unknown-linux-gnu");
  const args = plan.args.join(" ");
  assert.ok(args.includes("--allow-read=/srv/site --allow-write=/var/log/sockserve"));
  assert.ok(!args.includes("--include"), "a locked build does not embed the default site");
  assert.ok(!/--allow-(read|write)(\s|$)/.test(args), "no unscoped read or write");
  assert.ok(args.endsWith("main.ts --root /srv/site --log-dir /var/log/sockserve"));
});

Deno.test("compilePlan() covers every released target", () => {
  assert.deepEqual([...TARGETS].sort(), [
    "aarch64-apple-darwin",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "x86_64-pc-windows-msvc",
    "x86_64-unknown-linux-gnu",
  ]);
  assert.ok(TARGETS.includes(hostTarget()));
});

Deno.test("formatChecksums() writes sha256sum's format", () => {
  assert.equal(formatChecksums([["a", "00ff"], ["b.exe", "11ee"]]), "00ff  a\n11ee  b.exe\n");
});

type Step = { uses?: string; run?: string; with?: Record<string, string> };
type Workflow = {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<
    string,
    { "runs-on": string; steps: Step[]; strategy?: { matrix: { os: string[] } } }
  >;
};

async function workflow(name: string): Promise<Workflow> {
  return parse(
    await Deno.readTextFile(new URL(`../../.github/workflows/${name}`, import.meta.url)),
  ) as Workflow;
}

Deno.test("ci.yml checks and tests on Linux, macOS and Windows", async () => {
  const ci = await workflow("ci.yml");
  assert.ok("push" in ci.on && "pull_request" in ci.on);
  const runs = Object.values(ci.jobs).flatMap((job) => job.steps.map((s) => s.run).filter(Boolean));
  assert.ok(runs.includes("deno task check"));
  assert.ok(runs.includes("deno task test"));
  const oses = Object.values(ci.jobs).flatMap((job) => job.strategy?.matrix.os ?? [job["runs-on"]]);
  for (const os of ["ubuntu-latest", "macos-latest", "windows-latest"]) {
    assert.ok(oses.includes(os), os);
  }
  const tasks =
    JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url))).tasks;
  for (const run of runs) {
    const task = /^deno task (\S+)$/.exec(run!)?.[1];
    if (task) assert.ok(task in tasks, `the workflow runs an existing task: ${task}`);
  }
});

Deno.test("release.yml compiles every target on a v* tag and attaches binaries and SHA256SUMS", async () => {
  const release = await workflow("release.yml");
  assert.deepEqual(release.on, { push: { tags: ["v*"] } });
  assert.equal(release.permissions?.contents, "write");
  const steps = Object.values(release.jobs).flatMap((job) => job.steps);
  assert.ok(steps.some((s) => s.run === "deno task compile"));
  const upload = steps.find((s) => s.uses?.startsWith("softprops/action-gh-release"));
  assert.ok(upload, "a release upload step");
  assert.match(upload.with!.files, /dist\/sockserve-\*/);
  assert.match(upload.with!.files, /dist\/SHA256SUMS/);
});
