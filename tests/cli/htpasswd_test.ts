/**
 * Users from the command line (src/cli/htpasswd.ts): `--auth USER:HASH` values and htpasswd
 * files, bcrypt only, each refusal one line that never quotes a password or hash.
 */

import assert from "node:assert/strict";
import {
  describeUnusableHash,
  mergeUsers,
  parseAuthValue,
  parseHtpasswd,
} from "../../src/cli/htpasswd.ts";

/** Made by Apache's `htpasswd -nbB -C 5 carol 'open sesame'`. */
const APACHE_2Y = "$2y$05$SNUCgrkeW.YjbFmngiEHu.P7fL0S.MzPRNqHXL12/Lf6BSpLCtkk6";
/** bcryptjs's own prefix, cost 10. */
const HASH_2B = "$2b$10$jYac00ewhhb6fYi2GLz7UunzzpwdYGpghE6scMDwa3teHgXYVQnDG";
/** The older OpenBSD prefix. */
const HASH_2A = "$2a$04$" + HASH_2B.slice(7);

Deno.test("describeUnusableHash() accepts bcrypt $2a$, $2b$, $2y$ and names every other kind", async (t) => {
  const cases: [string, string | null][] = [
    [APACHE_2Y, null],
    [HASH_2B, null],
    [HASH_2A, null],
    ["$apr1$N3E.ZCW2$HGrZaSRxs793YGzGAV0Ap1", "an MD5 ($apr1$) hash"],
    ["{SHA}EfatjsUqKYSrqv18O1FlA3hcIHI=", "a SHA-1 ({SHA}) hash"],
    ["$1$salt$hash", "an MD5-crypt ($1$) hash"],
    ["$5$salt$hash", "a SHA-256-crypt ($5$) hash"],
    ["$6$salt$hash", "a SHA-512-crypt ($6$) hash"],
    ["$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "an Argon2 hash"],
    ["$y$j9T$salt$hash", "a yescrypt ($y$) hash"],
    ["rl.3StKT.4T8M", "a DES crypt hash"],
    ["$2b$03$" + HASH_2B.slice(7), "a bcrypt hash of cost 3, below bcrypt's minimum"],
    [
      "$2b$15$" + HASH_2B.slice(7),
      "a bcrypt hash of cost 15, above 14 (each check would take seconds)",
    ],
    [HASH_2B.slice(0, -1), "a malformed bcrypt hash"],
    ["$2x$10$" + HASH_2B.slice(7), "a malformed bcrypt hash"],
    ["secret", "not a bcrypt hash"],
    ["", "not a bcrypt hash"],
  ];
  for (const [hash, expected] of cases) {
    await t.step(hash === "" ? "(empty)" : hash, () => {
      assert.equal(describeUnusableHash(hash), expected);
    });
  }
});

Deno.test("parseAuthValue() takes USER:HASH, the user in NFC and the hash as given", () => {
  assert.deepEqual(parseAuthValue(`alice:${HASH_2B}`), { user: "alice", hash: HASH_2B });
  assert.deepEqual(parseAuthValue(`carol:${APACHE_2Y}`), { user: "carol", hash: APACHE_2Y });
  assert.deepEqual(parseAuthValue(`zoe\u0308:${HASH_2B}`), { user: "zoë", hash: HASH_2B });
});

Deno.test("parseAuthValue() refuses a password with the hash-password hint, never echoing it", async (t) => {
  const cases: [string, RegExp][] = [
    ["alice:hunter2-plaintext", /^--auth for "alice" is not a bcrypt hash; .*hash-password/],
    ["hunter2-plaintext", /^--auth takes USER:HASH, never a password; .*hash-password/],
    // What an unquoted `--auth alice:$2b$10$…` becomes after the shell expands $2 and $10.
    ["alice:b0jYac00ewhhb6fYi2GLz7Uunzzpwd", /single quotes/],
    [`:${HASH_2B}`, /^--auth: the user name before the colon is empty$/],
    [`al\x01ice:${HASH_2B}`, /^--auth: the user name holds a control character$/],
    ["bob:$apr1$N3E.ZCW2$HGrZaSRxs793YGzGAV0Ap1", /^--auth for "bob" is an MD5 \(\$apr1\$\) hash/],
  ];
  for (const [value, expected] of cases) {
    await t.step(value, () => {
      const result = parseAuthValue(value);
      assert.ok("kind" in result, "refused");
      assert.match(result.message, expected);
      assert.ok(!result.message.includes("\n"), "one line");
      const secret = value.slice(value.indexOf(":") + 1);
      if (secret.length > 0) assert.ok(!result.message.includes(secret), "not echoed");
    });
  }
});

Deno.test("parseHtpasswd() skips comments and blank lines, takes CRLF and a BOM, and $2y$ lines", () => {
  const text = "\uFEFF# users of the docs site\r\n\r\ncarol:" + APACHE_2Y + "\r\n  \r\n" +
    "   # indented comment\nalice:" + HASH_2B + "  \n";
  assert.deepEqual(parseHtpasswd(text, "users.htpasswd"), [
    { user: "carol", hash: APACHE_2Y },
    { user: "alice", hash: HASH_2B },
  ]);
});

Deno.test("parseHtpasswd() refuses a line in one line naming FILE:LINE and what to do", async (t) => {
  const cases: [string, string, string][] = [
    [
      "an Apache MD5 hash",
      `alice:${HASH_2B}\n\nerin:$apr1$N3E.ZCW2$HGrZaSRxs793YGzGAV0Ap1\n`,
      'users:3: the password of "erin" is an MD5 ($apr1$) hash; sockserve checks bcrypt only: ' +
      "htpasswd -B users erin or sockserve hash-password makes one",
    ],
    [
      "a SHA-1 hash",
      "frank:{SHA}EfatjsUqKYSrqv18O1FlA3hcIHI=",
      'users:1: the password of "frank" is a SHA-1 ({SHA}) hash; sockserve checks bcrypt only: ' +
      "htpasswd -B users frank or sockserve hash-password makes one",
    ],
    [
      "a DES crypt hash",
      "# old\r\ngus:rl.3StKT.4T8M\r\n",
      'users:2: the password of "gus" is a DES crypt hash; sockserve checks bcrypt only: ' +
      "htpasswd -B users gus or sockserve hash-password makes one",
    ],
    [
      "a plaintext password",
      "hank:hunter2",
      'users:1: the password of "hank" is not a bcrypt hash; sockserve checks bcrypt only: ' +
      "htpasswd -B users hank or sockserve hash-password makes one",
    ],
    [
      "a line without a colon",
      `alice:${HASH_2B}\nhunter2\n`,
      "users:2: expected USER:HASH (one user per line)",
    ],
    ["an empty user name", `:${HASH_2B}`, "users:1: the user name before the colon is empty"],
    [
      "a user twice",
      `alice:${HASH_2B}\n# again\nalice:${APACHE_2Y}`,
      'users:3: "alice" is already on line 1; give each user once',
    ],
    ["no users at all", "# nobody yet\n\n", "users has no users: give one USER:HASH per line"],
  ];
  for (const [name, text, expected] of cases) {
    await t.step(name, () => {
      const result = parseHtpasswd(text, "users");
      assert.ok("kind" in result, "refused");
      assert.equal(result.message, expected);
    });
  }
});

Deno.test("mergeUsers() joins --auth and --auth-file users, refusing a name in both", () => {
  const given = [{ user: "alice", hash: HASH_2B }];
  assert.deepEqual(mergeUsers(given, { users: [{ user: "carol", hash: APACHE_2Y }], file: "f" }), [
    { user: "alice", hash: HASH_2B },
    { user: "carol", hash: APACHE_2Y },
  ]);
  const twice = mergeUsers(given, { users: [{ user: "alice", hash: APACHE_2Y }], file: "f" });
  assert.deepEqual(twice, {
    kind: "error",
    message: '"alice" is given by --auth and in f; give each user once',
  });
});
