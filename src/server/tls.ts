/**
 * Certificates: a certificate file and a key file checked as a pair before any socket or
 * handshake sees them, so every way they can be wrong is one clear line instead of Deno's terse
 * "No keys found in key data".
 *
 * {@linkcode checkTlsPair} is pure (texts and a clock in, a verdict out, using node:crypto's
 * `X509Certificate` and `checkPrivateKey`, imported when a pair is checked: a server without
 * HTTPS does not hold node:crypto); {@linkcode readTlsPair} is the thin edge that reads the two
 * files, bounded in size.
 *
 * @module
 */

import type { KeyObject, X509Certificate } from "node:crypto";
import { MAX_TLS_FILE_BYTES, TLS_EXPIRY_WARNING_DAYS } from "../limits.ts";
import type { TlsPair } from "./listeners.ts";

/** Where a pair came from, for messages. */
export interface TlsFiles {
  /** The certificate file (`--tls-cert`). */
  readonly certFile: string;
  /** The key file (`--tls-key`). */
  readonly keyFile: string;
}

/** A pair that passed every check. */
export interface CheckedPair {
  /** It passed. */
  readonly ok: true;
  /** The texts to serve. */
  readonly pair: TlsPair;
  /** The leaf's subject, e.g. `CN=localhost`. */
  readonly subject: string;
  /** The leaf's names (subjectAltName), e.g. `DNS:localhost, IP Address:127.0.0.1`. */
  readonly names: string;
  /** When the leaf expires. */
  readonly notAfter: Date;
}

/** A pair that must not be served, with the one line that says why. */
export interface RefusedPair {
  /** It did not pass. */
  readonly ok: false;
  /** Why, in one line naming the file and the fix. */
  readonly message: string;
}

/** The verdict on a certificate and key. */
export type PairCheck = CheckedPair | RefusedPair;

const MS_PER_DAY = 24 * 60 * 60 * 1000;

/** The PEM armour line that starts every block (RFC 7468 §2). */
const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]+)-----/g;

/**
 * Checks a certificate and key as they will be served (pure): both PEM, the key not encrypted,
 * the key belonging to the first certificate (the leaf), and the leaf valid now.
 *
 * @param certText The certificate file's text: the leaf first, then any intermediates.
 * @param keyText The key file's text.
 * @param files The file names, for messages.
 * @param now The clock.
 * @returns The pair and its facts, or the reason to refuse it.
 * @example
 * ```ts
 * const verdict = await checkTlsPair(certPem, keyPem, { certFile: "cert.pem", keyFile: "key.pem" }, new Date());
 * if (!verdict.ok) console.error(verdict.message);
 * ```
 */
export async function checkTlsPair(
  certText: string,
  keyText: string,
  files: TlsFiles,
  now: Date,
): Promise<PairCheck> {
  const { certFile, keyFile } = files;
  const refuse = (message: string): RefusedPair => ({ ok: false, message });
  const certLabels = pemLabels(certText);
  const keyLabels = pemLabels(keyText);

  if (certLabels.length === 0) {
    return refuse(
      looksBinary(certText)
        ? `${certFile} is DER (binary), not PEM: convert it with ` +
          `"openssl x509 -inform der -in ${certFile} -out cert.pem"`
        : `${certFile} holds no certificate: expected a "-----BEGIN CERTIFICATE-----" block`,
    );
  }
  if (!certLabels.includes("CERTIFICATE")) {
    return refuse(
      certLabels.some(isKeyLabel)
        ? `${certFile} holds a private key, not a certificate: are --tls-cert and --tls-key swapped?`
        : `${certFile} holds no certificate: expected a "-----BEGIN CERTIFICATE-----" block`,
    );
  }
  if (keyLabels.length === 0) {
    return refuse(
      looksBinary(keyText)
        ? `${keyFile} is DER (binary), not PEM: convert it with ` +
          `"openssl pkey -inform der -in ${keyFile} -out key.pem"`
        : `${keyFile} holds no private key: expected a "-----BEGIN PRIVATE KEY-----" block`,
    );
  }
  // PKCS#8 "ENCRYPTED PRIVATE KEY", or the older OpenSSL "Proc-Type: 4,ENCRYPTED" header.
  if (keyLabels.includes("ENCRYPTED PRIVATE KEY") || /Proc-Type:\s*4,ENCRYPTED/.test(keyText)) {
    return refuse(
      `${keyFile} is encrypted with a passphrase, which a server cannot type: decrypt it with ` +
        `"openssl pkey -in ${keyFile} -out key.pem"`,
    );
  }
  if (!keyLabels.some(isKeyLabel)) {
    return refuse(
      keyLabels.includes("CERTIFICATE")
        ? `${keyFile} holds a certificate, not a private key: are --tls-cert and --tls-key swapped?`
        : `${keyFile} holds no private key: expected a "-----BEGIN PRIVATE KEY-----" block`,
    );
  }

  const { createPrivateKey, X509Certificate } = await import("node:crypto");
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(firstBlock(certText, "CERTIFICATE"));
  } catch (error) {
    return refuse(`${certFile}: the certificate cannot be read (${firstLine(error)})`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyText);
  } catch (error) {
    return refuse(`${keyFile}: the private key cannot be read (${firstLine(error)})`);
  }
  const subject = leaf.subject.replaceAll("\n", ", ");
  if (!leaf.checkPrivateKey(key)) {
    return refuse(
      `${keyFile} does not belong to the certificate in ${certFile} (${subject}): ` +
        `give the key the certificate was issued for`,
    );
  }
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() <= now.getTime()) {
    return refuse(
      `${certFile} expired on ${day(notAfter)} (${subject}): renew it ` +
        `(for development: sockserve cert --out DIR)`,
    );
  }
  if (notBefore.getTime() > now.getTime()) {
    return refuse(
      `${certFile} is not valid before ${day(notBefore)}: check this machine's clock`,
    );
  }
  return {
    ok: true,
    pair: { cert: certText, key: keyText },
    subject,
    names: leaf.subjectAltName ?? "",
    notAfter,
  };
}

