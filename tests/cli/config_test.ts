/**
 * Settings from a TOML file and SOCKSERVE_* variables (src/cli/config.ts) and their merge with
 * the command line (parseCli): precedence, origins, and one line with FILE:LINE:COL per error.
 */

import assert from "node:assert/strict";
import { parse } from "smol-toml";
import { parseCli, SERVE_OPTION_NAMES, type ServeCommand } from "../../src/cli/args.ts";
import {
  envVariable,
  keyPathText,
  locateKey,
  mergeLayers,
  readConfigText,
  readEnvironment,
} from "../../src/cli/config.ts";
import { launcher, makeTree, request, startServer } from "../helpers.ts";
import { loadGlobs } from "../../src/server/rules.ts";
import { loadToml } from "../../src/cli/config.ts";

// Config files need smol-toml, and their header rules picomatch: main.ts imports them first.
await Promise.all([loadToml(), loadGlobs()]);

const OPTIONS = {
  port: { type: "string" },
  root: { type: "string" },
  host: { type: "string", multiple: true },
  compress: { type: "boolean" },
  "tls-cert": { type: "string" },
  help: { type: "boolean" },
  config: { type: "string" },
} as const;

/** parseCli with a config file held in memory. */
function parseWith(
  args: string[],
  files: Record<string, string>,
  env: Record<string, string> = {},
) {
  return parseCli(args, 2, {
    env,
    readFile: (path) => {
      if (!(path in files)) throw new Error("no such file");
      return files[path];
    },
  });
}

/** The message of a usage error (fails the test for anything else). */
function errorOf(command: ReturnType<typeof parseCli>): string {
  assert.equal(command.kind, "error", JSON.stringify(command));
  return (command as { message: string }).message;
}

Deno.test("precedence: port 9000 in the file, 9001 in the environment, 9002 on the command line → 9002", () => {
  const files = { "s.toml": "port = 9000\n" };
  const env = { SOCKSERVE_PORT: "9001" };
  assert.equal(
    (parseWith(["--config", "s.toml", "-p", "9002"], files, env) as ServeCommand).port,
    9002,
  );
  assert.equal((parseWith(["--config", "s.toml", "9002"], files, env) as ServeCommand).port, 9002);
  assert.equal((parseWith(["--config", "s.toml"], files, env) as ServeCommand).port, 9001);
  assert.equal((parseWith(["--config", "s.toml"], files) as ServeCommand).port, 9000);
  assert.equal((parseWith([], files) as ServeCommand).port, 8080);
});

Deno.test("SOCKSERVE_CONFIG names the file when --config does not; --config wins over it", () => {
  const files = { "a.toml": "port = 9100\n", "b.toml": "port = 9200\n" };
  const env = { SOCKSERVE_CONFIG: "a.toml" };
  assert.equal((parseWith([], files, env) as ServeCommand).port, 9100);
  assert.equal((parseWith(["--config", "b.toml"], files, env) as ServeCommand).port, 9200);
});

Deno.test("every option can be set in the file, with TOML's own types", () => {
  const text = [
    'root = "site"',
    'host = ["127.0.0.1", "::1"]',
    "compress = true",
    "header-timeout = 2.5",
    'workers = "auto"',
    "max-connections = 100",
    'cache-control = "no-cache"',
  ].join("\n");
  const command = parseWith(["--config", "s.toml"], { "s.toml": text }) as ServeCommand;
  assert.equal(command.kind, "serve");
  assert.equal(command.root, "site");
  assert.deepEqual(command.hosts, ["127.0.0.1", "::1"]);
  assert.equal(command.compress, true);
  assert.equal(command.headerTimeoutS, 2.5);
  assert.equal(command.workers, 2);
  assert.equal(command.maxConnections, 100);
  assert.equal(command.cacheControl, "no-cache");
});

Deno.test("paths in a config file are relative to the file's folder", () => {
  const text = 'root = "site"\nlog-dir = "/var/log/s"\ntls-cert = "c.pem"\ntls-key = "k.pem"\n';
  const command = parseWith(["--config", "/etc/sockserve/s.toml"], {
    "/etc/sockserve/s.toml": text,
  }) as ServeCommand;
  assert.equal(command.root, "/etc/sockserve/site");
  assert.equal(command.logDir, "/var/log/s");
  assert.equal(command.tlsCert, "/etc/sockserve/c.pem");
});

