/**
 * The progress line and the closing line of a download (pure).
 */

import assert from "node:assert/strict";
import {
  formatClock,
  formatDuration,
  formatProgress,
  formatSaved,
} from "../../src/client/progress.ts";

const MiB = 1024 * 1024;

Deno.test("formatProgress() shows percentage, a bar, bytes of total, speed and ETA", () => {
  assert.equal(
    formatProgress(MiB / 2, MiB, { elapsedMs: 1000, columns: 100 }),
    " 50% [====================>                   ] 512.0 KiB / 1.0 MiB  512.0 KiB/s  ETA 0:01",
  );
  assert.equal(
    formatProgress(MiB, MiB, { elapsedMs: 2000, columns: 100 }),
    `100% [${"=".repeat(40)}] 1.0 MiB / 1.0 MiB  512.0 KiB/s  ETA 0:00`,
  );
  assert.equal(
    formatProgress(0, 10 * MiB, { elapsedMs: 0, columns: 100 }),
    `  0% [>${" ".repeat(39)}] 0 B / 10.0 MiB  0 B/s  ETA --:--`,
  );
});

Deno.test("formatProgress() shows bytes and speed without a Content-Length", () => {
  assert.equal(formatProgress(2048, null, { elapsedMs: 2000, columns: 80 }), "2.0 KiB  1.0 KiB/s");
});

Deno.test("formatProgress() fits the bar to the terminal and stays short of its last column", async (t) => {
  for (const columns of [0, 40, 60, 80, 120, 300]) {
    await t.step(`${columns} columns`, () => {
      const line = formatProgress(3 * MiB, 7 * MiB, { elapsedMs: 1500, columns });
      assert.ok(line.length < (columns || 80), `${line.length}: ${line}`);
      assert.match(line, /^ 42% /);
      assert.equal(line.includes("["), columns !== 40, line);
    });
  }
});

Deno.test("formatClock() is m:ss, and h:mm:ss from an hour on", () => {
  assert.deepEqual([0, 5, 59.2, 61, 3599, 3600, 3723].map(formatClock), [
    "0:00",
    "0:05",
    "1:00",
    "1:01",
    "59:59",
    "1:00:00",
    "1:02:03",
  ]);
});

Deno.test("formatDuration() is seconds with a tenth, then minutes and seconds, then hours", () => {
  assert.deepEqual([0, 430, 12_000, 59_949, 125_000, 3_720_000].map(formatDuration), [
    "0.0 s",
    "0.4 s",
    "12.0 s",
    "59.9 s",
    "2 min 05 s",
    "1 h 02 min",
  ]);
});

Deno.test("formatSaved() names the file, its size and the time taken", () => {
  assert.equal(
    formatSaved("/tmp/out.bin", { bytes: 3 * MiB, elapsedMs: 1234 }),
    "saved /tmp/out.bin (3.0 MiB) in 1.2 s",
  );
  assert.equal(formatSaved("a.txt", { bytes: 6, elapsedMs: 20 }), "saved a.txt (6 B) in 0.0 s");
});
