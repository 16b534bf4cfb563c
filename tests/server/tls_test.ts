/**
 * Certificate checks (src/server/tls.ts): every way a certificate and key can be wrong is one
 * clear line, decided before a socket sees them. Pure: texts and a clock in, a verdict out.
 */

import assert from "node:assert/strict";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { checkTlsPair, expiryWarning, readTlsPair } from "../../src/server/tls.ts";
import { makeCertificates } from "../fixtures/certificates.ts";

const FILES = { certFile: "cert.pem", keyFile: "key.pem" };
const NOW = new Date();
const DAY = 24 * 60 * 60 * 1000;

const good = await makeCertificates();
const other = await makeCertificates();

/** The DER bytes of a PEM block, as the Latin-1 text readTlsPair would decode. */
function derText(pem: string): string {
  const base64 = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  return Array.from(atob(base64), (c) => c).join("");
}

Deno.test("checkTlsPair() accepts a PEM certificate with its own key, and reports its names and expiry", async () => {
  const verdict = await checkTlsPair(good.certPem, good.keyPem, FILES, NOW);
  assert.ok(verdict.ok, verdict.ok ? "" : verdict.message);
  assert.match(verdict.subject, /CN=localhost/);
  assert.match(verdict.names, /DNS:localhost/);
  assert.equal(
    verdict.notAfter.getTime(),
    new Date(new X509Certificate(good.certPem).validTo).getTime(),
  );
  // The texts are served as given: a chain stays whole.
  assert.equal(verdict.pair.cert, good.certPem);
});

Deno.test("checkTlsPair() accepts a chain: the leaf first, then its CA", async () => {
  const verdict = await checkTlsPair(good.certPem + good.caPem, good.keyPem, FILES, NOW);
  assert.ok(verdict.ok);
});

Deno.test("checkTlsPair() refuses each bad pair with one line naming the file and the fix", async () => {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const encrypted = privateKey.export({
    type: "pkcs8",
    format: "pem",
    cipher: "aes-256-cbc",
    passphrase: "secret",
  }) as string;
  const legacyEncrypted = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n" +
    "DEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
  const cases: [string, string, string, Date, RegExp][] = [
    [
      "DER certificate",
      derText(good.certPem),
      good.keyPem,
      NOW,
      /^cert\.pem is DER \(binary\), not PEM: convert it with "openssl x509 -inform der/,
    ],
    [
      "DER key",
      good.certPem,
      derText(good.keyPem),
      NOW,
      /^key\.pem is DER \(binary\), not PEM: convert it with "openssl pkey -inform der/,
    ],
    [
      "empty certificate",
      "",
      good.keyPem,
      NOW,
      /^cert\.pem holds no certificate: expected a "-----BEGIN CERTIFICATE-----" block$/,
    ],
    ["empty key", good.certPem, "", NOW, /^key\.pem holds no private key/],
    [
      "encrypted PKCS#8 key",
      good.certPem,
      encrypted,
      NOW,
      /^key\.pem is encrypted with a passphrase, which a server cannot type: decrypt it with "openssl pkey -in key\.pem/,
    ],
    [
      "encrypted traditional key",
      good.certPem,
      legacyEncrypted,
      NOW,
      /^key\.pem is encrypted with a passphrase/,
    ],
    [
      "files swapped",
      good.keyPem,
      good.certPem,
      NOW,
      /^cert\.pem holds a private key, not a certificate: are --tls-cert and --tls-key swapped\?$/,
    ],
    [
      "certificate twice",
      good.certPem,
      good.certPem,
      NOW,
      /^key\.pem holds a certificate, not a private key: are --tls-cert and --tls-key swapped\?$/,
    ],
    [
      "another certificate's key",
      good.certPem,
      other.keyPem,
      NOW,
      /^key\.pem does not belong to the certificate in cert\.pem \(CN=localhost.*\): give the key the certificate was issued for$/,
    ],
    [
      "expired",
      good.certPem,
      good.keyPem,
      new Date(NOW.getTime() + 400 * DAY),
      /^cert\.pem expired on \d{4}-\d\d-\d\d \(CN=localhost.*\): renew it/,
    ],
    [
      "not yet valid",
      good.certPem,
      good.keyPem,
      new Date(NOW.getTime() - DAY),
      /^cert\.pem is not valid before \d{4}-\d\d-\d\d: check this machine's clock$/,
    ],
    [
      "a corrupt certificate block",
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      good.keyPem,
      NOW,
      /^cert\.pem: the certificate cannot be read/,
    ],
    [
      "a corrupt key block",
      good.certPem,
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
      NOW,
      /^key\.pem: the private key cannot be read/,
    ],
  ];
  for (const [name, cert, key, now, message] of cases) {
    const verdict = await checkTlsPair(cert, key, FILES, now);
    assert.equal(verdict.ok, false, name);
    if (!verdict.ok) {
      assert.match(verdict.message, message, name);
      assert.ok(!verdict.message.includes("\n"), `${name}: one line`);
    }
  }
});

