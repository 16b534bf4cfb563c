/**
 * The command line of `sockserve cert`: argv after the word `cert` → a validated command (pure),
 * and its help text. The certificates themselves are made in `cert.ts`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { classifyHost } from "../http/authority.ts";
import { DEV_LEAF_VALID_DAYS } from "../limits.ts";
import { fail, normalizeArgs, type UsageError } from "./common.ts";

/** Validated options of `sockserve cert`. */
export interface CertCommand {
  readonly kind: "cert";
  /** The folder the files are written to. */
  readonly out: string;
  /** The names the certificate is for: localhost, 127.0.0.1 and ::1, then any `--name`. */
  readonly names: readonly string[];
  /** The folder the certificate must stay out of, when `--root` is given. */
  readonly root: string | null;
}

/** What `sockserve cert …` asks for. */
export type CertParse = CertCommand | { readonly kind: "cert-help" } | UsageError;

/** The names every development certificate covers (browsers reach a local server by these). */
export const DEFAULT_CERT_NAMES: readonly string[] = ["localhost", "127.0.0.1", "::1"];

/** The help text of `sockserve cert`. */
export const CERT_HELP = `sockserve cert: make a development CA and a certificate for this machine.

Usage:
  sockserve cert --out DIR [--name NAME]...

Writes into DIR (created if needed; it must not be inside the served folder):
  cert.pem, key.pem   the certificate for localhost, 127.0.0.1 and ::1 (and each --name),
                      valid ${DEV_LEAF_VALID_DAYS} days; give them to --tls-cert and --tls-key
  ca.pem              the development CA that signed it: trust it once (the command says how)
  ca-key.pem          the CA's key; kept, so the next run reuses the CA. Keep it private.

Options:
      --out DIR            Where to write the files (required)
      --name NAME          Another host name or IP address to cover (a LAN address for a phone,
                           say); repeatable
  -d, --root DIR           The folder you will serve, which DIR must stay out of (default: the
                           folder sockserve serves from here)
  -h, --help               This help

Running it again keeps the CA and issues a new certificate; a running sockserve picks it up.`;

const CERT_OPTIONS = {
  out: { type: "string" },
  name: { type: "string", multiple: true },
  root: { type: "string", short: "d" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Parses the arguments after `cert` (pure).
 *
 * @param args The arguments.
 * @returns The command, its help, or a usage error.
 */
export function parseCertArgs(args: readonly string[]): CertParse {
  const normalized = normalizeArgs(args, CERT_OPTIONS, {}, "sockserve cert --help");
  if (!Array.isArray(normalized)) return normalized;
  let parsed;
  try {
    parsed = parseArgs({ args: normalized, options: CERT_OPTIONS, allowPositionals: true });
  } catch (error) {
    return fail(`${(error as Error).message.split("\n")[0]} (see sockserve cert --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "cert-help" };
  if (positionals.length > 0) {
    return fail(`Unexpected argument "${positionals[0]}" (see sockserve cert --help)`);
  }
  if (values.out === undefined || values.out === "") {
    return fail("sockserve cert needs --out DIR: the folder for the certificate files");
  }
  const names = [...DEFAULT_CERT_NAMES];
  for (const raw of values.name ?? []) {
    const name = raw.toLowerCase().replace(/^\[(.*)\]$/, "$1");
    if (!isCertName(name)) {
      return fail(`--name must be a host name or an IP address, got "${raw}"`);
    }
    if (!names.includes(name)) names.push(name);
  }
  if (values.root === "") return fail("The root must not be empty");
  return { kind: "cert", out: values.out, names, root: values.root ?? null };
}

/** A DNS name (letters, digits, hyphens, dots; a leading `*.` wildcard) or an IP address. */
function isCertName(name: string): boolean {
  if (classifyHost(name).kind !== "name") return true;
  return /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/
    .test(name) && name.length <= 253;
}
