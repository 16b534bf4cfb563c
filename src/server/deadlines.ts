/**
 * Deadlines: what a connection's deadline is in each state, as pure functions of the clock, so
 * the rules are tested with a fake clock and the connection sets its deadline in one place.
 *
 *   waiting ─first byte→ head ─parsed→ body ─read→ respond ─sent→ idle ─first byte→ head …
 *
 * - waiting: the first request's head must be complete within the header timeout of accept;
 * - head: a later request's head within the header timeout of its first byte;
 * - body: the whole request body within the body timeout (one deadline, not per byte, so a
 *   client dripping a byte at a time cannot hold the connection);
 * - respond: the answer must start within the idle timeout, and each byte written buys time at
 *   the minimum send rate, never more than the idle timeout ahead;
 * - idle: a keep-alive connection waits for its next request within the idle timeout.
 *
 * @module
 */

/** The states of a connection; the deadline means something different in each. */
export type ConnectionState = "waiting" | "head" | "body" | "respond" | "idle" | "closed";

/** The timeouts a connection keeps, in milliseconds (and the send rate in bytes per second). */
export interface Timeouts {
  /** From accept (first request) or first byte (later ones) to a complete request head. */
  readonly headerMs: number;
  /** From the end of the head to the end of the request body. */
  readonly bodyMs: number;
  /** Between requests on a keep-alive connection, and the longest a send may stall. */
  readonly idleMs: number;
  /** Slowest average rate a client may read a response at. */
  readonly minSendBytesPerS: number;
}

/**
 * Returns the deadline on entering `state`.
 *
 * @param state The state entered.
 * @param now The clock.
 * @param current The deadline so far (the first head keeps its deadline from accept).
 * @param timeouts The connection's timeouts.
 * @returns The new deadline; Infinity when closed.
 * @example
 * ```ts
 * deadlineOn("body", 1000, 0, { headerMs: 10, bodyMs: 20, idleMs: 30, minSendBytesPerS: 1 });
 * // 1020
 * ```
 */
export function deadlineOn(
  state: ConnectionState,
  now: number,
  current: number,
  timeouts: Timeouts,
): number {
  switch (state) {
    case "waiting":
      return now + timeouts.headerMs;
    case "head":
      // The first request's head counts from accept: "waiting" set it, and bytes do not renew it.
      return current;
    case "body":
      return now + timeouts.bodyMs;
    case "respond":
    case "idle":
      return now + timeouts.idleMs;
    case "closed":
      return Infinity;
  }
}

/**
 * Returns the deadline of a later request's head, which counts from its first byte.
 *
 * @param now The clock when the first byte arrived.
 * @param timeouts The connection's timeouts.
 * @returns The deadline.
 */
export function headDeadline(now: number, timeouts: Timeouts): number {
  return now + timeouts.headerMs;
}

/**
 * Returns the deadline after `bytes` more were written at `now`: progress buys time at the
 * minimum send rate, never more than the idle timeout from now, so a client that drains a byte
 * now and then cannot hold a response open for ever.
 *
 * @param deadline The deadline before the write.
 * @param now The clock after the write.
 * @param bytes Bytes the write sent.
 * @param timeouts The connection's timeouts.
 * @returns The new deadline.
 */
export function deadlineAfterSend(
  deadline: number,
  now: number,
  bytes: number,
  timeouts: Timeouts,
): number {
  return Math.min(now + timeouts.idleMs, deadline + bytes * 1000 / timeouts.minSendBytesPerS);
}
