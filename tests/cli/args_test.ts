/**
 * parseCli(): the command line as a pure function.
 */

import assert from "node:assert/strict";
import { formatServerUrl, parseCli, portNotices, type ServeCommand } from "../../src/cli/args.ts";
import { loadGlobs } from "../../src/server/rules.ts";
import { loadToml } from "../../src/cli/config.ts";

// Config files need smol-toml, and their header rules picomatch: main.ts imports them first.
await Promise.all([loadToml(), loadGlobs()]);

function serve(args: string[]): ServeCommand {
  const command = parseCli(args);
  assert.equal(command.kind, "serve", JSON.stringify(command));
  return command as ServeCommand;
}

function error(args: string[]): string {
  const command = parseCli(args);
  assert.equal(command.kind, "error", `${args.join(" ")} should fail`);
  return command.kind === "error" ? command.message : "";
}

Deno.test("parseCli() defaults: port 8080, ./www, 127.0.0.1, ./logs, 10 s timeouts, HTTP/1.1", () => {
  const c = serve([]);
  assert.equal(c.port, 8080);
  assert.equal(c.root, "./www");
  assert.deepEqual(c.hosts, ["127.0.0.1"]);
  assert.equal(c.logDir, "./logs");
  assert.equal(c.headerTimeoutS, 10);
  assert.equal(c.idleTimeoutS, 10);
  assert.equal(c.protocol, "1.1");
  assert.equal(c.allowStop, false);
  assert.equal(c.rootGiven, false);
});

Deno.test("parseCli() takes the port from -p, --port, or a bare number, with or without 'serve'", () => {
  assert.equal(serve(["-p", "9000"]).port, 9000);
  assert.equal(serve(["--port=9001"]).port, 9001);
  assert.equal(serve(["9002"]).port, 9002);
  assert.equal(serve(["serve", "9003"]).port, 9003);
  assert.equal(serve(["serve", "-q", "0"]).port, 0);
  assert.equal(serve(["--", "-p", "9004", "-v"]).port, 9004);
});

Deno.test("parseCli() refuses ports that are not integers from 0 to 65535", () => {
  for (const port of ["65536", "-1", "80a", "1.5", "", "0x50"]) {
    assert.match(error([`--port=${port}`]), /Port must be an integer from 0 to 65535/, port);
  }
  assert.match(error(["abc"]), /Unexpected argument "abc"/);
  assert.match(error(["-p", "80", "81"]), /Give the port once/);
});

Deno.test("parseCli() accepts -d, --root and --document-root, but only one", () => {
  assert.equal(serve(["-d", "site"]).root, "site");
  assert.equal(serve(["--root", "site"]).rootGiven, true);
  assert.equal(serve(["--document-root", "site"]).root, "site");
  assert.match(error(["--root", "a", "--document-root", "b"]), /Give the root once/);
});

Deno.test("parseCli() validates timeouts, protocol and host", () => {
  assert.equal(serve(["--header-timeout", "0.5"]).headerTimeoutS, 0.5);
  assert.equal(serve(["--idle-timeout", "30"]).idleTimeoutS, 30);
  assert.match(error(["--header-timeout", "0"]), /--header-timeout/);
  assert.match(error(["--idle-timeout", "x"]), /--idle-timeout/);
  assert.equal(serve(["--protocol", "1.0"]).protocol, "1.0");
  assert.match(error(["--protocol", "2"]), /--protocol must be 1.0 or 1.1/);
  assert.deepEqual(serve(["--host", "::"]).hosts, ["::"]);
  assert.deepEqual(serve(["--host", "[::1]"]).hosts, ["::1"]);
  assert.match(error(["--host", "a b"]), /Host must be/);
});

Deno.test("parseCli() refuses unknown options in one line", () => {
  const message = error(["--frobnicate"]);
  assert.ok(!message.includes("\n"));
  assert.match(message, /frobnicate/);
});

Deno.test("parseCli() recognises help, version and the boolean flags", () => {
  assert.equal(parseCli(["-h"]).kind, "help");
  assert.equal(parseCli(["--help"]).kind, "help");
  assert.equal(parseCli(["-V"]).kind, "version");
  const c = serve(["-q", "-v", "--allow-stop"]);
  assert.deepEqual([c.quiet, c.verbose, c.allowStop], [true, true, true]);
});

Deno.test("portNotices() warns about well-known and registered ports only", () => {
  assert.deepEqual(portNotices(80), [
    "Well-known port number 80 entered - could cause a conflict.",
  ]);
  assert.deepEqual(portNotices(8080), [
    "Registered port number 8080 entered - could cause a conflict.",
  ]);
  assert.deepEqual(portNotices(49152), []);
  assert.deepEqual(portNotices(0), []);
});

