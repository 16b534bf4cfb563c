/**
 * `sockserve cert` (src/cli/cert_args.ts, cert.ts): its command line, certificates that OpenSSL
 * and Deno's TLS client accept for this machine's names, and the folder it refuses.
 */

import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { parseCertArgs } from "../../src/cli/cert_args.ts";
import { certReport, makeDevCertificates } from "../../src/cli/cert.ts";
import { DEV_CA_VALID_DAYS } from "../../src/limits.ts";
import { launcher, makeTree } from "../helpers.ts";

Deno.test("parseCertArgs(): --out is required; --name adds names; bad names and extra words are refused", () => {
  assert.deepEqual(parseCertArgs(["--out", "certs"]), {
    kind: "cert",
    out: "certs",
    names: ["localhost", "127.0.0.1", "::1"],
    root: null,
  });
  const named = parseCertArgs([
    "--out=c",
    "--name",
    "192.168.1.5",
    "--name",
    "[fe80::1]",
    "--name",
    "Dev.Test",
  ]);
  assert.equal(named.kind, "cert");
  assert.deepEqual(named.kind === "cert" ? named.names : [], [
    "localhost",
    "127.0.0.1",
    "::1",
    "192.168.1.5",
    "fe80::1",
    "dev.test",
  ]);
  assert.deepEqual(parseCertArgs(["--help"]), { kind: "cert-help" });
  const errors: [string[], RegExp][] = [
    [[], /^sockserve cert needs --out DIR/],
    [
      ["--out", "c", "--name", "bad name"],
      /^--name must be a host name or an IP address, got "bad name"$/,
    ],
    [["--out", "c", "--name", "a..b"], /--name must be/],
    [["--out", "c", "extra"], /^Unexpected argument "extra"/],
    [["--out", "c", "--bogus"], /^Unknown option --bogus/],
  ];
  for (const [args, message] of errors) {
    const parsed = parseCertArgs(args);
    assert.equal(parsed.kind, "error", args.join(" "));
    assert.match((parsed as { message: string }).message, message);
  }
});

Deno.test("the leaf is for its names only, CA:false, serverAuth, signed by a CA that may sign only leaves", async () => {
  const made = await makeDevCertificates(
    ["localhost", "127.0.0.1", "::1", "dev.test"],
    new Date(),
    null,
  );
  const leaf = new X509Certificate(made.cert);
  const ca = new X509Certificate(made.caCert);
  assert.equal(leaf.ca, false);
  assert.equal(ca.ca, true);
  assert.ok(leaf.verify(ca.publicKey), "signed by the CA");
  assert.ok(leaf.checkIssued(ca));
  assert.equal(
    leaf.subjectAltName,
    "DNS:localhost, IP Address:127.0.0.1, IP Address:::1, DNS:dev.test",
  );
  const parsed = new x509.X509Certificate(made.cert);
  const usage = parsed.getExtension(x509.ExtendedKeyUsageExtension);
  assert.deepEqual([...usage?.usages ?? []], [x509.ExtendedKeyUsage.serverAuth]);
  assert.equal(parsed.getExtension(x509.BasicConstraintsExtension)?.ca, false);
  const caConstraints = new x509.X509Certificate(made.caCert).getExtension(
    x509.BasicConstraintsExtension,
  );
  assert.equal(caConstraints?.pathLength, 0, "the CA signs leaves only");
  assert.equal(made.newCa, true);
});

