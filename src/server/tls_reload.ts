/**
 * Certificate reload without a restart: on SIGHUP, and when the certificate or key file changes
 * (certbot and `sockserve cert` replace them in place), the new pair is checked first and only
 * then handed to the server; any failure keeps the current certificate and says why in one
 * line. A daily check warns while the certificate in use expires within a week.
 *
 * Changes are found by polling the files' identity, size and time (a stat every few seconds),
 * which also sees a symlink swapped to a new target, and waits until two polls agree, so a pair
 * is never read between the writes of its two files.
 *
 * @module
 */

import { TLS_EXPIRY_CHECK_INTERVAL_MS, TLS_RELOAD_POLL_MS } from "../limits.ts";
import type { TlsPair } from "./listeners.ts";
import { type CheckedPair, expiryWarning, readTlsPair, type TlsFiles } from "./tls.ts";

/** What a reload watcher needs. */
export interface TlsReloadOptions {
  /** The two files. */
  readonly files: TlsFiles;
  /** The pair in use now. */
  readonly current: CheckedPair;
  /** Hands a checked pair to the server; rejects when the server's TLS library refuses it. */
  readonly apply: (pair: TlsPair) => Promise<void>;
  /** Prints one line (warnings and reload notes). */
  readonly report: (line: string) => void;
  /** Milliseconds between polls of the files. @default TLS_RELOAD_POLL_MS */
  readonly pollMs?: number;
  /** Reload on SIGHUP (not on Windows, which has none). @default true where available */
  readonly onSignal?: boolean;
  /** The clock. @default () => new Date() */
  readonly now?: () => Date;
}

/** A running watcher. */
export interface TlsReloader {
  /** Reloads now (what SIGHUP does); resolves when done, whatever the outcome. */
  reload(reason: string): Promise<void>;
  /** Stops watching. */
  stop(): void;
}

/**
 * Starts watching the certificate files.
 *
 * @param options Files, the pair in use, and how to apply and report.
 * @returns The watcher.
 */
export function watchTlsFiles(options: TlsReloadOptions): TlsReloader {
  const { files, apply, report } = options;
  const now = options.now ?? (() => new Date());
  let current = options.current;
  let seen = fileStamp(files);
  let changed = false;
  /** One reload at a time: a SIGHUP during a poll-driven reload waits for it. */
  let running: Promise<void> = Promise.resolve();

  function reload(reason: string): Promise<void> {
    running = running.then(async () => {
      const verdict = await readTlsPair(files, now());
      if (!verdict.ok) {
        report(`Warning: kept the current certificate (${reason}): ${verdict.message}`);
        return;
      }
      try {
        await apply(verdict.pair);
      } catch (error) {
        report(
          `Warning: kept the current certificate (${reason}): the TLS library refused the new ` +
            `one: ${(error as Error).message.split("\n")[0]}`,
        );
        return;
      }
      current = verdict;
      report(
        `Reloaded the certificate (${reason}): ${verdict.subject}, valid until ${verdict.notAfter.toISOString()}`,
      );
      const warning = expiryWarning(current, files, now());
      if (warning !== null) report(warning);
    });
    return running;
  }

  const poll = setInterval(() => {
    const stamp = fileStamp(files);
    if (stamp !== seen) {
      // Still being written, perhaps: reload once two polls agree.
      seen = stamp;
      changed = true;
    } else if (changed) {
      changed = false;
      void reload("the files changed");
    }
  }, options.pollMs ?? TLS_RELOAD_POLL_MS);

  const daily = setInterval(() => {
    const warning = expiryWarning(current, files, now());
    if (warning !== null) report(warning);
  }, TLS_EXPIRY_CHECK_INTERVAL_MS);

  const onHangup = () => void reload("SIGHUP");
  const signal = (options.onSignal ?? true) && Deno.build.os !== "windows";
  if (signal) Deno.addSignalListener("SIGHUP", onHangup);

  return {
    reload,
    stop() {
      clearInterval(poll);
      clearInterval(daily);
      if (signal) Deno.removeSignalListener("SIGHUP", onHangup);
    },
  };
}

/** What identifies a version of the two files: device, inode, size and modification time. */
function fileStamp(files: TlsFiles): string {
  return [files.certFile, files.keyFile].map((path) => {
    try {
      const info = Deno.statSync(path);
      return `${info.dev}:${info.ino}:${info.size}:${info.mtime?.getTime()}`;
    } catch {
      return "missing";
    }
  }).join("|");
}
