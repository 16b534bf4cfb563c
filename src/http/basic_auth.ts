/**
 * HTTP Basic authentication as pure protocol (RFC 7617 over RFC 9110 §11): the credentials of
 * an `Authorization` field in, a user-id and password out; a realm in, the `WWW-Authenticate`
 * challenge out. Checking the password is the server's job (`src/server/auth.ts`).
 *
 * @module
 */

/** A user-id and password as a client sent them (RFC 7617 §2). */
export interface BasicCredentials {
  readonly user: string;
  readonly password: string;
}

/**
 * RFC 9110 §11.4: `credentials = auth-scheme [ 1*SP token68 ]`, the scheme case-insensitive
 * (§11.1); RFC 7617 §2 fills token68 with base64 (RFC 4648 §4: its own alphabet, padded).
 */
const BASIC_CREDENTIALS =
  /^basic +((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/i;

/** RFC 7617 §2: "The user-id and password MUST NOT contain any control characters". */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses the value of an `Authorization` field holding Basic credentials: base64 of
 * `user-id ":" password` in UTF-8, the charset the challenge announces (RFC 7617 §2.1). Both are
 * put in Unicode Normalization Form C, which that charset asks clients for, so a password typed
 * where input arrives decomposed still matches. Anything else — another scheme, bad base64,
 * invalid UTF-8, no colon, a control character — is null: the answer is 401 either way, never
 * 400, so a malformed field reveals nothing more than a wrong password.
 *
 * @param value The field value, or undefined when the request has none.
 * @returns The credentials, or null.
 * @example
 * ```ts
 * parseBasicCredentials("Basic YWxpY2U6c2VjcmV0"); // { user: "alice", password: "secret" }
 * ```
 */
export function parseBasicCredentials(value: string | undefined): BasicCredentials | null {
  if (value === undefined) return null;
  const match = BASIC_CREDENTIALS.exec(value);
  if (match === null || match[1] === "") return null;
  const binary = atob(match[1]);
  const octets = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) octets[i] = binary.charCodeAt(i);
  let text: string;
  try {
    text = utf8.decode(octets);
  } catch {
    return null;
  }
  // RFC 7617 §2: a user-id containing a colon cannot be sent, so the first colon ends it.
  const colon = text.indexOf(":");
  if (colon === -1 || CONTROL.test(text)) return null;
  return {
    user: text.slice(0, colon).normalize("NFC"),
    password: text.slice(colon + 1).normalize("NFC"),
  };
}

/**
 * Formats the challenge of a 401 (RFC 7617 §2, §2.1): the realm as a quoted-string (RFC 9110
 * §5.6.4: `"` and `\` escaped) and `charset="UTF-8"`, so browsers encode non-ASCII passwords
 * the way this server decodes them.
 *
 * @param realm The protection space, printable ASCII.
 * @returns The `WWW-Authenticate` field value.
 * @example
 * ```ts
 * formatBasicChallenge("sockserve"); // 'Basic realm="sockserve", charset="UTF-8"'
 * ```
 */
export function formatBasicChallenge(realm: string): string {
  return `Basic realm="${realm.replace(/["\\]/g, (c) => "\\" + c)}", charset="UTF-8"`;
}
