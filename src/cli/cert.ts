/**
 * `sockserve cert --out DIR`: a development certificate authority and a certificate it signs for
 * this machine's names, so HTTPS works locally without a browser warning once the CA is trusted
 * (what mkcert does). The CA is kept and reused on the next run, so it is trusted only once.
 *
 * Certificates are made with @peculiar/x509 over WebCrypto: ECDSA P-256 with SHA-256, which
 * every browser, curl, OpenSSL and rustls accept. The leaf is what clients insist on for a
 * server: `CA:false`, key usage digitalSignature, extended key usage serverAuth, and its names
 * in subjectAltName (RFC 6125: clients ignore the CN).
 *
 * @module
 */

import * as x509 from "npm:@peculiar/x509@^1.14.3";
import { dirname, resolve } from "node:path";
import { classifyHost } from "../http/authority.ts";
import { DEV_CA_VALID_DAYS, DEV_LEAF_VALID_DAYS } from "../limits.ts";
import { relativeInside } from "../server/resolver.ts";
import { checkTlsPair } from "../server/tls.ts";
import type { CertCommand } from "./cert_args.ts";

x509.cryptoProvider.set(crypto);

/** The four PEM texts `sockserve cert` writes. */
export interface DevCertificates {
  readonly caCert: string;
  readonly caKey: string;
  readonly cert: string;
  readonly key: string;
  /** When the leaf expires. */
  readonly notAfter: Date;
  /** Whether the CA was made now (it must be trusted) rather than reused. */
  readonly newCa: boolean;
}

/** ECDSA P-256 with SHA-256: accepted by every browser, curl, OpenSSL and rustls. */
const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const MS_PER_DAY = 24 * 60 * 60 * 1000;
/** Serial numbers are 16 random bytes (CA/Browser Forum: at least 64 bits of entropy). */
const SERIAL_BYTES = 16;

/**
 * Makes the certificates (no I/O): a new CA unless a usable one is given, and a leaf it signs.
 *
 * @param names The leaf's names.
 * @param now The clock.
 * @param existing A CA from an earlier run, reused when it parses and has a year left.
 * @returns The PEM texts.
 */
export async function makeDevCertificates(
  names: readonly string[],
  now: Date,
  existing: { readonly caCert: string; readonly caKey: string } | null,
): Promise<DevCertificates> {
  const reused = existing === null ? null : await importCa(existing, now);
  const ca = reused ?? await newCa(now);
  const leafKeys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const notAfter = new Date(now.getTime() + DEV_LEAF_VALID_DAYS * MS_PER_DAY);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${names[0]}, O=sockserve development certificate`,
    issuer: ca.cert.subject,
    notBefore: now,
    notAfter,
    signingAlgorithm: ALGORITHM,
    publicKey: leafKeys.publicKey,
    signingKey: ca.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(
        names.map((name): x509.JsonGeneralName => ({
          type: classifyHost(name).kind === "name" ? "dns" : "ip",
          value: name,
        })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return {
    caCert: ca.cert.toString("pem") + "\n",
    caKey: ca.keyPem,
    cert: leaf.toString("pem") + "\n",
    key: await exportKey(leafKeys.privateKey),
    notAfter,
    newCa: reused === null,
  };
}

interface Ca {
  readonly cert: x509.X509Certificate;
  readonly privateKey: CryptoKey;
  readonly keyPem: string;
}

async function newCa(now: Date): Promise<Ca> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    // The date tells two development CAs apart in a trust store.
    name: `CN=sockserve development CA ${now.toISOString().slice(0, 10)}, O=sockserve`,
    notBefore: now,
    notAfter: new Date(now.getTime() + DEV_CA_VALID_DAYS * MS_PER_DAY),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      // pathLen 0: it signs leaves only.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, privateKey: keys.privateKey, keyPem: await exportKey(keys.privateKey) };
}

/** A CA from an earlier run, if it is one of ours that still has a leaf's lifetime left. */
async function importCa(
  existing: { readonly caCert: string; readonly caKey: string },
  now: Date,
): Promise<Ca | null> {
  const verdict = await checkTlsPair(existing.caCert, existing.caKey, {
    certFile: "ca.pem",
    keyFile: "ca-key.pem",
  }, now);
  if (!verdict.ok) return null;
  if (verdict.notAfter.getTime() - now.getTime() < DEV_LEAF_VALID_DAYS * MS_PER_DAY) return null;
  try {
    const cert = new x509.X509Certificate(existing.caCert);
    const constraints = cert.getExtension(x509.BasicConstraintsExtension);
    if (!constraints?.ca) return null;
    const der = x509.PemConverter.decodeFirst(existing.caKey);
    const privateKey = await crypto.subtle.importKey("pkcs8", der, ALGORITHM, true, ["sign"]);
    return { cert, privateKey, keyPem: existing.caKey };
  } catch {
    return null;
  }
}

async function exportKey(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY") +
    "\n";
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(SERIAL_BYTES));
  bytes[0] &= 0x7f; // RFC 5280 §4.1.2.2: the serial is a positive integer.
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Runs `sockserve cert`: refuses a folder inside the served root, reuses the CA found there,
 * writes the four files (keys readable by the owner only, each file replaced whole), and prints
 * what was made and how to trust the CA.
 *
 * @param command The validated command.
 * @param servedRoot The folder sockserve would serve from here (when `--root` is not given).
 * @returns The exit code: 0, or 2 with one line on stderr.
 */
export async function runCert(command: CertCommand, servedRoot: string): Promise<number> {
  const out = resolve(command.out);
  const root = command.root ?? servedRoot;
  const inside = await isInside(root, out);
  if (inside) {
    console.error(
      `${command.out} is inside the served folder ${root}: anyone could download the keys; ` +
        `choose a folder outside it.`,
    );
    return 2;
  }
  try {
    await Deno.mkdir(out, { recursive: true });
    const existing = await readExistingCa(out);
    const made = await makeDevCertificates(command.names, new Date(), existing);
    if (made.newCa) {
      await writeWhole(`${out}/ca-key.pem`, made.caKey, 0o600);
      await writeWhole(`${out}/ca.pem`, made.caCert, 0o644);
    }
    // The key first: a server reloading on the certificate's change finds its key already new.
    await writeWhole(`${out}/key.pem`, made.key, 0o600);
    await writeWhole(`${out}/cert.pem`, made.cert, 0o644);
    for (const line of certReport(command, made)) console.log(line);
    return 0;
  } catch (error) {
    console.error(
      `Cannot write the certificate files to ${command.out}: ${(error as Error).message}`,
    );
    return error instanceof Deno.errors.NotCapable ? 2 : 1;
  }
}

/**
 * What `sockserve cert` prints (pure): the files, the command to serve with them, and how to
 * trust the CA on each system.
 *
 * @param command The command (for the folder as the user wrote it).
 * @param made What was made.
 * @param os The system to explain trusting the CA on.
 * @returns The lines.
 */
export function certReport(
  command: Pick<CertCommand, "out" | "names">,
  made: Pick<DevCertificates, "notAfter" | "newCa">,
  os: typeof Deno.build.os = Deno.build.os,
): string[] {
  const dir = command.out.replace(/[\\/]$/, "");
  const ca = `${dir}/ca.pem`;
  return [
    `Made in ${dir}/:`,
    `  cert.pem, key.pem  a certificate for ${command.names.join(", ")}, valid until ${
      made.notAfter.toISOString().slice(0, 10)
    }`,
    `  ca.pem             the development CA that signed it${
      made.newCa ? " (new: trust it once, below)" : " (kept from before: already trusted)"
    }`,
    `  ca-key.pem         the CA's key: keep it private, anyone with it can make certificates`,
    `                     this machine trusts`,
    ``,
    `Serve with it:`,
    `  sockserve --tls-cert ${dir}/cert.pem --tls-key ${dir}/key.pem -p 8443`,
    ``,
    `Trust the CA (only on machines you develop on):`,
    `  curl            curl --cacert ${ca} https://localhost:8443/`,
    `  Deno            deno run --cert ${ca} …   (or DENO_CERT=${ca})`,
    ...(SYSTEM_TRUST[os] ?? SYSTEM_TRUST.linux).map(([where, how]) =>
      `  ${where.padEnd(15)} ${how(ca)}`
    ),
  ];
}