Deno.test("formatServerUrl() brackets IPv6 hosts", () => {
  assert.equal(formatServerUrl("127.0.0.1", 80), "http://127.0.0.1:80/");
  assert.equal(formatServerUrl("::", 80), "http://[::]:80/");
});

Deno.test("parseCli() takes --max-connections from 1 up; none means the open-file limit decides", () => {
  assert.equal(serve([]).maxConnections, null);
  assert.equal(serve(["--max-connections", "500"]).maxConnections, 500);
  assert.match(error(["--max-connections", "0"]), /--max-connections must be an integer/);
  assert.match(error(["--max-connections", "-3"]), /--max-connections/);
  assert.match(error(["--max-connections", "many"]), /--max-connections/);
});

Deno.test("parseCli() refuses --allow-stop with --any-host: behind a proxy every client looks local", () => {
  assert.match(error(["--allow-stop", "--any-host"]), /--allow-stop cannot be combined/);
});

Deno.test("parseCli() accepts the seeds' spellings: -document_root, --document_root, -port", async (t) => {
  const cases: [string[], string, number][] = [
    [["-document_root", "site", "-port", "9000"], "site", 9000],
    [["--document_root", "site"], "site", 8080],
    [["-d", "site", "-p", "9001"], "site", 9001],
    [["-p", "9002", "-d", "site"], "site", 9002],
    [["9003"], "./www", 9003],
  ];
  for (const [args, root, port] of cases) {
    await t.step(args.join(" "), () => {
      const c = serve(args);
      assert.deepEqual([c.root, c.port], [root, port]);
    });
  }
});

Deno.test("parseCli() explains every malformed option in one line, with what was probably meant", async (t) => {
  const cases: [string[], string][] = [
    [["--bogus"], "Unknown option --bogus (see --help)"],
    [["--prot", "1.0"], "Unknown option --prot; did you mean --protocol? (see --help)"],
    [
      ["--hedaer-timeout", "3"],
      "Unknown option --hedaer-timeout; did you mean --header-timeout? (see --help)",
    ],
    [
      ["-dport"],
      "Unknown option -dport: one dash takes one letter; did you mean --port? (see --help)",
    ],
    [
      ["-p8080"],
      "Unknown option -p8080: one dash takes one letter; did you mean -p 8080? (see --help)",
    ],
    [["-qv"], "Unknown option -qv: one dash takes one letter; did you mean -q -v? (see --help)"],
    [["-p", "-1"], 'Port must be an integer from 0 to 65535, got "-1"'],
    [
      ["--header-timeout", "-5"],
      '--header-timeout must be a number of seconds above 0, up to 86400, got "-5"',
    ],
    [["--port"], "--port needs a value (see --help)"],
    [["--listing=yes"], "--listing takes no value (see --help)"],
  ];
  for (const [args, message] of cases) {
    await t.step(args.join(" "), () => assert.equal(error(args), message));
  }
});

Deno.test("parseCli() warns about a registered port only when the user chose it", () => {
  assert.deepEqual(serve([]).notices, []);
  assert.equal(serve([]).portGiven, false);
  assert.deepEqual(serve(["-p", "8080"]).notices, [
    "Registered port number 8080 entered - could cause a conflict.",
  ]);
});

Deno.test("parseCli() takes --host more than once, without brackets or repeats", () => {
  assert.deepEqual(serve(["--host", "localhost", "--host", "[::1]", "--host", "::1"]).hosts, [
    "localhost",
    "::1",
  ]);
  assert.deepEqual(serve(["-host", "0.0.0.0", "--host", "::"]).hosts, ["0.0.0.0", "::"]);
  assert.match(error(["--host", "127.0.0.1", "--host", "a b"]), /^Host must be an IP address/);
});

Deno.test("parseCli() takes --tls-cert and --tls-key together, or neither", () => {
  const plain = serve([]);
  assert.equal(plain.tlsCert, null);
  assert.equal(plain.tlsKey, null);
  const tls = serve(["--tls-cert", "c.pem", "--tls-key", "k.pem"]);
  assert.equal(tls.tlsCert, "c.pem");
  assert.equal(tls.tlsKey, "k.pem");
  assert.equal(
    error(["--tls-cert", "c.pem"]),
    "--tls-cert and --tls-key go together: give both, as PEM files",
  );
  assert.equal(
    error(["--tls-key", "k.pem"]),
    "--tls-cert and --tls-key go together: give both, as PEM files",
  );
  assert.match(error(["--tls-cert", "", "--tls-key", "k"]), /must name files/);
});