Deno.test("a repeatable option set higher up replaces the list below it", () => {
  const files = { "s.toml": 'host = ["127.0.0.1", "::1"]\n' };
  assert.deepEqual(
    (parseWith(["--config", "s.toml", "--host", "0.0.0.0"], files) as ServeCommand).hosts,
    ["0.0.0.0"],
  );
  assert.deepEqual(
    (parseWith(["--config", "s.toml"], files, { SOCKSERVE_HOST: "::1,127.0.0.1" }) as ServeCommand)
      .hosts,
    ["::1", "127.0.0.1"],
  );
});

const FILE_ERRORS: readonly { rule: string; text: string; message: string }[] = [
  {
    rule: "an unknown key names the closest option",
    text: 'root = "x"\nprot = 9000\n',
    message: "s.toml:2:1 prot: unknown key (did you mean protocol?)",
  },
  {
    rule: "an unknown key with nothing close is just unknown",
    text: "\n\nzzzzzz = 1\n",
    message: "s.toml:3:1 zzzzzz: unknown key",
  },
  {
    rule: "a boolean option given a string",
    text: 'port = 9000\n  compress = "yes"\n',
    message: "s.toml:2:3 compress: expected true or false, got a string",
  },
  {
    rule: "a string option given a number",
    text: "root = 5\n",
    message: "s.toml:1:1 root: expected a string, got a number",
  },
  {
    rule: "a numeric option given a table",
    text: "[port]\nx = 1\n",
    message: "s.toml:1:1 port: expected a number, got a table",
  },
  {
    rule: "a list where one value is wanted",
    text: 'root = ["a", "b"]\n',
    message: "s.toml:1:1 root: expected a string, got a list",
  },
  {
    rule: "a repeatable option given a list with a number in it",
    text: 'host = ["127.0.0.1", 1]\n',
    message: "s.toml:1:1 host: expected a string or a list of them, got a list",
  },
  {
    rule: "a value the command line would refuse is refused with the file's line",
    text: "# comment\n\nport = 70000\n",
    message: 's.toml:3:1 port: Port must be an integer from 0 to 65535, got "70000"',
  },
  {
    rule: "a bad protocol in the file",
    text: 'port = 1\nprotocol = "2"\n',
    message: 's.toml:2:1 protocol: --protocol must be 1.0 or 1.1, got "2"',
  },
  {
    rule: "help and config only make sense on the command line",
    text: 'config = "other.toml"\n',
    message: "s.toml:1:1 config: only on the command line",
  },
  {
    rule: "a TOML syntax error carries the parser's line and column",
    text: 'port = 9000\nroot = "x\n',
    message: "s.toml:2:",
  },
  {
    rule: "a key defined twice is a syntax error at the second",
    text: "port = 1\nport = 2\n",
    message: "s.toml:2:1 ",
  },
];

for (const { rule, text, message } of FILE_ERRORS) {
  Deno.test(`config file: ${rule}`, () => {
    const got = errorOf(parseWith(["--config", "s.toml"], { "s.toml": text }));
    assert.ok(got.startsWith(message), `${got} does not start with ${message}`);
    assert.ok(!got.includes("\n"), "one line");
  });
}

Deno.test("a value from the environment that validation refuses names its variable", () => {
  assert.equal(
    errorOf(parseWith([], {}, { SOCKSERVE_PORT: "http" })),
    'SOCKSERVE_PORT: Port must be an integer from 0 to 65535, got "http"',
  );
  assert.equal(
    errorOf(parseWith([], {}, { SOCKSERVE_COMPRESS: "maybe" })),
    'SOCKSERVE_COMPRESS: expected true or false, got "maybe"',
  );
});

Deno.test("a value from the command line is refused as before, without an origin", () => {
  assert.equal(
    errorOf(parseWith(["-p", "70000"], {})),
    'Port must be an integer from 0 to 65535, got "70000"',
  );
});

