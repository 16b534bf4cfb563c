/**
 * The project configuration (deno.json, tests/deno.json): serving fetches only what serving
 * needs, and the test configuration uses the very same runtime packages.
 */

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

function config(path: string): { imports: Record<string, string> } {
  return JSON.parse(Deno.readTextFileSync(new URL(path, ROOT)));
}

Deno.test("deno.json imports only what serving needs; test-only packages live in tests/deno.json", () => {
  const root = config("deno.json").imports;
  const tests = config("tests/deno.json").imports;
  assert.ok(!("playwright-core" in root) && !("yaml" in root), Object.keys(root).join(", "));
  for (const [name, specifier] of Object.entries(root)) {
    assert.equal(tests[name], specifier, `tests/deno.json must use the same ${name}`);
  }
});

Deno.test("running sockserve from a fresh copy installs no test-only package", async () => {
  const copy = await Deno.makeTempDir({ prefix: "sockserve-fresh-" });
  for (const file of ["deno.json", "deno.lock", "main.ts"]) {
    await Deno.copyFile(new URL(file, ROOT), `${copy}/${file}`);
  }
  await new Deno.Command("cp", { args: ["-r", new URL("src", ROOT).pathname, copy] }).output();
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "--version"],
    cwd: copy,
  }).output();
  assert.ok(run.success, new TextDecoder().decode(run.stderr));
  const installed = [...Deno.readDirSync(`${copy}/node_modules/.deno`)].map((e) => e.name);
  assert.ok(installed.some((name) => name.startsWith("mime-types@")), installed.join(", "));
  assert.ok(!installed.some((name) => /^(playwright-core|yaml)@/.test(name)), installed.join(", "));
  await Deno.remove(copy, { recursive: true });
});