Deno.test("expiryWarning() warns within 7 days of expiry, in days, then hours", async () => {
  const verdict = await checkTlsPair(good.certPem, good.keyPem, FILES, NOW);
  assert.ok(verdict.ok);
  const before = (days: number) => new Date(verdict.notAfter.getTime() - days * DAY);
  assert.equal(expiryWarning(verdict, FILES, before(30)), null);
  assert.equal(expiryWarning(verdict, FILES, before(7)), null);
  assert.match(
    expiryWarning(verdict, FILES, before(6.5))!,
    /^Warning: the certificate in cert\.pem expires in 6 days \(/,
  );
  assert.match(expiryWarning(verdict, FILES, before(0.2))!, /expires in less than a day/);
});

Deno.test("readTlsPair() names a missing file, and refuses a file too large to be a certificate", async () => {
  const missing = await readTlsPair({ certFile: "/nonexistent/cert.pem", keyFile: good.key });
  assert.deepEqual(missing, { ok: false, message: "/nonexistent/cert.pem not found" });
  const huge = `${good.dir}/huge.pem`;
  await Deno.writeFile(huge, new Uint8Array(2 * 1024 * 1024));
  const verdict = await readTlsPair({ certFile: huge, keyFile: good.key });
  assert.equal(verdict.ok, false);
  assert.match(verdict.ok ? "" : verdict.message, /too large for a certificate/);
  const dir = await readTlsPair({ certFile: good.dir, keyFile: good.key });
  assert.match(dir.ok ? "" : dir.message, /is not a file/);
});

Deno.test("readTlsPair() reads a DER file as bytes, so it is named DER and not garbled", async () => {
  const der = `${good.dir}/cert.der`;
  await Deno.writeFile(der, Uint8Array.from(derText(good.certPem), (c) => c.charCodeAt(0)));
  const verdict = await readTlsPair({ certFile: der, keyFile: good.key });
  assert.match(verdict.ok ? "" : verdict.message, /is DER \(binary\), not PEM/);
});

Deno.test("checkTlsPair() accepts what openssl makes: PKCS#8 RSA, traditional RSA, and SEC1 EC keys", async () => {
  const dir = await Deno.makeTempDir();
  const openssl = async (...args: string[]) => {
    const out = await new Deno.Command("openssl", { args, cwd: dir, stderr: "null" }).output();
    assert.ok(out.success, `openssl ${args.join(" ")}`);
  };
  await openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "rsa.key",
    "-out",
    "rsa.crt",
    "-subj",
    "/CN=localhost",
    "-days",
    "2",
  );
  await openssl("rsa", "-in", "rsa.key", "-traditional", "-out", "rsa1.key");
  await openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", "ec.key");
  await openssl(
    "req",
    "-x509",
    "-key",
    "ec.key",
    "-out",
    "ec.crt",
    "-subj",
    "/CN=localhost",
    "-days",
    "2",
  );
  for (
    const [cert, key] of [["rsa.crt", "rsa.key"], ["rsa.crt", "rsa1.key"], ["ec.crt", "ec.key"]]
  ) {
    const verdict = await readTlsPair({ certFile: `${dir}/${cert}`, keyFile: `${dir}/${key}` });
    assert.ok(verdict.ok, verdict.ok ? "" : verdict.message);
    // And Deno's TLS library takes what the check passed.
    Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...verdict.pair }).close();
  }
});
