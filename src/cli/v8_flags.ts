/**
 * The V8 flags sockserve serves with, applied without the user's help: a serving isolate's
 * young generation grows to 3 × 16 MiB under load unless V8 is told otherwise, ~45 MB of a
 * busy server's ~175 MB (docs/performance.md).
 *
 * V8 takes its flags once, when the process starts (`--v8-flags`, `DENO_V8_FLAGS`), and freezes
 * them: `node:v8`'s `setFlagsFromString` is a no-op in Deno, and a Web Worker takes no heap
 * limits. So a supervised server started without flags of its own (`deno run -A main.ts`)
 * replaces itself once with the same command and `DENO_V8_FLAGS` set (`execve`, through FFI):
 * the same process id, arguments, descriptors and terminal, before any socket is opened or
 * line printed. Flags the user gives (either way) are left alone, and a compiled binary has
 * them baked in (`scripts/compile.ts`).
 *
 * @module
 */

import { YOUNG_GENERATION_SEMI_SPACE_MB } from "../limits.ts";

/** The V8 flags a server runs with (comma-separated, as `DENO_V8_FLAGS` takes them). */
export const SERVE_V8_FLAGS = `--max-semi-space-size=${YOUNG_GENERATION_SEMI_SPACE_MB}`;

/** The environment variable Deno reads V8 flags from at start. */
export const V8_FLAGS_VARIABLE = "DENO_V8_FLAGS";

/** What the decision needs to know about the running process. */
export interface ProcessFacts {
  /** The process's arguments as the kernel has them (`/proc/self/cmdline`), runtime first. */
  readonly cmdline: readonly string[];
  /** The environment. */
  readonly env: Readonly<Record<string, string>>;
  /** The runtime's executable (`Deno.execPath()`). */
  readonly execPath: string;
}

/** How to execute the process again: the program, its arguments and its environment. */
export interface Reexec {
  readonly path: string;
  readonly argv: readonly string[];
  /** `NAME=value` entries. */
  readonly env: readonly string[];
}

/**
 * Decides whether to run the same command again with {@linkcode SERVE_V8_FLAGS} (pure): not when
 * the user chose V8 flags (`--v8-flags`, or `DENO_V8_FLAGS`, which also marks a process that
 * already did it), and not under a debugger (`--inspect…`), which would lose its session.
 *
 * @param facts The process's command line, environment and executable.
 * @returns The program to execute, or null to carry on as is.
 * @example
 * ```ts
 * planReexec({ cmdline: ["deno", "run", "-A", "main.ts"], env: {}, execPath: "/usr/bin/deno" });
 * // { path: "/usr/bin/deno", argv: [...], env: ["DENO_V8_FLAGS=--max-semi-space-size=2"] }
 * ```
 */
export function planReexec(facts: ProcessFacts): Reexec | null {
  const { cmdline, env, execPath } = facts;
  if (cmdline.length === 0 || (env[V8_FLAGS_VARIABLE] ?? "") !== "") return null;
  const chosen = (arg: string) =>
    arg === "--v8-flags" || arg.startsWith("--v8-flags=") || arg.startsWith("--inspect");
  if (cmdline.some(chosen)) return null;
  return {
    path: execPath,
    argv: cmdline,
    env: [
      ...Object.entries(env).map(([name, value]) => `${name}=${value}`),
      `${V8_FLAGS_VARIABLE}=${SERVE_V8_FLAGS}`,
    ],
  };
}

/**
 * Splits `/proc/self/cmdline` (NUL-terminated arguments) into the arguments.
 *
 * @param text The file's text.
 * @returns The arguments.
 */
export function parseCmdline(text: string): string[] {
  const args = text.split("\0");
  if (args.at(-1) === "") args.pop();
  return args;
}

/**
 * Replaces this process with the same command and {@linkcode SERVE_V8_FLAGS} when
 * {@linkcode planReexec} says so; returns when it does not, or when the system refuses (then the
 * server runs with V8's defaults). Linux only, and only with every permission (it reads
 * `/proc/self/cmdline` and calls libc's `execve` through FFI); not in a compiled binary.
 */
export function reexecWithServeFlags(): void {
  if (Deno.build.os !== "linux" || Deno.build.standalone) return;
  const plan = planReexec({
    cmdline: parseCmdline(Deno.readTextFileSync("/proc/self/cmdline")),
    env: Deno.env.toObject(),
    execPath: Deno.execPath(),
  });
  if (plan === null) return;
  let libc;
  try {
    libc = Deno.dlopen("libc.so.6", {
      execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
    });
  } catch {
    return; // not glibc: serve with V8's defaults
  }
  try {
    const encoder = new TextEncoder();
    const strings: Uint8Array<ArrayBuffer>[] = [];
    const cString = (text: string) => {
      const bytes = encoder.encode(`${text}\0`);
      strings.push(bytes);
      return bytes;
    };
    // A NULL-terminated array of pointers to NUL-terminated strings, as execve(2) takes them.
    const pointers = (list: readonly string[]) => {
      const array = new BigUint64Array(list.length + 1);
      list.forEach((text, i) => {
        array[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(cString(text))));
      });
      return array;
    };
    // Returns only if the kernel refused; `strings` keeps every buffer alive until then.
    libc.symbols.execve(cString(plan.path), pointers(plan.argv), pointers(plan.env));
  } finally {
    libc.close();
  }
}
