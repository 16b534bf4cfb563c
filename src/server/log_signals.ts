/**
 * Log reopening on signals, as `nginx -s reopen` and logrotate's `postrotate` expect: SIGUSR1
 * and SIGHUP make the server write what is pending and open every log file by name again, so a
 * file renamed away is finished and the next entries start a new one. (SIGHUP also reloads the
 * certificate, see `tls_reload.ts`.) Windows has neither signal.
 *
 * @module
 */

/** The signals that reopen the logs. */
export const REOPEN_SIGNALS: readonly Deno.Signal[] = ["SIGUSR1", "SIGHUP"];

/**
 * Reopens the logs on {@linkcode REOPEN_SIGNALS} until stopped.
 *
 * @param reopen What a signal does (the server's `reopenLogs`).
 * @returns Stops listening.
 */
export function reopenLogsOnSignals(reopen: () => Promise<void>): () => void {
  if (Deno.build.os === "windows") return () => {};
  const onSignal = () => void reopen();
  for (const signal of REOPEN_SIGNALS) Deno.addSignalListener(signal, onSignal);
  return () => {
    for (const signal of REOPEN_SIGNALS) Deno.removeSignalListener(signal, onSignal);
  };
}
