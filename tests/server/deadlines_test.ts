/**
 * Deadlines (src/server/deadlines.ts): each state's deadline from a fake clock.
 */

import assert from "node:assert/strict";
import {
  type ConnectionState,
  deadlineAfterSend,
  deadlineOn,
  headDeadline,
  type Timeouts,
} from "../../src/server/deadlines.ts";

const T: Timeouts = { headerMs: 10_000, bodyMs: 20_000, idleMs: 30_000, minSendBytesPerS: 1000 };

Deno.test("deadlineOn() gives each state its own timeout", async (t) => {
  const cases: [ConnectionState, number][] = [
    ["waiting", 1000 + 10_000],
    ["head", 777], // the first head keeps the deadline from accept
    ["body", 1000 + 20_000],
    ["respond", 1000 + 30_000],
    ["idle", 1000 + 30_000],
    ["closed", Infinity],
  ];
  for (const [state, expected] of cases) {
    await t.step(state, () => assert.equal(deadlineOn(state, 1000, 777, T), expected));
  }
});

Deno.test("headDeadline() counts a later request's head from its first byte", () => {
  assert.equal(headDeadline(5000, T), 15_000);
});

Deno.test("deadlineAfterSend() buys time at the minimum rate, at most the idle timeout ahead", () => {
  // 2,000 bytes at 1,000 B/s buy 2 s.
  assert.equal(deadlineAfterSend(10_000, 9_000, 2000, T), 12_000);
  // A fast client is capped at the idle timeout from now.
  assert.equal(deadlineAfterSend(10_000, 9_000, 1_000_000, T), 39_000);
  // A trickle buys almost nothing: the deadline stays put.
  assert.equal(deadlineAfterSend(10_000, 9_999, 1, T), 10_001);
});
