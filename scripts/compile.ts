/**
 * `deno task compile`: builds standalone sockserve binaries with `deno compile`.
 *
 *   deno task compile                      every target → dist/sockserve-<target>[.exe]
 *   deno task compile --host-only          this machine's target only
 *   deno task compile --target T           one target
 *   deno task compile --root /srv/site --log-dir /var/log/sockserve
 *                                          a locked build: reads and writes scoped by Deno
 *
 * Then writes dist/SHA256SUMS. `deno compile` needs Deno's `denort` base binary, which it
 * downloads; offline, point DENORT_BIN at a local denort for the host target.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { SERVE_V8_FLAGS } from "../src/cli/v8_flags.ts";

/** The targets released, as `deno compile --target` names them. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/**
 * V8 flags baked into binaries, those `deno run` gets from `src/cli/v8_flags.ts`: a small young
 * generation keeps a busy server's memory down at no measurable cost in throughput.
 */
export const V8_FLAGS: string = SERVE_V8_FLAGS;

/** A `deno compile` target. */
export type Target = typeof TARGETS[number];

/** Scoped folders of a locked build. */
export interface LockedPaths {
  readonly root: string;
  readonly logDir: string;
}

/** One `deno compile` invocation. */
export interface CompilePlan {
  readonly target: Target;
  /** Where the binary goes. */
  readonly output: string;
  /** Arguments after `deno`. */
  readonly args: readonly string[];
}

/**
 * Returns the binary's file name for a target: `sockserve-<target>`, `.exe` on Windows, with
 * `-locked` for a locked build.
 */
export function outputName(target: Target, locked: boolean): string {
  const name = `sockserve${locked ? "-locked" : ""}-${target}`;
  return target.includes("windows") ? `${name}.exe` : name;
}

/**
 * Assembles the `deno compile` arguments for one target (pure).
 *
 * The general binary gets every permission, so it runs supervised like `deno task serve`: its
 * main isolate proves opened files inside the root through the kernel, and the serving isolates
 * it starts get only read access to the root chosen at run time and net access to the address.
 * A locked build bakes `--root` and `--log-dir` in and scopes the whole process's
 * `--allow-read`/`--allow-write` to exactly those paths; without every permission it serves
 * directly, with the weaker identity check (README, Security). `--unstable-worker-options` lets
 * the supervisor scope its workers, `--unstable-net` is for `--workers` (SO_REUSEPORT); the worker
 * module is included explicitly.
 *
 * @param target The target.
 * @param options Output folder and, for a locked build, its paths.
 * @returns The plan.
 */
export function compilePlan(
  target: Target,
  options: { readonly dist: string; readonly locked?: LockedPaths | null },
): CompilePlan {
  const locked = options.locked ?? null;
  const output = `${options.dist}/${outputName(target, locked !== null)}`;
  const permissions = locked === null
    ? ["--allow-all"]
    : ["--allow-net", `--allow-read=${locked.root}`, `--allow-write=${locked.logDir}`];
  const baked = locked === null ? [] : ["--root", locked.root, "--log-dir", locked.logDir];
  return {
    target,
    output,
    args: [
      "compile",
      "--target",
      target,
      "--output",
      output,
      "--unstable-net",
      "--unstable-worker-options",
      `--v8-flags=${V8_FLAGS}`,
      ...(locked === null ? ["--include", "www", "--include", "src/server/worker.ts"] : []),
      ...permissions,
      "main.ts",
      ...baked,
    ],
  };
}

/**
 * Returns the `deno compile` target of the machine running this script.
 */
export function hostTarget(): Target {
  const target = Deno.build.target;
  const known = TARGETS.find((t) => t === target);
  if (!known) throw new Error(`Unsupported host target "${target}"`);
  return known;
}

/** The explanation printed when `deno compile` cannot get its base binary. */
export const DENORT_HINT =
  "deno compile could not get its denort base binary (it downloads it from Deno's servers); " +
  "offline, set DENORT_BIN to the path of a denort built for the host target and use --host-only";

/** Formats `dist/SHA256SUMS` lines: `<hex>  <file name>` (sha256sum's format). */
export function formatChecksums(
  entries: readonly (readonly [name: string, hex: string])[],
): string {
  return entries.map(([name, hex]) => `${hex}  ${name}\n`).join("");
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      "host-only": { type: "boolean" },
      verbose: { type: "boolean", short: "v" },
      target: { type: "string" },
      root: { type: "string" },
      "log-dir": { type: "string" },
      dist: { type: "string", default: "dist" },
    },
  });
  if ((values.root === undefined) !== (values["log-dir"] === undefined)) {
    console.error("A locked build needs both --root and --log-dir.");
    return 2;
  }
  let targets: readonly Target[] = TARGETS;
  if (values["host-only"]) targets = [hostTarget()];
  if (values.target !== undefined) {
    const wanted = TARGETS.find((t) => t === values.target);
    if (!wanted) {
      console.error(`Unknown target "${values.target}"; one of: ${TARGETS.join(", ")}`);
      return 2;
    }
    targets = [wanted];
  }
  const denort = Deno.env.get("DENORT_BIN");
  if (denort && targets.some((t) => t !== hostTarget())) {
    console.error(
      `DENORT_BIN is a denort for one target; building other targets with it fails. Use --host-only.`,
    );
    return 2;
  }
  const locked = values.root === undefined
    ? null
    : { root: values.root, logDir: values["log-dir"]! };
  await Deno.mkdir(values.dist, { recursive: true });
  const built: [string, string][] = [];
  for (const target of targets) {
    const plan = compilePlan(target, { dist: values.dist, locked });
    if (values.verbose) console.log(`deno ${plan.args.join(" ")}`);
    const result = await new Deno.Command(Deno.execPath(), {
      args: [...plan.args],
      stdout: "inherit",
      stderr: "piped",
    })
      .output();
    if (!result.success) {
      const stderr = new TextDecoder().decode(result.stderr);
      // The usual failure offline is the base binary's download: one line says what to do,
      // without Deno's backtrace. Anything else is shown as Deno reported it.
      if (/denort|dl\.deno\.land|dns error|failed to lookup/i.test(stderr)) {
        console.error(DENORT_HINT);
      } else {
        console.error(stderr.trimEnd());
        console.error(`deno compile failed for ${target}.`);
      }
      return 1;
    }
    built.push([plan.output.slice(values.dist.length + 1), await sha256(plan.output)]);
  }
  await Deno.writeTextFile(`${values.dist}/SHA256SUMS`, formatChecksums(built));
  console.log(`Wrote ${built.length} binaries and ${values.dist}/SHA256SUMS`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
