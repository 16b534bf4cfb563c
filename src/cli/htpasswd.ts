/**
 * Users and their bcrypt hashes as the command line gives them (pure): `--auth USER:HASH`
 * values and htpasswd files (`--auth-file`), each refused in one line when it holds anything but
 * a bcrypt hash, since sockserve checks nothing else. The file itself is read by `startup.ts`.
 *
 * @module
 */

import { MAX_BCRYPT_COST, MIN_BCRYPT_COST } from "../limits.ts";
import type { AuthUser } from "../server/auth.ts";

/**
 * A bcrypt hash in modular crypt form: `$2a$`, `$2b$` or `$2y$` (the same algorithm, as OpenBSD,
 * PHP and Apache name its fixed versions), a two-digit cost, then 22 characters of salt and 31
 * of hash in bcrypt's base64.
 */
const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/** What to do about a hash sockserve cannot check, quoted in every refusal. */
const MAKE_A_HASH = "sockserve hash-password makes one";

/** Other hash kinds htpasswd files hold, named in the refusal so the fix is obvious. */
const OTHER_HASHES: readonly [RegExp, string][] = [
  [/^\$apr1\$/, "an MD5 ($apr1$) hash"],
  [/^\{SHA\}/, "a SHA-1 ({SHA}) hash"],
  [/^\$1\$/, "an MD5-crypt ($1$) hash"],
  [/^\$5\$/, "a SHA-256-crypt ($5$) hash"],
  [/^\$6\$/, "a SHA-512-crypt ($6$) hash"],
  [/^\$argon2/, "an Argon2 hash"],
  [/^\$y\$/, "a yescrypt ($y$) hash"],
  [/^[./0-9A-Za-z]{13}$/, "a DES crypt hash"],
];

/** A line or value that cannot be used, as one line to print. */
export interface AuthRefusal {
  readonly kind: "error";
  readonly message: string;
}

/**
 * Says why a stored password is not a bcrypt hash sockserve checks, without quoting it.
 *
 * @param hash The text after `USER:`.
 * @returns Null for a usable bcrypt hash, else what it is instead (`"an MD5 ($apr1$) hash"`).
 */
export function describeUnusableHash(hash: string): string | null {
  const bcrypt = BCRYPT_HASH.exec(hash);
  if (bcrypt !== null) {
    const cost = Number(bcrypt[1]);
    if (cost < MIN_BCRYPT_COST) return `a bcrypt hash of cost ${cost}, below bcrypt's minimum`;
    if (cost > MAX_BCRYPT_COST) {
      return `a bcrypt hash of cost ${cost}, above ${MAX_BCRYPT_COST} (each check would take ` +
        `seconds)`;
    }
    return null;
  }
  for (const [pattern, name] of OTHER_HASHES) if (pattern.test(hash)) return name;
  return hash.startsWith("$2") ? "a malformed bcrypt hash" : "not a bcrypt hash";
}

/**
 * Checks one `--auth USER:HASH` value. A password in its place is refused, and never echoed:
 * a command line is visible to every user of the machine (`ps`), so only hashes go there.
 *
 * @param value The option's value.
 * @returns The user, or the one-line refusal.
 * @example
 * ```ts
 * parseAuthValue("alice:$2b$10$…");   // { user: "alice", hash: "$2b$10$…" }
 * parseAuthValue("alice:secret");      // { kind: "error", message: "--auth for \"alice\" …" }
 * ```
 */
export function parseAuthValue(value: string): AuthUser | AuthRefusal {
  const colon = value.indexOf(":");
  const hint = `make a hash with: printf '%s' 'PASSWORD' | sockserve hash-password, then give ` +
    `it in single quotes: --auth 'USER:$2b$10$...'`;
  if (colon === -1) return refuse(`--auth takes USER:HASH, never a password; ${hint}`);
  const user = value.slice(0, colon).normalize("NFC");
  const userProblem = checkUserName(user);
  if (userProblem !== null) return refuse(`--auth: ${userProblem}`);
  const unusable = describeUnusableHash(value.slice(colon + 1));
  if (unusable !== null) {
    return refuse(
      `--auth for "${user}" is ${unusable}; sockserve takes bcrypt hashes only, never a ` +
        `password (a command line is visible to everyone on the machine): ${hint}`,
    );
  }
  return { user, hash: value.slice(colon + 1) };
}

/**
 * Parses an htpasswd file (Apache's format, one `USER:HASH` per line): blank lines and `#`
 * comments are skipped, CRLF and a UTF-8 byte order mark are fine, and every hash must be bcrypt
 * (`htpasswd -B`). Each problem is one line naming FILE:LINE and what to do; nothing from the
 * line but the user name is quoted.
 *
 * @param text The file's content.
 * @param file The file name, for messages.
 * @returns The users in file order, or the refusal.
 */
export function parseHtpasswd(text: string, file: string): AuthUser[] | AuthRefusal {
  const users: AuthUser[] = [];
  const lineOf = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    const at = `${file}:${i + 1}`;
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon === -1) return refuse(`${at}: expected USER:HASH (one user per line)`);
    const user = line.slice(0, colon).normalize("NFC");
    const userProblem = checkUserName(user);
    if (userProblem !== null) return refuse(`${at}: ${userProblem}`);
    const hash = line.slice(colon + 1);
    const unusable = describeUnusableHash(hash);
    if (unusable !== null) {
      return refuse(
        `${at}: the password of "${user}" is ${unusable}; sockserve checks bcrypt only: ` +
          `htpasswd -B ${file} ${user} or ${MAKE_A_HASH}`,
      );
    }
    const first = lineOf.get(user);
    if (first !== undefined) {
      return refuse(`${at}: "${user}" is already on line ${first}; give each user once`);
    }
    lineOf.set(user, i + 1);
    users.push({ user, hash });
  }
  if (users.length === 0) return refuse(`${file} has no users: give one USER:HASH per line`);
  return users;
}

/**
 * Joins the users of `--auth` and `--auth-file`, refusing a name given twice (which hash would
 * count is not obvious).
 *
 * @param given The `--auth` users.
 * @param fromFile The file's users, and the file name.
 * @returns All users, or the refusal.
 */
export function mergeUsers(
  given: readonly AuthUser[],
  fromFile: { readonly users: readonly AuthUser[]; readonly file: string },
): AuthUser[] | AuthRefusal {
  const names = new Set(given.map((u) => u.user));
  const twice = fromFile.users.find((u) => names.has(u.user));
  if (twice !== undefined) {
    return refuse(
      `"${twice.user}" is given by --auth and in ${fromFile.file}; give each user once`,
    );
  }
  return [...given, ...fromFile.users];
}

/** RFC 7617 §2: a user-id holds no colon (nor, here, a control character) and is not empty. */
function checkUserName(user: string): string | null {
  if (user === "") return "the user name before the colon is empty";
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(user)) return "the user name holds a control character";
  return null;
}

function refuse(message: string): AuthRefusal {
  return { kind: "error", message };
}