Deno.test("parseCli() --https-redirect-port: a port other than the HTTPS one, only with HTTPS", () => {
  const tls = ["--tls-cert", "c", "--tls-key", "k"];
  assert.equal(serve(tls).httpsRedirectPort, null);
  assert.equal(
    serve([...tls, "-p", "8443", "--https-redirect-port", "8080"]).httpsRedirectPort,
    8080,
  );
  assert.equal(serve([...tls, "-p", "0", "--https-redirect-port", "0"]).httpsRedirectPort, 0);
  assert.match(
    error([...tls, "-p", "8443", "--https-redirect-port", "8443"]),
    /must differ from the HTTPS port 8443/,
  );
  assert.match(
    error([...tls, "--https-redirect-port", "http"]),
    /^--https-redirect-port must be an integer from 0 to 65535/,
  );
  assert.match(error([...tls, "--https-redirect-port", "70000"]), /from 0 to 65535/);
  assert.equal(
    error(["--https-redirect-port", "80"]),
    "--https-redirect-port needs HTTPS: give --tls-cert and --tls-key too",
  );
  assert.deepEqual(serve([...tls, "-p", "8443", "--https-redirect-port", "80"]).notices, [
    "Registered port number 8443 entered - could cause a conflict.",
    "Well-known port number 80 entered - could cause a conflict.",
  ]);
});

Deno.test("parseCli() --hsts[=SECONDS]: bare means a year, a value only after '=', only with HTTPS", () => {
  const tls = ["--tls-cert", "c", "--tls-key", "k"];
  assert.equal(serve(tls).hstsMaxAgeS, null);
  assert.equal(serve([...tls, "--hsts"]).hstsMaxAgeS, 31_536_000);
  assert.equal(serve([...tls, "--hsts=600"]).hstsMaxAgeS, 600);
  assert.equal(serve([...tls, "--hsts=0"]).hstsMaxAgeS, 0);
  // Bare, it takes no value: the next word is the port.
  const bare = serve([...tls, "--hsts", "8443"]);
  assert.equal(bare.hstsMaxAgeS, 31_536_000);
  assert.equal(bare.port, 8443);
  assert.match(
    error([...tls, "--hsts=a year"]),
    /^--hsts takes seconds from 0 to 63072000 after "="/,
  );
  assert.match(error([...tls, "--hsts=99999999999"]), /^--hsts takes seconds/);
  assert.equal(error(["--hsts"]), "--hsts needs HTTPS: give --tls-cert and --tls-key too");
});

Deno.test("parseCli() --spa[=FILE]: bare means /index.html, a file only after '='", () => {
  assert.equal(serve([]).spa, null);
  assert.equal(serve(["--spa"]).spa, "/index.html");
  assert.equal(serve(["--spa=/app/shell.html"]).spa, "/app/shell.html");
  // Bare, it takes no value: the next word is the port.
  const bare = serve(["--spa", "8000"]);
  assert.equal(bare.spa, "/index.html");
  assert.equal(bare.port, 8000);
  for (const file of ["app.html", "", "/", "/app/", "/../x.html", "/.env", "/a/./b.html"]) {
    assert.match(
      error([`--spa=${file}`]),
      /^--spa takes a file from the root after "=" \(--spa=\/app\.html\): .*, got "/,
      file,
    );
  }
});

Deno.test("parseCli() --clean-urls is a switch, off by default", () => {
  assert.equal(serve([]).cleanUrls, false);
  assert.equal(serve(["--clean-urls"]).cleanUrls, true);
  assert.equal(error(["--clean-urls=yes"]), "--clean-urls takes no value (see --help)");
});

Deno.test("formatServerUrl() says https for a TLS server", () => {
  assert.equal(formatServerUrl("::1", 8443, true), "https://[::1]:8443/");
});

Deno.test("parseCli() takes --compress and --precompressed, off by default, and says when no-transform disables --compress", () => {
  const plain = serve([]);
  assert.deepEqual([plain.compress, plain.precompressed], [false, false]);
  const both = serve(["--compress", "--precompressed"]);
  assert.deepEqual([both.compress, both.precompressed], [true, true]);
  assert.deepEqual(both.notices, []);
  const blocked = serve(["--compress", "--cache-control", "public, no-transform"]);
  assert.equal(blocked.compress, true);
  assert.deepEqual(blocked.notices, [
    "--compress has no effect: --cache-control has no-transform, which forbids compressing.",
  ]);
  assert.deepEqual(serve(["--precompressed", "--cache-control", "no-transform"]).notices, []);
  assert.match(error(["--compress=yes"]), /compress/);
});