Deno.test("a config file that cannot be read is one line", () => {
  assert.equal(
    errorOf(parseWith(["--config", "missing.toml"], {})),
    "Cannot read the config file missing.toml: no such file",
  );
  assert.equal(errorOf(parseWith(["--config="], {})), "--config must name a file");
});

Deno.test("readEnvironment: booleans in several spellings, lists per line, empty means unset", () => {
  const read = readEnvironment({
    SOCKSERVE_COMPRESS: "yes",
    SOCKSERVE_HOST: "127.0.0.1\n::1",
    SOCKSERVE_ROOT: "",
    PATH: "/bin",
  }, OPTIONS);
  assert.ok(!("kind" in read));
  assert.deepEqual(read.layer.values, { compress: true, host: ["127.0.0.1", "::1"] });
  assert.deepEqual(read.layer.origins.compress, {
    kind: "environment",
    variable: "SOCKSERVE_COMPRESS",
  });
  for (const [text, value] of [["0", false], ["off", false], ["TRUE", true], ["1", true]]) {
    const flag = readEnvironment({ SOCKSERVE_COMPRESS: text as string }, OPTIONS);
    assert.ok(!("kind" in flag));
    assert.equal(flag.layer.values.compress, value, String(text));
  }
});

Deno.test("readEnvironment: an unknown SOCKSERVE_ variable is a notice, not silence", () => {
  const read = readEnvironment({ SOCKSERVE_PROT: "1", SOCKSERVE_BIN: "/x" }, OPTIONS);
  assert.ok(!("kind" in read));
  assert.deepEqual(read.notices, [
    "Ignoring SOCKSERVE_PROT: no such option (did you mean SOCKSERVE_PORT?).",
  ]);
  assert.deepEqual(read.layer.values, {});
});

Deno.test("envVariable: --tls-cert is SOCKSERVE_TLS_CERT", () => {
  assert.equal(envVariable("tls-cert"), "SOCKSERVE_TLS_CERT");
  assert.equal(envVariable("port"), "SOCKSERVE_PORT");
});

Deno.test("mergeLayers: later layers win key by key and keep their origin", () => {
  const merged = mergeLayers(
    { values: { port: "1", root: "a" }, origins: { port: CLI, root: CLI } },
    {
      values: { port: "2" },
      origins: { port: { kind: "environment", variable: "SOCKSERVE_PORT" } },
    },
  );
  assert.deepEqual(merged.values, { port: "2", root: "a" });
  assert.equal(merged.origins.port.kind, "environment");
  assert.equal(merged.origins.root.kind, "command line");
});

const CLI = { kind: "command line" } as const;

const LOCATIONS: readonly {
  path: (string | number)[];
  text: string;
  at: { line: number; column: number };
}[] = [
  { path: ["port"], text: "root = 1\nport = 2\n", at: { line: 2, column: 1 } },
  { path: ["port"], text: '  "port" = 2\n', at: { line: 1, column: 3 } },
  {
    path: ["headers", 1, "glob"],
    text: '[[headers]]\nglob = "a"\n\n[[headers]]\nset = {}\n  glob = "b"\n',
    at: { line: 6, column: 3 },
  },
  {
    path: ["headers", 1],
    text: '[[headers]]\nglob = "a"\n[[headers]]\nset = {}\n',
    at: { line: 3, column: 1 },
  },
  {
    path: ["redirects", 0, "to"],
    text: 'port = 1\n[[headers]]\nto = "x"\n[[redirects]]\nfrom = "/a"\nto = "/b"\n',
    at: { line: 6, column: 1 },
  },
  {
    path: ["headers", 0, "glob"],
    text: 'port = 1\nheaders = [{ glob = "/a" }]\n',
    at: { line: 2, column: 1 },
  },
  { path: ["missing"], text: "port = 1\n", at: { line: 1, column: 1 } },
];

for (const { path, text, at } of LOCATIONS) {
  Deno.test(`locateKey finds ${keyPathText(path)} in ${JSON.stringify(text)}`, () => {
    assert.deepEqual(locateKey(text, path), at);
  });
}

