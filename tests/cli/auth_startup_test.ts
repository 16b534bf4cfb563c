/**
 * Starting with `--auth` and `--auth-file` (src/cli/startup.ts, args.ts) as a process: each bad
 * value or file is one line and exit code 2, never echoing a password; the plain-HTTP warning
 * off loopback; and the pure warning rule.
 */

import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { authTransportWarning } from "../../src/cli/startup.ts";
import { eventually, launcher, makeTree, scopedPermissions, startServer } from "../helpers.ts";
import { makeCertificates } from "../fixtures/certificates.ts";

const ALICE = `alice:${bcrypt.hashSync("secret", 4)}`;

/** Runs sockserve to completion with every permission (supervised, like deno task serve). */
async function run(args: string[], permissions: readonly string[] = ["--allow-all"]) {
  const logDir = await Deno.makeTempDir({ prefix: "sockserve-logs-" });
  const [cmd, ...rest] = launcher(permissions, ["-p", "0", "--log-dir", logDir, ...args]);
  const out = await new Deno.Command(cmd, { args: rest, stdin: "null" }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("--auth alice:PASSWORD exits 2 with one line pointing at hash-password, without the password", async () => {
  const root = await makeTree({ "index.html": "x" });
  const result = await run(["-d", root, "--auth", "alice:plaintext-pw"]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr.trimEnd().split("\n").length, 1);
  assert.match(
    result.stderr,
    /^--auth for "alice" is not a bcrypt hash; .*sockserve hash-password/,
  );
  assert.ok(!result.stderr.includes("plaintext-pw") && !result.stdout.includes("plaintext-pw"));
});

Deno.test("--auth-file with a line sockserve cannot check exits 2 naming FILE:LINE", async () => {
  const root = await makeTree({ "index.html": "x" });
  const dir = await makeTree({
    "users": `${ALICE}\nerin:$apr1$N3E.ZCW2$HGrZaSRxs793YGzGAV0Ap1\n`,
  });
  const result = await run(["-d", root, "--auth-file", `${dir}/users`]);
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    `${dir}/users:2: the password of "erin" is an MD5 ($apr1$) hash; sockserve checks bcrypt ` +
      `only: htpasswd -B ${dir}/users erin or sockserve hash-password makes one\n`,
  );
});

Deno.test("--auth-file inside the served root exits 2: it could be downloaded", async () => {
  const root = await makeTree({ "index.html": "x", ".htpasswd": `${ALICE}\n` });
  const result = await run(["-d", root, "--auth-file", `${root}/.htpasswd`]);
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    `${root}/.htpasswd is inside the served root ${root}: it could be downloaded with every ` +
      `password hash in it; move it out.\n`,
  );
});

Deno.test("--auth-file that is missing, or a user also given by --auth, exits 2 in one line", async () => {
  const root = await makeTree({ "index.html": "x" });
  const missing = await run(["-d", root, "--auth-file", "/nonexistent/users"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^Cannot read --auth-file "\/nonexistent\/users": .*\n$/);
  const dir = await makeTree({ "users": `${ALICE}\n` });
  const twice = await run(["-d", root, "--auth", ALICE, "--auth-file", `${dir}/users`]);
  assert.equal(twice.code, 2);
  assert.equal(
    twice.stderr,
    `"alice" is given by --auth and in ${dir}/users; give each user once\n`,
  );
});

Deno.test("--auth-file with scoped Deno flags needs read access to it, and says which flag", async () => {
  const root = await makeTree({ "index.html": "x" });
  const dir = await makeTree({ "users": `${ALICE}\n` });
  const logDir = await Deno.makeTempDir({ prefix: "sockserve-logs-" });
  const [cmd, ...rest] = launcher(
    scopedPermissions(root, logDir),
    ["-p", "0", "-d", root, "--log-dir", logDir, "--auth-file", `${dir}/users`],
    true,
  );
  const out = await new Deno.Command(cmd, { args: rest, stdin: "null" }).output();
  assert.equal(out.code, 2);
  assert.equal(
    new TextDecoder().decode(out.stderr),
    `Read access to "${dir}/users" is not granted: add --allow-read=${dir}/users\n`,
  );
});

Deno.test("authTransportWarning() warns about plain HTTP beyond loopback only", () => {
  const warning = "Warning: --auth without HTTPS on 0.0.0.0: passwords cross the network " +
    "readable by anyone on the way; add --tls-cert and --tls-key.";
  assert.equal(authTransportWarning(["0.0.0.0"], false), warning);
  assert.equal(authTransportWarning(["127.0.0.1", "0.0.0.0"], false), warning);
  assert.match(authTransportWarning(["::"], false)!, /on \[::\]:/);
  assert.match(authTransportWarning(["192.168.1.20"], false)!, /on 192\.168\.1\.20:/);
  for (const hosts of [["127.0.0.1"], ["localhost"], ["::1"], ["127.0.0.2", "::1"]]) {
    assert.equal(authTransportWarning(hosts, false), null, hosts.join(" "));
  }
  assert.equal(authTransportWarning(["0.0.0.0"], true), null);
});

Deno.test("--auth on 0.0.0.0 without HTTPS starts with the warning; with HTTPS, or on loopback, without", async () => {
  const root = await makeTree({ "index.html": "x" });
  {
    await using plain = await startServer({ root, args: ["--auth", ALICE, "--host", "0.0.0.0"] });
    // Printed before listening, on stderr, which is read beside stdout.
    await eventually(
      () => /^Warning: --auth without HTTPS on 0\.0\.0\.0: /m.test(plain.stderr()),
      "the warning",
    );
  }
  {
    await using local = await startServer({ root, args: ["--auth", ALICE] });
    assert.doesNotMatch(local.stderr(), /without HTTPS/);
  }
  const certs = await makeCertificates();
  await using secure = await startServer({
    root,
    args: ["--auth", ALICE, "--host", "0.0.0.0", "--tls-cert", certs.cert, "--tls-key", certs.key],
  });
  assert.doesNotMatch(secure.stderr(), /without HTTPS/);
  // Over HTTPS the credentials work as over plain HTTP.
  const out = await new Deno.Command("curl", {
    args: [
      "-sS",
      "--cacert",
      certs.ca,
      "-u",
      "alice:secret",
      "-w",
      "\n%{http_code}",
      `https://127.0.0.1:${secure.port}/`,
    ],
  }).output();
  assert.equal(new TextDecoder().decode(out.stdout), "x\n200");
});
