/**
 * The console queue (src/log/console.ts): lines wait behind a console write in progress, bounded
 * by their text, and the lines dropped beyond it are counted and reported when the console moves.
 */

import assert from "node:assert/strict";
import { ConsoleQueue } from "../../src/log/console.ts";
import { MAX_PENDING_CONSOLE_CHARS } from "../../src/limits.ts";

Deno.test("ConsoleQueue bounds what waits by characters (long access lines too), counts the lines dropped, and says so when the console moves", async () => {
  const printed: string[] = [];
  let moves: (() => void) | null = null;
  const queue = new ConsoleQueue((text) => {
    printed.push(text);
    return new Promise((resolve) => moves = resolve);
  });
  queue.add(["first"]); // being written: the console stops here
  const long = "x".repeat(8 * 1024 - 1); // an access line with a long target: 8 KiB with its break
  const fit = MAX_PENDING_CONSOLE_CHARS / (8 * 1024);
  queue.add(Array.from({ length: fit + 3 }, () => long));
  assert.equal(queue.pendingChars, MAX_PENDING_CONSOLE_CHARS);
  assert.equal(queue.droppedTotal, 3);
  moves!();
  await new Promise((resolve) => setTimeout(resolve, 0));
  const next = printed[1].split("\n");
  assert.equal(next.filter((line) => line === long).length, fit);
  assert.equal(next.at(-2), "(3 console lines dropped: the console was not being read)");
  assert.equal(queue.pendingChars, 0);
  moves!();
  await queue.drain();
});

Deno.test("ConsoleQueue tells its owner after each write", async () => {
  let written = 0;
  const queue = new ConsoleQueue(() => Promise.resolve(), () => written++);
  queue.add(["a", "b"]);
  await queue.drain();
  assert.equal(written, 1);
});