Deno.test("readConfigText passes the rule tables on as parsed, with a locator for their keys", () => {
  const text = 'port = 1\n[[headers]]\nglob = "/a/**"\nset = { "X-A" = "1" }\n';
  const read = readConfigText(text, "s.toml", OPTIONS);
  assert.ok(!("kind" in read));
  assert.deepEqual(JSON.parse(JSON.stringify(read.tables)), {
    headers: [{ glob: "/a/**", set: { "X-A": "1" } }],
  });
  assert.deepEqual(read.locate(["headers", 0, "set"]), {
    kind: "file",
    file: "s.toml",
    line: 4,
    column: 1,
  });
});

Deno.test("config --print shows every setting with where it came from, as a TOML file", () => {
  const command = parseWith(
    ["config", "--print", "--config", "s.toml", "-p", "9002"],
    { "s.toml": 'port = 9000\nroot = "site"\ncompress = true\n' },
    { SOCKSERVE_LISTING: "true" },
  );
  assert.equal(command.kind, "config-print");
  const text = (command as { text: string }).text;
  const line = (key: string) => text.split("\n").find((l) => l.startsWith(`${key} =`)) ?? "";
  assert.match(line("port"), /^port = 9002 +# command line$/);
  assert.match(line("root"), /^root = "site" +# s\.toml:2:1$/);
  assert.match(line("compress"), /^compress = true +# s\.toml:3:1$/);
  assert.match(line("listing"), /^listing = true +# SOCKSERVE_LISTING$/);
  assert.match(line("log-dir"), /^log-dir = "\.\/logs" +# default$/);
  assert.match(text, /^# tls-cert \(not set\) +# default$/m);
  // What it prints is a config file that means the same.
  const reread = parseWith(["--config", "printed.toml"], { "printed.toml": text }) as ServeCommand;
  assert.equal(reread.kind, "serve");
  assert.equal(reread.port, 9002);
  assert.equal(reread.root, "site");
  assert.equal(reread.compress, true);
  assert.equal(reread.listing, true);
  assert.ok(typeof parse(text) === "object");
});

Deno.test("config --print lists every option except the command-line-only ones", () => {
  const command = parseWith(["config", "--print"], {});
  const text = (command as { text: string }).text;
  for (const option of SERVE_OPTION_NAMES) {
    const shown = new RegExp(`^(# )?${option}( =| \\(not set\\))`, "m").test(text);
    assert.equal(shown, !["help", "version", "config", "document-root"].includes(option), option);
  }
});

Deno.test("config without --print is one line and exit 2; config --help is help", () => {
  assert.equal(
    errorOf(parseWith(["config"], {})),
    "sockserve config needs --print (see sockserve config --help)",
  );
  assert.equal(parseWith(["config", "--help"], {}).kind, "config-help");
});

// ── as a process ──────────────────────────────────────────────────────────────────────────────

Deno.test("a server started from a config file serves with its settings", async () => {
  const root = await makeTree({ "a.txt": "hello" });
  const dir = await makeTree({});
  await Deno.writeTextFile(`${dir}/site.toml`, `root = "${root}"\ncors = true\n`);
  await using server = await startServer({
    root,
    omitRoot: true,
    args: ["--config", `${dir}/site.toml`],
  });
  const response = await request(server.port, "GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("access-control-allow-origin"), "*");
});

Deno.test("sockserve config --print runs as a process; env and command line over the file", async () => {
  const dir = await makeTree({});
  await Deno.writeTextFile(`${dir}/s.toml`, "port = 9000\n");
  const [cmd, ...args] = launcher(["--allow-all"], [
    "config",
    "--print",
    "--config",
    `${dir}/s.toml`,
    "-p",
    "9002",
  ]);
  const out = await new Deno.Command(cmd, {
    args,
    env: { SOCKSERVE_PORT: "9001" },
    stdin: "null",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(new TextDecoder().decode(out.stdout), /^port = 9002 +# command line$/m);
});

Deno.test("a config file Deno may not read is named with the flag to add, exit 2", async () => {
  const dir = await makeTree({ "s.toml": "port = 0\n" });
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      `--allow-read=${dir}/www`,
      "main.ts",
      "--config",
      `${dir}/s.toml`,
    ],
    cwd: new URL("../../", import.meta.url).pathname,
    stdin: "null",
  }).output();
  assert.equal(out.code, 2);
  assert.equal(
    new TextDecoder().decode(out.stderr),
    `Cannot read the config file ${dir}/s.toml: read access is not granted: add --allow-read=${dir}/s.toml\n`,
  );
});

Deno.test("a bad config file stops the server before it listens: one line, exit 2", async () => {
  const dir = await makeTree({ "s.toml": 'root = "."\nworkers = "many"\n' });
  const [cmd, ...args] = launcher(["--allow-all"], ["--config", `${dir}/s.toml`]);
  const out = await new Deno.Command(cmd, { args, stdin: "null" }).output();
  assert.equal(out.code, 2);
  assert.equal(
    new TextDecoder().decode(out.stderr),
    `${dir}/s.toml:2:1 workers: --workers must be auto or an integer from 1 to 64, got "many"\n`,
  );
});

Deno.test("sockserve.example.toml is a valid config file that names every option", () => {
  const path = new URL("../../sockserve.example.toml", import.meta.url).pathname;
  const text = Deno.readTextFileSync(path);
  const command = parseCli(["--config", path], 2, { readFile: (p) => Deno.readTextFileSync(p) });
  assert.equal(command.kind, "serve", JSON.stringify(command));
  for (const option of SERVE_OPTION_NAMES) {
    if (["help", "version", "config", "document-root"].includes(option)) continue;
    assert.match(text, new RegExp(`^(# )?${option} =`, "m"), `${option} is not in the example`);
  }
});

Deno.test("sockserve.example.toml's rule tables, uncommented, are valid rules", () => {
  const example = Deno.readTextFileSync(new URL("../../sockserve.example.toml", import.meta.url));
  const rules = example.slice(example.indexOf("# [[headers]]")).replace(/^# (?=[a-z[])/gm, "");
  const command = parseWith(["--config", "rules.toml"], { "rules.toml": rules });
  assert.equal(command.kind, "serve", JSON.stringify(command));
  const { headers, redirects, rewrites } = (command as ServeCommand).rules;
  assert.deepEqual([headers.length, redirects.length, rewrites.length], [1, 1, 1]);
});

Deno.test("an option with an optional value: spa = true is --spa bare, false is not giving it", () => {
  const spa = (text: string, env: Record<string, string> = {}) =>
    (parseWith(["--config", "s.toml"], { "s.toml": text }, env) as ServeCommand).spa;
  assert.equal(spa("spa = true\n"), "/index.html");
  assert.equal(spa('spa = "/app.html"\n'), "/app.html");
  assert.equal(spa("spa = false\n"), null);
  assert.equal(spa("", { SOCKSERVE_SPA: "yes" }), "/index.html");
  assert.equal(spa("", { SOCKSERVE_SPA: "/shell.html" }), "/shell.html");
  assert.match(
    errorOf(
      parseWith(["--config", "s.toml"], { "s.toml": 'clean-urls = true\nspa = "app.html"\n' }),
    ),
    /^s\.toml:2:1 spa: --spa takes a file from the root/,
  );
});

Deno.test("the README's config --print sample is what sockserve prints", () => {
  const repo = new URL("../../", import.meta.url);
  const readme = Deno.readTextFileSync(new URL("README.md", repo));
  const sample = /```\n(# sockserve's settings[^`]*)```/.exec(readme);
  assert.ok(sample !== null, "the sample is in the README");
  const command = parseCli(
    ["config", "--print", "--config", "sockserve.example.toml", "-p", "9002"],
    2,
    { readFile: (path) => Deno.readTextFileSync(new URL(path, repo)) },
  );
  assert.equal(command.kind, "config-print", JSON.stringify(command));
  const printed = (command as { text: string }).text.split("\n");
  const shown = sample[1].split("\n").filter((line) => line !== "" && line !== "…");
  assert.ok(shown.length >= 4);
  for (const line of shown) assert.ok(printed.includes(line), `not printed: ${line}`);
});
