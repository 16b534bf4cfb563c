/**
 * A serving isolate (see `workers.ts`): runs the server on the shared port, relays its log text
 * to the main isolate, which owns the one log writer, and — when supervised on Linux — asks the
 * main isolate to prove that each file it opened is inside the root.
 *
 * Messages in: `start` (options), `stop`, `logs-behind`, `located`, `listed`, `metrics-rest`, `metrics-own`.
 * Messages out: `listening`, `failed`, `logs`, `metrics-ask`, `metrics-own`, `stop-all` (a /STOP request), `stopped`, `locate`, `list`.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { bracketHost } from "../http/authority.ts";
import { LogRelay } from "../log/relay.ts";
import { logTextOptions } from "../log/pending.ts";
import type { ListingResult, Located, Supervisor } from "./opener.ts";
import { bindPlan } from "./listeners.ts";
import { hostList, serve, type ServeOptions, type Server } from "./serve.ts";
import type { FromWorker, ToWorker } from "./workers.ts";
import type { MetricsSnapshot } from "./metrics.ts";

let server: Server | null = null;
/** This worker's side of the logs, made at `start`. */
let relay: LogRelay | null = null;
/** Scrapes waiting for the rest of the server's metrics, by id. */
const metricsWaiting = new Map<number, (snapshot: MetricsSnapshot) => void>();
let metricsAsked = 0;

/** Asks the main isolate for the rest of the server's metrics (it asks the other workers). */
function askMetricsRest(): Promise<MetricsSnapshot> {
  const id = ++metricsAsked;
  return new Promise((resolve) => {
    metricsWaiting.set(id, resolve);
    post({ kind: "metrics-ask", id });
  });
}

/** The main isolate's proofs, asked for by message and matched to their answers by id. */
class SupervisorClient implements Supervisor {
  #next = 0;
  readonly #waiting = new Map<number, (result: Located | ListingResult) => void>();

  locate(path: string): Promise<Located> {
    return this.#ask((id) => ({ kind: "locate", id, path })) as Promise<Located>;
  }

  list(path: string, segments: readonly string[]): Promise<ListingResult> {
    return this.#ask((id) => ({ kind: "list", id, path, segments })) as Promise<ListingResult>;
  }

  /** Settles the request an answer belongs to. */
  answer(id: number, result: Located | ListingResult): void {
    const settle = this.#waiting.get(id);
    this.#waiting.delete(id);
    settle?.(result);
  }

  #ask(message: (id: number) => FromWorker): Promise<Located | ListingResult> {
    const id = ++this.#next;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      post(message(id));
    });
  }
}

const supervisor = new SupervisorClient();

// An unexpected rejection must not end the isolate: report it in one line and keep serving.
self.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  const reason = event.reason;
  console.error(
    `Unexpected error (serving continues): ${
      reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason)
    }`,
  );
});

function post(message: FromWorker): void {
  self.postMessage(message);
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.kind) {
    case "located":
    case "listed":
      return supervisor.answer(message.id, message.result);
    case "start": {
      const logs = relay = new LogRelay(
        (batch, transfer) =>
          self.postMessage({ kind: "logs", batch } satisfies FromWorker, transfer),
        logTextOptions(message.options),
      );
      const options: ServeOptions = {
        ...message.options,
        logs,
        requestStop: () => post({ kind: "stop-all" }),
        // Freeing a socket needs what a serving isolate lacks: the main isolate does it.
        reapSocket: (ends) => post({ kind: "reap", ends }),
        metricsPeers: askMetricsRest,
        ...(message.confinement === "supervisor" ? { supervisor } : {}),
      };
      try {
        server = await serve(options);
        post({
          kind: "listening",
          port: server.addr.port,
          addresses: server.addresses,
          redirectPort: server.redirectPort,
          permissions: describePermissions(options),
        });
      } catch (error) {
        post({ kind: "failed", message: describeError(error) });
      }
      return;
    }
    case "logs-behind":
      return relay?.writerBehind(message.behind);
    case "tls":
      try {
        await server?.reloadTls(message.pair);
        post({ kind: "tls-done", error: null });
      } catch (error) {
        post({ kind: "tls-done", error: describeError(error) });
      }
      return;
    case "metrics-rest": {
      const settle = metricsWaiting.get(message.id);
      metricsWaiting.delete(message.id);
      return settle?.(message.snapshot);
    }
    case "metrics-own":
      return post({
        kind: "metrics-own",
        id: message.id,
        snapshot: server?.metricsSnapshot() ?? null,
      });
    case "stop":
      await server?.stop();
      post({ kind: "stopped" });
  }
};

/**
 * Asks Deno what this isolate may do, from the inside: the proof that a serving isolate can read
 * the root and nothing else, write nothing, and listen only on its address.
 */
function describePermissions(options: ServeOptions): string {
  const state = (descriptor: Deno.PermissionDescriptor) =>
    Deno.permissions.querySync(descriptor).state === "granted" ? "granted" : "denied";
  const outside = options.root === "/" ? "/nonexistent-outside" : `${options.root}/..`;
  return [
    `read ${options.root}: ${state({ name: "read", path: options.root })}`,
    `read ${outside}: ${state({ name: "read", path: outside })}`,
    `write: ${state({ name: "write" })}`,
    ...bindPlan(hostList(options.host)).map(({ hostname }) =>
      `net ${bracketHost(hostname)}: ${state({ name: "net", host: bracketHost(hostname) })}`
    ),
    `net elsewhere: ${state({ name: "net", host: "example.com" })}`,
    `env: ${state({ name: "env" })}`,
    `run: ${state({ name: "run" })}`,
    `ffi: ${state({ name: "ffi" })}`,
    `sys: ${state({ name: "sys" })}`,
  ].join(", ");
}

/** Keeps the error's class for the main isolate, which maps it to a startup message. */
function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
