/**
 * The README's commands stay true: every `deno task serve`, `get` and `cert` line in its shell
 * blocks parses without a usage error, and the tasks and files it names exist.
 */

import assert from "node:assert/strict";
import { parseCli } from "../src/cli/args.ts";
import { parseCertArgs } from "../src/cli/cert_args.ts";
import { parseGetArgs } from "../src/client/args.ts";

const ROOT = new URL("../", import.meta.url);
const README = Deno.readTextFileSync(new URL("README.md", ROOT));

/** The command lines of the README's sh blocks, without comments. */
function commands(): string[] {
  const lines: string[] = [];
  for (const [, block] of README.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block.split("\n")) {
      const command = line.replace(/\s+#.*$/, "").trim();
      if (command !== "" && !command.startsWith("#")) lines.push(command);
    }
  }
  return lines;
}

/** Splits a shell line into words, honouring single quotes (enough for the README). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

Deno.test("every deno task serve, get and cert command in the README parses", async (t) => {
  const lines = commands().filter((line) => /^(npx )?deno task (serve|get|cert)\b/.test(line));
  assert.ok(lines.length >= 10, `${lines.length} commands`);
  for (const line of lines) {
    await t.step(line, () => {
      const args = words(line.replace(/^(npx )?deno task /, "").replace(/\s*>.*$/, ""));
      const command = args[0] === "serve"
        ? parseCli(args.slice(1))
        : args[0] === "cert"
        ? parseCertArgs(args.slice(1))
        : parseGetArgs(args.slice(1));
      assert.notEqual(command.kind, "error", command.kind === "error" ? command.message : "");
    });
  }
});

Deno.test("every deno task the README names exists in deno.json", () => {
  const tasks = Object.keys(JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT))).tasks);
  const named = new Set([...README.matchAll(/deno task ([a-z:-]+)/g)].map((m) => m[1]));
  for (const task of named) assert.ok(tasks.includes(task), `deno task ${task}`);
});

Deno.test("every repository file the README links to exists, and nothing outside it is run", () => {
  for (
    const [, target] of README.matchAll(/\]\(((?:src|tests|docs|www|scripts|\.github)[^)#]*)\)/g)
  ) {
    assert.ok(
      (() => {
        try {
          Deno.statSync(new URL(target, ROOT));
          return true;
        } catch {
          return false;
        }
      })(),
      target,
    );
  }
  for (const line of commands()) assert.doesNotMatch(line, /\.\.\/shared\//, line);
});