Deno.test("parseCli() -H/--header, repeatable: a header rule for every path each, in order", () => {
  assert.deepEqual(serve([]).rules, { headers: [], redirects: [], rewrites: [] });
  assert.deepEqual(
    serve(["-H", "X-Frame-Options: DENY", "--header", "Cache-Control:no-cache", "-H=X-A: 1"])
      .rules.headers,
    [
      { glob: "/**", set: { "X-Frame-Options": "DENY" } },
      { glob: "/**", set: { "Cache-Control": "no-cache" } },
      { glob: "/**", set: { "X-A": "1" } },
    ],
  );
  // -h is still help: only -H is a header.
  assert.equal(parseCli(["-h"]).kind, "help");
});

Deno.test("parseCli() refuses a bad -H in one line that quotes it", async (t) => {
  const cases: [string[], RegExp][] = [
    [["-H", "X-A 1"], /^-H "X-A 1": write it as 'Name: value'$/],
    [["-H", "X-A: 1\r\nX-B: 2"], /^-H "X-A: 1\\r\\nX-B: 2": .*CR, LF or NUL/],
    [["-H", "Content-Length: 5"], /Content-Length cannot be set/],
    [["-H", "Connection: close"], /Connection cannot be set/],
    [["-H", "X-A:"], /give a value/],
    [["-H", "X-A: 1", "-H", "x-a: 2"], /names x-a twice/],
    [["-H"], /--header needs a value/],
  ];
  for (const [args, message] of cases) {
    await t.step(args.join(" "), () => {
      const text = error(args);
      assert.match(text, message);
      assert.ok(!text.includes("\n") && !text.includes("\r"), "one line");
    });
  }
});

/** parseCli with one config file, s.toml, held in memory. */
function withFile(args: string[], text: string) {
  return parseCli(["--config", "s.toml", ...args], 2, {
    readFile: (path) => {
      if (path !== "s.toml") throw new Error("no such file");
      return text;
    },
  });
}

const FILE_RULES = `header = ["X-File: 1"]

[[headers]]
glob = "/assets/**"
status = [200, 304]
set = { "Cache-Control" = "max-age=60" }

[[redirects]]
from = "/old/:id"
to = "/new/:id"
status = 308

[[rewrites]]
from = "/app/*"
to = "/app/index.html"
`;

Deno.test("parseCli() takes the config file's rule tables after the -H rules", () => {
  const command = withFile([], FILE_RULES);
  assert.equal(command.kind, "serve", JSON.stringify(command));
  assert.deepEqual((command as ServeCommand).rules, {
    headers: [
      { glob: "/**", set: { "X-File": "1" } },
      { glob: "/assets/**", status: [200, 304], set: { "Cache-Control": "max-age=60" } },
    ],
    redirects: [{ from: "/old/:id", to: "/new/:id", status: 308 }],
    rewrites: [{ from: "/app/*", to: "/app/index.html" }],
  });
  // -H on the command line replaces the file's header list, as for every repeatable option.
  const cli = withFile(["-H", "X-Cli: 2"], FILE_RULES) as ServeCommand;
  assert.deepEqual(cli.rules.headers.map((rule) => rule.set), [
    { "X-Cli": "2" },
    { "Cache-Control": "max-age=60" },
  ]);
});

Deno.test("parseCli() names a refused rule by FILE:LINE:COL and key path", async (t) => {
  const cases: [string, string][] = [
    [
      '[[headers]]\nglob = "/a"\nset = { "X-A" = "1" }\n\n[[headers]]\nglob = "/b"\nremove = ["Content-Length"]\n',
      "s.toml:7:1 headers[1].remove[0]: Content-Length cannot be removed",
    ],
    [
      '[[redirects]]\nfrom = "/old/:id"\nto = "/new/:name"\n',
      "s.toml:3:1 redirects[0].to: :name inserts a group that from does not capture",
    ],
    ['[[rewrites]]\nfrom = "/a"\n', "s.toml:1:1 rewrites[0].to: missing"],
    ['header = ["Connection: close"]\n', 's.toml:1:1 header: -H "Connection: close": Connection'],
  ];
  for (const [text, message] of cases) {
    await t.step(message, () => {
      const command = withFile([], text);
      assert.equal(command.kind, "error", JSON.stringify(command));
      assert.ok(
        command.kind === "error" && command.message.startsWith(message),
        command.kind === "error" ? command.message : "",
      );
    });
  }
});

