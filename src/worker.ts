/**
 * A serving isolate of `--workers N`: runs the same server on the shared port and relays its
 * log text to the main isolate, which owns the one log writer.
 *
 * Messages in: `start` (options), `stop`. Messages out: `listening`, `failed`, `logs`,
 * `stop-all` (a /STOP request), `stopped`.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { LogRelay } from "./logs.ts";
import { serve, type ServeOptions, type Server } from "./server.ts";
import type { ToWorker } from "./workers.ts";

let server: Server | null = null;

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.kind === "start") {
    const logs = new LogRelay(
      (batch) => self.postMessage({ kind: "logs", batch }),
      !message.options.quiet || message.options.verbose,
    );
    const options: ServeOptions = {
      ...message.options,
      logs,
      requestStop: () => self.postMessage({ kind: "stop-all" }),
    };
    try {
      server = await serve(options);
      self.postMessage({ kind: "listening" });
    } catch (error) {
      self.postMessage({ kind: "failed", message: (error as Error).message });
    }
  } else if (message.kind === "stop") {
    await server?.stop();
    self.postMessage({ kind: "stopped" });
  }
};