Deno.test("OpenSSL verifies the leaf against the CA for the purpose sslserver", async () => {
  const made = await makeDevCertificates(["localhost", "127.0.0.1", "::1"], new Date(), null);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/ca.pem`, made.caCert);
  await Deno.writeTextFile(`${dir}/cert.pem`, made.cert);
  const out = await new Deno.Command("openssl", {
    args: [
      "verify",
      "-purpose",
      "sslserver",
      "-verify_hostname",
      "localhost",
      "-CAfile",
      "ca.pem",
      "cert.pem",
    ],
    cwd: dir,
  }).output();
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "cert.pem: OK");
});

Deno.test("Deno's TLS client trusts the leaf by the CA, for localhost, 127.0.0.1 and ::1", async () => {
  const made = await makeDevCertificates(["localhost", "127.0.0.1", "::1"], new Date(), null);
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: made.cert,
    key: made.key,
  });
  const port = (listener.addr as Deno.NetAddr).port;
  (async () => {
    for await (const conn of listener) {
      await (conn as Deno.TlsConn).handshake().catch(() => {});
      conn.close();
    }
  })();
  try {
    for (const hostname of ["localhost", "127.0.0.1"]) {
      const conn = await Deno.connectTls({ hostname, port, caCerts: [made.caCert] });
      await conn.handshake();
      conn.close();
    }
  } finally {
    listener.close();
  }
});

Deno.test("an existing CA is reused, so it is trusted only once; a CA about to expire is not", async () => {
  const first = await makeDevCertificates(["localhost"], new Date(), null);
  const again = await makeDevCertificates(["localhost"], new Date(), {
    caCert: first.caCert,
    caKey: first.caKey,
  });
  assert.equal(again.newCa, false);
  assert.equal(again.caCert, first.caCert);
  assert.notEqual(again.cert, first.cert);
  assert.ok(new X509Certificate(again.cert).checkIssued(new X509Certificate(first.caCert)));
  const garbage = await makeDevCertificates(["localhost"], new Date(), { caCert: "x", caKey: "y" });
  assert.equal(garbage.newCa, true);
  // A leaf is not a CA, even with its own key.
  const leafAsCa = await makeDevCertificates(["localhost"], new Date(), {
    caCert: first.cert,
    caKey: first.key,
  });
  assert.equal(leafAsCa.newCa, true);
  // A CA with less than a leaf's lifetime left would outlive none of its leaves: a new one.
  const oldCa = await makeDevCertificates(
    ["localhost"],
    new Date(Date.now() - (DEV_CA_VALID_DAYS - 100) * 24 * 60 * 60 * 1000),
    null,
  );
  const renewed = await makeDevCertificates(["localhost"], new Date(), {
    caCert: oldCa.caCert,
    caKey: oldCa.caKey,
  });
  assert.equal(renewed.newCa, true);
});

Deno.test("certReport() says what was made, how to serve with it, and how to trust the CA on this system", () => {
  const lines = certReport(
    { out: "certs/", names: ["localhost", "127.0.0.1", "::1"] },
    { notAfter: new Date("2027-12-24T00:00:00Z"), newCa: true },
    "linux",
  );
  assert.equal(lines[0], "Made in certs/:");
  assert.match(lines[1], /a certificate for localhost, 127\.0\.0\.1, ::1, valid until 2027-12-24$/);
  assert.ok(
    lines.includes("  sockserve --tls-cert certs/cert.pem --tls-key certs/key.pem -p 8443"),
  );
  assert.ok(lines.some((l) => l.includes("curl --cacert certs/ca.pem https://localhost:8443/")));
  assert.ok(lines.some((l) => l.includes("update-ca-certificates")));
  assert.ok(!lines.some((l) => l.includes("certutil -addstore")), "no Windows advice on Linux");
  const windows = certReport({ out: "c", names: ["localhost"] }, {
    notAfter: new Date(),
    newCa: false,
  }, "windows");
  assert.ok(windows.some((l) => l.includes("certutil -addstore -f ROOT c\\ca.pem")));
  assert.ok(windows.some((l) => l.includes("kept from before: already trusted")));
});

async function runCert(args: string[], cwd: string) {
  const [cmd, ...rest] = launcher(["--allow-all"], ["cert", ...args], true);
  const out = await new Deno.Command(cmd, { args: rest, cwd }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("sockserve cert writes the four files, keys readable by the owner only, and reuses the CA", async () => {
  const cwd = await makeTree({});
  const first = await runCert(["--out", "dev-certs"], cwd);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^Made in dev-certs\/:/);
  for (
    const [file, mode] of [["ca.pem", 0o644], ["ca-key.pem", 0o600], ["cert.pem", 0o644], [
      "key.pem",
      0o600,
    ]] as const
  ) {
    const info = await Deno.stat(`${cwd}/dev-certs/${file}`);
    assert.equal(info.mode! & 0o777 & ~0o022, mode & ~0o022, file);
    assert.equal(info.mode! & 0o077, mode & 0o077 & ~0o022, `${file}: group and others`);
  }
  const ca = await Deno.readTextFile(`${cwd}/dev-certs/ca.pem`);
  const second = await runCert(["--out", "dev-certs"], cwd);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(await Deno.readTextFile(`${cwd}/dev-certs/ca.pem`), ca, "the CA is kept");
  assert.match(second.stdout, /kept from before: already trusted/);
  assert.deepEqual(
    [...Deno.readDirSync(`${cwd}/dev-certs`)].map((e) => e.name).sort(),
    ["ca-key.pem", "ca.pem", "cert.pem", "key.pem"],
    "no temporary files left",
  );
});

Deno.test("sockserve cert refuses a folder inside the served root, even one that does not exist yet", async () => {
  const cwd = await makeTree({ "www/index.html": "home", "site/index.html": "site" });
  const cases: [string[], RegExp][] = [
    [
      ["--out", "www/certs"],
      /^www\/certs is inside the served folder \.\/www: anyone could download the keys; choose a folder outside it\.$/,
    ],
    [["--out", "www"], /is inside the served folder/],
    [["--out", "site/a/b", "--root", "site"], /^site\/a\/b is inside the served folder site:/],
  ];
  for (const [args, message] of cases) {
    const result = await runCert(args, cwd);
    assert.equal(result.code, 2, args.join(" "));
    assert.match(result.stderr.trim(), message);
  }
  assert.deepEqual([...Deno.readDirSync(`${cwd}/www`)].map((e) => e.name), ["index.html"]);
  assert.equal((await runCert(["--out", "outside"], cwd)).code, 0);
});