/** How to trust a CA in each system's own store (browsers other than Firefox use it). */
const SYSTEM_TRUST:
  & Readonly<
    Partial<Record<typeof Deno.build.os, readonly [string, (ca: string) => string][]>>
  >
  & { readonly linux: readonly [string, (ca: string) => string][] } = {
    linux: [
      [
        "Debian, Ubuntu",
        (ca) =>
          `sudo cp ${ca} /usr/local/share/ca-certificates/sockserve-dev.crt && ` +
          `sudo update-ca-certificates`,
      ],
      ["Chrome", (ca) => `certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n sockserve-dev -i ${ca}`],
      ["Firefox", () => "Settings → Privacy & Security → View Certificates → Authorities → Import"],
    ],
    darwin: [
      [
        "macOS",
        (ca) =>
          `sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${ca}`,
      ],
      ["Firefox", () => "Settings → Privacy & Security → View Certificates → Authorities → Import"],
    ],
    windows: [
      ["Windows", (ca) => `certutil -addstore -f ROOT ${ca.replaceAll("/", "\\")}`],
      ["Firefox", () => "Settings → Privacy & Security → View Certificates → Authorities → Import"],
    ],
  };

/** Whether `path` (which may not exist yet) is the root or inside it, by real paths. */
async function isInside(root: string, path: string): Promise<boolean> {
  let realRoot: string;
  try {
    realRoot = await Deno.realPath(root);
  } catch {
    return false; // No such root: nothing to keep out of.
  }
  // The deepest existing ancestor decides where the new folder really is.
  let existing = path;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = await Deno.realPath(existing);
      return relativeInside(realRoot, resolve(real, ...rest.reverse())) !== null;
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return false;
      rest.push(existing.slice(parent.length + 1));
      existing = parent;
    }
  }
}

/** The CA of an earlier run in the folder, if both its files are there. */
async function readExistingCa(
  out: string,
): Promise<{ caCert: string; caKey: string } | null> {
  try {
    return {
      caCert: await Deno.readTextFile(`${out}/ca.pem`),
      caKey: await Deno.readTextFile(`${out}/ca-key.pem`),
    };
  } catch {
    return null;
  }
}

/** Replaces a file whole (write beside it, then rename), so a reader never sees half of it. */
async function writeWhole(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(temporary, text, { mode });
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}
