/**
 * `--workers N`: N isolates serving one port, with one log writer.
 *
 * The main isolate listens first (with SO_REUSEPORT, so the kernel spreads new connections over
 * every listener on the port) and learns the real port; then it starts N-1 Web Workers that
 * listen on the same port and run the same server. Workers format their log lines themselves
 * and post them in batches; the main isolate appends each batch whole, so both log files stay
 * whole and ordered per connection (a connection never changes isolate). Stopping stops the
 * workers first (each finishes its in-flight responses and sends its last batch), then the main
 * server, which flushes the logs.
 *
 * @module
 */

import type { LogBatch } from "./logs.ts";
import { createLogWriter, serve, type ServeOptions, type Server } from "./server.ts";
import { SHUTDOWN_GRACE_S } from "./limits.ts";

/** Options a worker can receive (everything but functions and the log sink). */
export type WorkerOptions = Omit<ServeOptions, "logs" | "requestStop">;

/** Messages from the main isolate to a worker. */
export type ToWorker =
  | { readonly kind: "start"; readonly options: WorkerOptions }
  | { readonly kind: "stop" };

/** Messages from a worker to the main isolate. */
export type FromWorker =
  | { readonly kind: "listening" }
  | { readonly kind: "failed"; readonly message: string }
  | { readonly kind: "logs"; readonly batch: LogBatch }
  | { readonly kind: "stop-all" }
  | { readonly kind: "stopped" };

/** Extra time a worker gets beyond the shutdown grace before it is terminated. */
const WORKER_STOP_SLACK_MS = 1000;

/**
 * Returns whether this OS spreads connections over SO_REUSEPORT listeners (Linux does; macOS
 * and the BSDs let one listener take them all, and Windows has no such option).
 */
export function canSharePort(): boolean {
  return Deno.build.os === "linux";
}

/**
 * Serves with `workers` isolates (1 = the plain server).
 *
 * @param options Where and how to serve.
 * @param workers How many isolates, at least 1.
 * @returns The running server (stopping it stops every worker).
 */
export async function serveWithWorkers(options: ServeOptions, workers: number): Promise<Server> {
  if (workers <= 1) return await serve(options);
  const writer = createLogWriter(options);
  const children: Worker[] = [];
  let stopping: Promise<void> | null = null;
  const primary = await serve({
    ...options,
    logs: writer,
    reusePort: true,
    connectionIds: { offset: 0, step: workers },
    requestStop: () => void stop(),
  });
  const workerOptions: WorkerOptions = {
    ...options,
    port: primary.addr.port,
    reusePort: true,
  };

  async function stop(): Promise<void> {
    stopping ??= (async () => {
      await Promise.all(children.map((child) => stopWorker(child)));
      await primary.stop();
    })();
    return await stopping;
  }

  function stopWorker(child: Worker): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, SHUTDOWN_GRACE_S * 1000 + WORKER_STOP_SLACK_MS);
      function done() {
        clearTimeout(timer);
        child.terminate();
        resolve();
      }
      child.addEventListener("message", (event: MessageEvent<FromWorker>) => {
        if (event.data.kind === "stopped") done();
      });
      child.postMessage({ kind: "stop" } satisfies ToWorker);
    });
  }

  for (let i = 1; i < workers; i++) {
    const child = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    children.push(child);
    const started = new Promise<void>((resolve, reject) => {
      child.onmessage = (event: MessageEvent<FromWorker>) => {
        const message = event.data;
        if (message.kind === "listening") resolve();
        else if (message.kind === "failed") reject(new Error(message.message));
        else if (message.kind === "logs") writer.append(message.batch);
        else if (message.kind === "stop-all") void stop();
      };
      child.onerror = (event) => {
        event.preventDefault();
        reject(new Error(event.message));
      };
    });
    child.postMessage(
      {
        kind: "start",
        options: { ...workerOptions, connectionIds: { offset: i, step: workers } },
      } satisfies ToWorker,
    );
    try {
      await started;
    } catch (error) {
      await stop();
      throw error;
    }
  }
  return { addr: primary.addr, finished: primary.finished, stop };
}
