/**
 * The password gate (src/server/auth.ts), with its bcrypt runs counted instead of timed: one run
 * for a wrong password and one for an unknown user, none for a remembered login, one shared by
 * identical checks, and 503 past the bound.
 */

import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { type AuthVerdict, loadPasswordLibraries, PasswordGate } from "../../src/server/auth.ts";
import { describeUnusableHash } from "../../src/cli/htpasswd.ts";

/** The PHP manual's password_verify example: a $2y$ hash of "rasmuslerdorf" made by PHP. */
const PHP_2Y = "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a";

const LIBRARIES = await loadPasswordLibraries();

const ALICE = { user: "alice", hash: bcrypt.hashSync("secret", 4) };
const BOB = { user: "bob", hash: bcrypt.hashSync("hunter2", 5) };

function basic(user: string, password: string): string {
  return `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`)))}`;
}

/** A gate whose bcrypt runs are recorded (and really run, with bcryptjs). */
function countingGate(
  users = [ALICE, BOB],
  options: { maxChecks?: number; maxRemembered?: number } = {},
) {
  const runs: { password: string; hash: string }[] = [];
  const gate = new PasswordGate(LIBRARIES, users, {
    ...options,
    compare: (password, hash) => {
      runs.push({ password, hash });
      return bcrypt.compare(password, hash);
    },
  });
  return { gate, runs };
}

Deno.test("PasswordGate lets the right password in after exactly one bcrypt run", async () => {
  const { gate, runs } = countingGate();
  assert.equal(await gate.check(basic("alice", "secret")), "allowed");
  assert.deepEqual(runs, [{ password: "secret", hash: ALICE.hash }]);
});

Deno.test("PasswordGate answers a repeated valid login at once, without another bcrypt run", async () => {
  const { gate, runs } = countingGate();
  await gate.check(basic("alice", "secret"));
  for (let i = 0; i < 5; i++) {
    const verdict = gate.check(basic("alice", "secret"));
    assert.equal(verdict, "allowed", "a plain value, not a promise");
  }
  assert.equal(runs.length, 1);
});

Deno.test("PasswordGate costs a wrong password and an unknown user exactly one bcrypt run each", async () => {
  const { gate, runs } = countingGate();
  assert.equal(await gate.check(basic("alice", "wrong")), "denied");
  assert.equal(runs.length, 1);
  assert.equal(runs[0].hash, ALICE.hash);
  assert.equal(await gate.check(basic("mallory", "secret")), "denied");
  assert.equal(runs.length, 2);
  // The unknown user is checked against the dummy hash, never against a real user's.
  assert.equal(runs[1].hash, gate.dummyHash);
  assert.ok(![ALICE.hash, BOB.hash].includes(runs[1].hash));
});

Deno.test("PasswordGate's dummy hash is a well-formed bcrypt hash of the users' highest cost", async () => {
  const { gate } = countingGate([ALICE, BOB, { user: "rasmus", hash: PHP_2Y }]);
  assert.equal(describeUnusableHash(gate.dummyHash), null);
  assert.equal(bcrypt.getRounds(gate.dummyHash), 10);
  // bcryptjs runs its rounds in full for it (a malformed hash would fail at once).
  assert.equal(await bcrypt.compare("anything", gate.dummyHash), false);
  assert.equal(bcrypt.getRounds(countingGate([ALICE]).gate.dummyHash), 4);
});

Deno.test("PasswordGate denies a wrong password of a remembered user, again after a bcrypt run", async () => {
  const { gate, runs } = countingGate();
  await gate.check(basic("alice", "secret"));
  assert.equal(await gate.check(basic("alice", "Secret")), "denied");
  assert.equal(runs.length, 2);
  assert.equal(gate.check(basic("alice", "secret")), "allowed", "the right one is still known");
});

Deno.test("PasswordGate denies a missing or malformed Authorization without a bcrypt run", async (t) => {
  const { gate, runs } = countingGate();
  for (const value of [undefined, "Bearer abc", "Basic !!!", `Basic ${btoa("nocolon")}`]) {
    await t.step(String(value), () => assert.equal(gate.check(value), "denied"));
  }
  assert.equal(runs.length, 0);
});

Deno.test("PasswordGate accepts hashes made elsewhere ($2y$ by PHP)", async () => {
  const gate = new PasswordGate(LIBRARIES, [{ user: "rasmus", hash: PHP_2Y }]);
  assert.equal(await gate.check(basic("rasmus", "rasmuslerdorf")), "allowed");
  assert.equal(await gate.check(basic("rasmus", "rasmus")), "denied");
});

Deno.test("PasswordGate runs identical checks that arrive together once", async () => {
  const { gate, runs } = countingGate();
  // A browser sends the same new credentials on several connections at once.
  const verdicts = await Promise.all(
    Array.from({ length: 6 }, () => gate.check(basic("bob", "hunter2"))),
  );
  assert.deepEqual(verdicts, Array(6).fill("allowed"));
  assert.equal(runs.length, 1);
});

Deno.test("PasswordGate answers busy past the bound of distinct checks, without running them", async () => {
  const { gate, runs } = countingGate([ALICE, BOB], { maxChecks: 2 });
  const first = gate.check(basic("alice", "wrong1"));
  const second = gate.check(basic("alice", "wrong2"));
  assert.equal(gate.check(basic("alice", "wrong3")), "busy");
  assert.equal(gate.check(basic("nobody", "x")), "busy");
  assert.equal(runs.length, 2);
  assert.deepEqual(await Promise.all([first, second]), ["denied", "denied"]);
  // Finished checks free their places.
  assert.equal(await gate.check(basic("alice", "secret")), "allowed");
});

Deno.test("PasswordGate remembers a bounded number of users, forgetting the oldest first", async () => {
  const { gate, runs } = countingGate([ALICE, BOB], { maxRemembered: 1 });
  await gate.check(basic("alice", "secret"));
  await gate.check(basic("bob", "hunter2"));
  assert.equal(gate.check(basic("bob", "hunter2")), "allowed");
  const again: AuthVerdict | Promise<AuthVerdict> = gate.check(basic("alice", "secret"));
  assert.ok(again instanceof Promise, "alice was forgotten");
  assert.equal(await again, "allowed");
  assert.equal(runs.length, 3);
});

Deno.test("PasswordGate denies when the checker fails (a hash bcryptjs cannot read)", async () => {
  const gate = new PasswordGate(LIBRARIES, [ALICE], {
    compare: () => Promise.reject(new Error("bad salt")),
  });
  assert.equal(await gate.check(basic("alice", "secret")), "denied");
});
