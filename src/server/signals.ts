/**
 * What the process does on signals, as services are driven:
 * - SIGINT and SIGTERM stop the server gracefully (and SIGHUP, when it means the terminal went
 *   away: see {@linkcode hangUpStops});
 * - SIGUSR1 and SIGHUP reopen the logs, as `nginx -s reopen` and logrotate's `postrotate`
 *   expect: the server writes what is pending and opens every log file by name again, so a file
 *   renamed away is finished and the next entries start a new one. (SIGHUP also reloads the
 *   certificate, see `tls_reload.ts`.) Windows has neither signal, and delivers only SIGINT.
 *
 * @module
 */

/**
 * Stops the server on SIGINT and SIGTERM (and SIGHUP when it stops) until stopped listening.
 *
 * @param stop What a signal does (the server's `stop`).
 * @param hangUp Whether SIGHUP stops too ({@linkcode hangUpStops}).
 * @returns Stops listening.
 */
export function stopOnSignals(stop: () => void, hangUp: boolean): () => void {
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM", ...(hangUp ? ["SIGHUP" as const] : [])];
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  return () => {
    for (const signal of signals) Deno.removeSignalListener(signal, stop);
  };
}

/** The signals that reopen the logs. */
export const REOPEN_SIGNALS: readonly Deno.Signal[] = ["SIGUSR1", "SIGHUP"];

/**
 * Reopens the logs on {@linkcode REOPEN_SIGNALS} until stopped.
 *
 * @param reopen What a signal does (the server's `reopenLogs`).
 * @param signals The signals to listen for (without SIGHUP in a terminal, where it means the
 *   terminal went away). @default REOPEN_SIGNALS
 * @returns Stops listening.
 */
export function reopenLogsOnSignals(
  reopen: () => Promise<void>,
  signals: readonly Deno.Signal[] = REOPEN_SIGNALS,
): () => void {
  if (Deno.build.os === "windows") return () => {};
  const onSignal = () => void reopen();
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  return () => {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  };
}

/**
 * Whether SIGHUP should stop the server rather than reopen its logs and reload its certificate:
 * run in a terminal, a hang-up is the terminal closing (what SIGHUP was made for), and a server
 * left running without it would hold its port with nobody to stop it. Run as a service (stdin
 * not a terminal), SIGHUP is the reload signal daemons use.
 *
 * @param inTerminal Whether stdin is a terminal.
 * @returns Whether SIGHUP stops.
 */
export function hangUpStops(inTerminal: boolean): boolean {
  return inTerminal;
}
