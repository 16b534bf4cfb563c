/**
 * Listeners (src/server/listeners.ts): which sockets `--host` opens, one port for all of them,
 * TLS with ALPN http/1.1, and the certificate swap that never closes the port.
 */

import assert from "node:assert/strict";
import { bindPlan, Listeners } from "../../src/server/listeners.ts";
import { makeCertificates } from "../fixtures/certificates.ts";

Deno.test("bindPlan(): localhost is 127.0.0.1 and ::1, :: is :: and 0.0.0.0, repeats are dropped", () => {
  const cases: [string[], [string, boolean][]][] = [
    [["127.0.0.1"], [["127.0.0.1", false]]],
    [["localhost"], [["127.0.0.1", false], ["::1", true]]],
    [["::"], [["::", false], ["0.0.0.0", true]]],
    [["0.0.0.0"], [["0.0.0.0", false]]],
    [["::1", "127.0.0.1"], [["::1", false], ["127.0.0.1", false]]],
    // Asked for explicitly as well: no longer optional, so its failure is reported.
    [["localhost", "::1"], [["127.0.0.1", false], ["::1", false]]],
    [["127.0.0.1", "localhost", "127.0.0.1"], [["127.0.0.1", false], ["::1", true]]],
  ];
  for (const [hosts, plan] of cases) {
    assert.deepEqual(
      bindPlan(hosts).map((b) => [b.hostname, b.optional]),
      plan,
      hosts.join(" "),
    );
  }
});

/** Whether this machine has IPv6 loopback (containers sometimes do not). */
function hasIpv6(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

async function connects(hostname: string, port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname, port })).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test("Listeners on localhost listen on 127.0.0.1 and ::1 with one port, even when 0 was asked", async () => {
  const accepted: Deno.Listener[] = [];
  const listeners = new Listeners(
    { hosts: ["localhost"], port: 0, reusePort: false, tls: null },
    (listener) => void accepted.push(listener),
  );
  try {
    const port = listeners.port;
    assert.notEqual(port, 0);
    assert.equal(listeners.addresses[0], `127.0.0.1:${port}`);
    assert.ok(await connects("127.0.0.1", port));
    if (hasIpv6()) {
      assert.deepEqual(listeners.addresses, [`127.0.0.1:${port}`, `[::1]:${port}`]);
      assert.ok(await connects("::1", port));
    }
    assert.equal(accepted.length, listeners.addresses.length);
  } finally {
    listeners.close();
  }
});

Deno.test("Listeners on :: also answer IPv4, whether the :: socket is dual-stack or not", async () => {
  if (!hasIpv6()) return;
  const listeners = new Listeners(
    { hosts: ["::"], port: 0, reusePort: false, tls: null },
    () => {},
  );
  try {
    assert.ok(await connects("127.0.0.1", listeners.port));
    assert.ok(await connects("::1", listeners.port));
    assert.equal(listeners.addresses[0], `[::]:${listeners.port}`);
  } finally {
    listeners.close();
  }
});

Deno.test("a socket that cannot be opened fails the whole set, naming its address, and closes the rest", () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    assert.throws(
      () => new Listeners({ hosts: ["127.0.0.1"], port, reusePort: false, tls: null }, () => {}),
      (error: Error) =>
        error instanceof Deno.errors.AddrInUse &&
        error.message.endsWith(`(listening on 127.0.0.1:${port})`),
    );
  } finally {
    taken.close();
  }
});

/** Connects over TLS trusting one CA; resolves with the ALPN protocol, or rejects. */
async function handshake(port: number, caPem: string, alpn = ["http/1.1"]): Promise<string | null> {
  const conn = await Deno.connectTls({
    hostname: "localhost",
    port,
    caCerts: [caPem],
    alpnProtocols: alpn,
  });
  try {
    return (await conn.handshake()).alpnProtocol;
  } finally {
    conn.close();
  }
}

/** Accepts on each socket and completes the server side of every handshake. */
function acceptAll(listener: Deno.Listener): Promise<void> {
  return (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      (conn as Deno.TlsConn).handshake().catch(() => {}).finally(() => {
        setTimeout(() => conn.close(), 50);
      });
    }
  })();
}

Deno.test("TLS listeners offer exactly http/1.1 (RFC 7301 §3.2): an h2-only client fails, others go on", async () => {
  const certs = await makeCertificates();
  const listeners = new Listeners(
    {
      hosts: ["127.0.0.1"],
      port: 0,
      reusePort: false,
      tls: { cert: certs.certPem, key: certs.keyPem },
    },
    acceptAll,
  );
  try {
    assert.equal(await handshake(listeners.port, certs.caPem), "http/1.1");
    assert.equal(await handshake(listeners.port, certs.caPem, ["h2", "http/1.1"]), "http/1.1");
    await assert.rejects(
      () => handshake(listeners.port, certs.caPem, ["h2"]),
      /NoApplicationProtocol/,
    );
    assert.equal(await handshake(listeners.port, certs.caPem), "http/1.1");
  } finally {
    listeners.close();
  }
});

for (const reusePort of [true, false]) {
  Deno.test(`replaceTls() serves new handshakes with the new certificate on the same port (${reusePort ? "sockets side by side" : "probe, then reopen"})`, async () => {
    const first = await makeCertificates();
    const second = await makeCertificates();
    const listeners = new Listeners(
      { hosts: ["127.0.0.1"], port: 0, reusePort, tls: { cert: first.certPem, key: first.keyPem } },
      acceptAll,
    );
    try {
      const port = listeners.port;
      assert.equal(await handshake(port, first.caPem), "http/1.1");
      await listeners.replaceTls({ cert: second.certPem, key: second.keyPem });
      assert.equal(listeners.port, port);
      assert.equal(await handshake(port, second.caPem), "http/1.1");
      await assert.rejects(
        () => handshake(port, first.caPem),
        /UnknownIssuer|invalid peer certificate/i,
      );
    } finally {
      listeners.close();
    }
  });
}

Deno.test("replaceTls() with a pair the TLS library refuses keeps the old certificate and the port", async () => {
  const certs = await makeCertificates();
  const listeners = new Listeners(
    {
      hosts: ["127.0.0.1"],
      port: 0,
      reusePort: false,
      tls: { cert: certs.certPem, key: certs.keyPem },
    },
    acceptAll,
  );
  try {
    await assert.rejects(() => listeners.replaceTls({ cert: certs.certPem, key: "not a key" }));
    assert.equal(await handshake(listeners.port, certs.caPem), "http/1.1");
  } finally {
    listeners.close();
  }
});