Deno.test("--help names -H/--header", async () => {
  const { HELP } = await import("../../src/cli/help.ts");
  assert.match(HELP, /-H, --header 'N: V'/);
});

Deno.test("parseCli() takes --auth USER:HASH (repeatable), --auth-file and --auth-realm", () => {
  const hash = "$2b$10$jYac00ewhhb6fYi2GLz7UunzzpwdYGpghE6scMDwa3teHgXYVQnDG";
  const none = serve([]);
  assert.deepEqual([none.authUsers, none.authFile, none.authRealm], [[], null, "sockserve"]);
  const c = serve([
    "--auth",
    `alice:${hash}`,
    `--auth=bob:${hash}`,
    "--auth-file",
    "users.htpasswd",
    "--auth-realm",
    'Team "docs"',
  ]);
  assert.deepEqual(c.authUsers, [{ user: "alice", hash }, { user: "bob", hash }]);
  assert.equal(c.authFile, "users.htpasswd");
  assert.equal(c.authRealm, 'Team "docs"');
  assert.match(error(["--auth", `alice:${hash}`, "--auth", `alice:${hash}`]), /"alice" twice/);
  assert.match(error(["--auth-file="]), /--auth-file must name a file/);
  assert.match(error(["--auth-realm", "x"]), /--auth-realm needs --auth or --auth-file/);
  assert.match(
    error(["--auth", `alice:${hash}`, "--auth-realm", "caf\u00e9"]),
    /--auth-realm must be non-empty printable ASCII/,
  );
});

Deno.test("parseCli() refuses a password in --auth with the hash-password hint, without echoing it", () => {
  const message = error(["--auth", "alice:plaintext-pw"]);
  assert.match(message, /^--auth for "alice" is not a bcrypt hash; .*sockserve hash-password/);
  assert.ok(!message.includes("plaintext-pw"));
  assert.ok(!message.includes("\n"));
});

Deno.test("parseCli() reads the access log and rotation options, with their defaults", async (t) => {
  const cases: [string, string[], Partial<ServeCommand>][] = [
    ["none by default", [], {
      accessLog: null,
      accessLogFormat: "combined",
      logMaxSize: null,
      logKeep: 5,
    }],
    ["a file", ["--access-log", "/var/log/a.log"], { accessLog: "/var/log/a.log" }],
    ["stdout", ["--access-log", "-"], { accessLog: "-" }],
    ["common", ["--access-log-format", "common"], { accessLogFormat: "common" }],
    ["json", ["--access-log-format=json"], { accessLogFormat: "json" }],
    ["10M", ["--log-max-size", "10M"], { logMaxSize: 10 * 1024 ** 2 }],
    ["512k", ["--log-max-size", "512k"], { logMaxSize: 512 * 1024 }],
    ["1G", ["--log-max-size", "1G"], { logMaxSize: 1024 ** 3 }],
    ["bytes", ["--log-max-size", "65536"], { logMaxSize: 65536 }],
    ["keep", ["--log-keep", "30"], { logKeep: 30 }],
  ];
  for (const [name, args, expected] of cases) {
    await t.step(name, () => {
      const command = serve(args);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(command[key as keyof ServeCommand], value, key);
      }
    });
  }
});

Deno.test("parseCli() refuses bad access log and rotation values in one line naming the option", async (t) => {
  const cases: [string[], RegExp][] = [
    [["--access-log", ""], /^--access-log must name a file, or - for standard output$/],
    [
      ["--access-log-format", "apache"],
      /^--access-log-format must be combined, common, json, got "apache"$/,
    ],
    [["--log-max-size", "10MB"], /^--log-max-size must be a size from 4K to 1024G/],
    [["--log-max-size", "1K"], /--log-max-size must be a size from 4K/],
    [["--log-max-size", "2048G"], /--log-max-size must be a size/],
    [["--log-max-size", "-1"], /--log-max-size/],
    [["--log-keep", "0"], /^--log-keep must be an integer from 1 to 1000, got "0"$/],
    [["--log-keep", "1001"], /--log-keep must be an integer from 1 to 1000/],
    [["--log-keep", "two"], /--log-keep/],
  ];
  for (const [args, pattern] of cases) {
    await t.step(args.join(" "), () => {
      const command = parseCli(args);
      assert.equal(command.kind, "error");
      if (command.kind !== "error") return;
      assert.match(command.message, pattern);
    });
  }
});
