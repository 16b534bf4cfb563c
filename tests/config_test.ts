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

Deno.test("every npm package the code imports is declared in deno.json with the same specifier", () => {
  const declared = new Set(Object.values(config("deno.json").imports));
  const used = new Set<string>();
  const walk = (dir: URL) => {
    for (const entry of Deno.readDirSync(dir)) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) walk(url);
      else if (entry.name.endsWith(".ts")) {
        const text = Deno.readTextFileSync(url);
        for (const [, spec] of text.matchAll(/(?:from |@ts-types=)"(npm:[^"]+)"/g)) used.add(spec);
      }
    }
  };
  walk(new URL("src/", ROOT));
  assert.ok(used.size >= 3, [...used].join(", "));
  for (const spec of used) assert.ok(declared.has(spec), `${spec} is not in deno.json imports`);
});

Deno.test("mod.ts works from another Deno program, and its docs and package are clean", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockserve-consumer-" });
  const site = await Deno.makeTempDir({ prefix: "sockserve-site-" });
  await Deno.writeTextFile(`${site}/a.txt`, "from the library");
  await Deno.writeTextFile(
    `${dir}/app.ts`,
    `import { serve } from "${new URL("mod.ts", ROOT).href}";
const server = await serve({ root: ${JSON.stringify(site)}, host: "127.0.0.1", port: 0,
  logDir: ${JSON.stringify(dir)}, headerTimeoutS: 10, idleTimeoutS: 10, protocol: "1.1",
  allowStop: false, quiet: true, verbose: false, colour: false });
console.log(await (await fetch(\`http://127.0.0.1:\${server.addr.port}/a.txt\`)).text());
await server.stop();
`,
  );
  const run = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", "app.ts"], cwd: dir })
    .output();
  assert.equal(new TextDecoder().decode(run.stdout).trim(), "from the library");
  const cwd = new URL(".", ROOT).pathname;
  const doc = await new Deno.Command(Deno.execPath(), { args: ["doc", "--lint", "mod.ts"], cwd })
    .output();
  assert.ok(doc.success, new TextDecoder().decode(doc.stderr));
  const publish = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd,
  }).output();
  assert.ok(publish.success, new TextDecoder().decode(publish.stderr));
});
