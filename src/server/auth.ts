/**
 * The password gate of `--auth` (HTTP Basic, RFC 7617): an `Authorization` field in, a verdict
 * out — allowed, denied (401) or busy (503). Users arrive as plain data (name and bcrypt hash),
 * so each serving isolate builds its own gate.
 *
 * bcrypt is deliberately slow, and bcryptjs (pure JavaScript, so `deno compile` works for every
 * target) runs it on this isolate's event loop in slices of up to 100 ms. So the gate:
 *
 * - remembers each user's last successful check as an HMAC of (user, password, stored hash)
 *   under a key made at start, never the password itself; a repeated request costs one HMAC
 *   and a constant-time comparison (`timingSafeEqual`), not a bcrypt run;
 * - checks an unknown user against a dummy hash of the same cost, so a wrong password and an
 *   unknown user both cost exactly one bcrypt run: the time taken does not say who exists;
 * - runs identical checks once (a browser sends the same new credentials on six connections at
 *   once) and at most {@linkcode MAX_CONCURRENT_PASSWORD_CHECKS} distinct ones at a time; past
 *   that the answer is 503, so a flood of wrong passwords cannot take the whole event loop.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import { parseBasicCredentials } from "../http/basic_auth.ts";
import {
  MAX_CONCURRENT_PASSWORD_CHECKS,
  MAX_REMEMBERED_LOGINS,
  MIN_BCRYPT_COST,
} from "../limits.ts";

/** A user allowed in, with the bcrypt hash of their password. */
export interface AuthUser {
  /** The user-id, in Unicode Normalization Form C. */
  readonly user: string;
  /** A bcrypt hash (`$2a$`, `$2b$` or `$2y$`). */
  readonly hash: string;
}

/** What `--auth`, `--auth-file` and `--auth-realm` make of a server (structured-cloneable). */
export interface AuthSettings {
  /** The protection space named in the challenge (RFC 7617 §2), printable ASCII. */
  readonly realm: string;
  /** Who may read the site; at least one. */
  readonly users: readonly AuthUser[];
}

/** The gate's answer: serve the request, 401, or 503 (too many checks running). */
export type AuthVerdict = "allowed" | "denied" | "busy";

/** What a gate uses of bcryptjs and node:crypto (see {@linkcode loadPasswordLibraries}). */
export interface PasswordLibraries {
  readonly compare: (password: string, hash: string) => Promise<boolean>;
  readonly genSaltSync: (cost: number) => string;
  readonly createHmac: typeof import("node:crypto").createHmac;
  readonly timingSafeEqual: typeof import("node:crypto").timingSafeEqual;
}

/**
 * Imports bcryptjs and node:crypto, which a server holds only when it has a password gate
 * (node:crypto alone is ~2 MB of resident memory per process).
 *
 * @returns What a {@linkcode PasswordGate} needs of them.
 */
export async function loadPasswordLibraries(): Promise<PasswordLibraries> {
  const [{ default: bcrypt }, crypto] = await Promise.all([
    import("npm:bcryptjs@^3.0.3"),
    import("node:crypto"),
  ]);
  return {
    compare: (password, hash) => bcrypt.compare(password, hash),
    genSaltSync: (cost) => bcrypt.genSaltSync(cost),
    createHmac: crypto.createHmac,
    timingSafeEqual: crypto.timingSafeEqual,
  };
}

/** Options for {@linkcode PasswordGate}. */
export interface GateOptions {
  /**
   * Checks a password against a bcrypt hash (tests count the calls).
   * @default bcryptjs's compare
   */
  readonly compare?: (password: string, hash: string) => Promise<boolean>;
  /** Distinct checks running at once. @default MAX_CONCURRENT_PASSWORD_CHECKS */
  readonly maxChecks?: number;
  /** Users whose last successful check is remembered. @default MAX_REMEMBERED_LOGINS */
  readonly maxRemembered?: number;
}

/** bcrypt's base64 alphabet, for the dummy hash. */
const BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** bcrypt's highest cost (2^31 rounds): what bcryptjs accepts at all. */
const BCRYPT_HIGHEST_COST = 31;

/** Characters of the hash part after a bcrypt salt (`$2b$10$` + 22 of salt + these 31). */
const BCRYPT_HASH_CHARS = 31;

