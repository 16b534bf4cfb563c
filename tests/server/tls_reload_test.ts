/**
 * Certificate reload (src/server/tls_reload.ts): a changed pair is checked before it is applied,
 * a bad one keeps the current certificate with a warning, and files are read only once they
 * have stopped changing.
 */

import assert from "node:assert/strict";
import type { TlsPair } from "../../src/server/listeners.ts";
import { readTlsPair } from "../../src/server/tls.ts";
import { watchTlsFiles } from "../../src/server/tls_reload.ts";
import { eventually } from "../helpers.ts";
import { makeCertificates } from "../fixtures/certificates.ts";

/** A poll fast enough for a test; the real interval is TLS_RELOAD_POLL_MS. */
const POLL_MS = 20;

async function watched() {
  const certs = await makeCertificates();
  const files = { certFile: certs.cert, keyFile: certs.key };
  const current = await readTlsPair(files);
  assert.ok(current.ok);
  const applied: TlsPair[] = [];
  const lines: string[] = [];
  const reloader = watchTlsFiles({
    files,
    current,
    apply: (pair) => {
      applied.push(pair);
      return Promise.resolve();
    },
    report: (line) => lines.push(line),
    pollMs: POLL_MS,
    onSignal: false,
  });
  return { certs, applied, lines, reloader };
}

Deno.test("a renewed pair written over the files is checked and applied once, with a note", async () => {
  const { certs, applied, lines, reloader } = await watched();
  try {
    const renewed = await makeCertificates({ dir: certs.dir });
    await eventually(() => applied.length > 0, "the new pair applied");
    assert.equal(applied[0].cert, renewed.certPem);
    assert.equal(applied[0].key, renewed.keyPem);
    assert.match(lines[0], /^Reloaded the certificate \(the files changed\): CN=localhost/);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS * 5));
    assert.equal(applied.length, 1, "unchanged files are not applied again");
  } finally {
    reloader.stop();
  }
});

Deno.test("a key that does not match the certificate keeps the current pair, with a warning", async () => {
  const { certs, applied, lines, reloader } = await watched();
  try {
    const other = await makeCertificates();
    await Deno.writeTextFile(certs.key, other.keyPem);
    await eventually(() => lines.length > 0, "a warning");
    assert.match(
      lines[0],
      /^Warning: kept the current certificate \(the files changed\): .*key\.pem does not belong to the certificate/,
    );
    assert.equal(applied.length, 0);
  } finally {
    reloader.stop();
  }
});

Deno.test("a reload the server refuses keeps the current pair, with the server's reason", async () => {
  const certs = await makeCertificates();
  const files = { certFile: certs.cert, keyFile: certs.key };
  const current = await readTlsPair(files);
  assert.ok(current.ok);
  const lines: string[] = [];
  const reloader = watchTlsFiles({
    files,
    current,
    apply: () => Promise.reject(new Error("No keys found in key data")),
    report: (line) => lines.push(line),
    pollMs: 60_000,
    onSignal: false,
  });
  try {
    await reloader.reload("SIGHUP");
    assert.deepEqual(lines, [
      "Warning: kept the current certificate (SIGHUP): the TLS library refused the new one: No keys found in key data",
    ]);
  } finally {
    reloader.stop();
  }
});

Deno.test("files deleted for good keep the current pair, naming the missing file", async () => {
  const { certs, applied, lines, reloader } = await watched();
  try {
    await Deno.remove(certs.cert);
    await eventually(() => lines.length > 0, "a warning");
    assert.equal(
      lines[0],
      `Warning: kept the current certificate (the files changed): ${certs.cert} not found`,
    );
    assert.equal(applied.length, 0);
  } finally {
    reloader.stop();
  }
});

Deno.test("a certificate that expires within a week is applied, and its expiry is warned about", async () => {
  const { certs, applied, lines, reloader } = await watched();
  try {
    // Made 393 days ago, valid for 397: four days left.
    await makeCertificates({ dir: certs.dir, daysAgo: 393 });
    await eventually(() => lines.length >= 2, "reload and warning");
    assert.equal(applied.length, 1);
    assert.match(lines[1], /^Warning: the certificate in .*cert\.pem expires in [34] days/);
  } finally {
    reloader.stop();
  }
});