/**
 * The warning for a certificate that expires soon (pure), or null.
 *
 * @param checked A checked pair.
 * @param files The file names, for the message.
 * @param now The clock.
 * @returns One line, when fewer than {@linkcode TLS_EXPIRY_WARNING_DAYS} days remain.
 */
export function expiryWarning(checked: CheckedPair, files: TlsFiles, now: Date): string | null {
  const left = (checked.notAfter.getTime() - now.getTime()) / MS_PER_DAY;
  if (left >= TLS_EXPIRY_WARNING_DAYS) return null;
  const when = left < 1 ? "in less than a day" : `in ${Math.floor(left)} days`;
  return `Warning: the certificate in ${files.certFile} expires ${when} (${checked.notAfter.toISOString()}): renew it; sockserve loads the new one without a restart.`;
}

/**
 * Reads and checks a certificate and key file.
 *
 * @param files The two files.
 * @param now The clock.
 * @returns The verdict; an unreadable or oversized file is a refusal too.
 */
export async function readTlsPair(files: TlsFiles, now: Date = new Date()): Promise<PairCheck> {
  const cert = await readBounded(files.certFile);
  if (typeof cert !== "string") return cert;
  const key = await readBounded(files.keyFile);
  if (typeof key !== "string") return key;
  return await checkTlsPair(cert, key, files, now);
}

/** Reads a small text file, or says in one line why it cannot be. */
async function readBounded(path: string): Promise<string | RefusedPair> {
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) return { ok: false, message: `${path} is not a file` };
    if (info.size > MAX_TLS_FILE_BYTES) {
      return { ok: false, message: `${path} is ${info.size} bytes: too large for a certificate` };
    }
    // Latin-1, not UTF-8: DER is binary and must reach the DER check unchanged.
    return new TextDecoder("latin1").decode(await Deno.readFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { ok: false, message: `${path} not found` };
    return { ok: false, message: `Cannot read ${path}: ${firstLine(error)}` };
  }
}

/** The labels of every PEM block in a text, in order. */
function pemLabels(text: string): string[] {
  return [...text.matchAll(PEM_BEGIN)].map((match) => match[1]);
}

/** Private key labels: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`). */
function isKeyLabel(label: string): boolean {
  return label.endsWith("PRIVATE KEY");
}

/** The first PEM block with a label, armour included. */
function firstBlock(text: string, label: string): string {
  const begin = text.indexOf(`-----BEGIN ${label}-----`);
  const endMarker = `-----END ${label}-----`;
  const end = text.indexOf(endMarker, begin);
  return end === -1 ? text.slice(begin) : text.slice(begin, end + endMarker.length);
}

/** How much of a file decides whether it is binary: the first line's worth. */
const BINARY_SNIFF_CHARS = 64;

/** Whether a file's text looks binary (DER) rather than PEM. */
function looksBinary(text: string): boolean {
  // DER starts with a SEQUENCE tag (0x30) and a long-form length; PEM is printable text.
  if (text.charCodeAt(0) === 0x30 && text.charCodeAt(1) >= 0x80) return true;
  for (let i = 0; i < Math.min(text.length, BINARY_SNIFF_CHARS); i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code >= 0x7f) {
      return true;
    }
  }
  return false;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