/** Decides whether a request's credentials let it in; see the module comment for how. */
export class PasswordGate {
  readonly #hashes: ReadonlyMap<string, string>;
  /** Checked for unknown users, so they cost what a known user costs. */
  readonly #dummy: string;
  /** The HMAC key of this isolate: remembered checks mean nothing outside it. */
  readonly #key = crypto.getRandomValues(new Uint8Array(32));
  /** User → HMAC of their last successful check, oldest first. */
  readonly #remembered = new Map<string, Buffer>();
  /** Checks running, by HMAC, so identical ones share one bcrypt run. */
  readonly #running = new Map<string, Promise<boolean>>();
  readonly #compare: (password: string, hash: string) => Promise<boolean>;
  readonly #libraries: PasswordLibraries;
  readonly #maxChecks: number;
  readonly #maxRemembered: number;

  /**
   * @param libraries bcryptjs and node:crypto, from {@linkcode loadPasswordLibraries}.
   * @param users Who may come in (names unique).
   * @param options The checker and the bounds.
   */
  constructor(
    libraries: PasswordLibraries,
    users: readonly AuthUser[],
    options: GateOptions = {},
  ) {
    this.#libraries = libraries;
    this.#hashes = new Map(users.map((u) => [u.user, u.hash]));
    this.#dummy = dummyHash(users, libraries.genSaltSync);
    this.#compare = options.compare ?? libraries.compare;
    this.#maxChecks = options.maxChecks ?? MAX_CONCURRENT_PASSWORD_CHECKS;
    this.#maxRemembered = options.maxRemembered ?? MAX_REMEMBERED_LOGINS;
  }

  /** The hash an unknown user is checked against (for tests: it must be a real bcrypt hash). */
  get dummyHash(): string {
    return this.#dummy;
  }

  /**
   * Checks the `Authorization` field of a request. Remembered credentials are answered at once
   * (no promise); others after one bcrypt run.
   *
   * @param authorization The field value, or undefined when there is none.
   * @returns The verdict, or a promise of it.
   */
  check(authorization: string | undefined): AuthVerdict | Promise<AuthVerdict> {
    const credentials = parseBasicCredentials(authorization);
    if (credentials === null) return "denied";
    const { user, password } = credentials;
    const stored = this.#hashes.get(user);
    const hash = stored ?? this.#dummy;
    const { createHmac, timingSafeEqual } = this.#libraries;
    const digest = createHmac("sha256", this.#key)
      .update(JSON.stringify([user, password, hash]))
      .digest();
    const remembered = this.#remembered.get(user);
    if (remembered !== undefined && timingSafeEqual(remembered, digest)) return "allowed";
    const id = digest.toString("base64");
    let running = this.#running.get(id);
    if (running === undefined) {
      if (this.#running.size >= this.#maxChecks) return "busy";
      // A hash bcryptjs cannot read is a failed check, not a failed request.
      running = this.#compare(password, hash).catch(() => false);
      this.#running.set(id, running);
      void running.then(() => this.#running.delete(id));
    }
    return running.then((ok) => {
      if (!ok || stored === undefined) return "denied";
      this.#remember(user, digest);
      return "allowed";
    });
  }

  /** Remembers a successful check, forgetting the oldest user past the bound. */
  #remember(user: string, digest: Buffer): void {
    this.#remembered.delete(user);
    if (this.#remembered.size >= this.#maxRemembered) {
      const oldest = this.#remembered.keys().next();
      if (!oldest.done) this.#remembered.delete(oldest.value);
    }
    this.#remembered.set(user, digest);
  }
}

/**
 * A bcrypt hash no password is known to match, of the highest cost among the users (an unknown
 * user never looks cheaper than a real one): a fresh salt from bcryptjs and a random hash part,
 * so bcrypt runs in full before the comparison fails.
 */
function dummyHash(users: readonly AuthUser[], genSaltSync: (cost: number) => string): string {
  const costs = users.map((u) => Number(/^\$2[aby]\$(\d\d)\$/.exec(u.hash)?.[1] ?? NaN))
    .filter((c) => c >= MIN_BCRYPT_COST && c <= BCRYPT_HIGHEST_COST);
  const cost = Math.max(MIN_BCRYPT_COST, ...costs);
  const random = crypto.getRandomValues(new Uint8Array(BCRYPT_HASH_CHARS));
  const tail = Array.from(random, (b) => BCRYPT_ALPHABET[b % BCRYPT_ALPHABET.length]).join("");
  return genSaltSync(cost) + tail;
}
