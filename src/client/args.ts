/**
 * The command line of `sockserve get`: argv after the word `get` → a validated command (pure),
 * and its help text.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { unbracketHost } from "../http/authority.ts";
import { DEFAULT_GET_TIMEOUT_S, MAX_KEEP_REQUESTS, MAX_TIMEOUT_S } from "../limits.ts";
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  fail,
  MAX_PORT,
  parseSeconds,
  type UsageError,
} from "../cli/common.ts";
import type { GetOptions } from "./get.ts";

/** Validated options of `sockserve get`. */
export interface GetCommand extends GetOptions {
  readonly kind: "get";
}

/** What `sockserve get …` asks for. */
export type GetParse = GetCommand | { readonly kind: "get-help" } | UsageError;

/** The help text of `sockserve get`. */
export const GET_HELP =
  `sockserve get: fetch a URL over raw TCP with sockserve's own HTTP/1.1 parser.

Usage:
  sockserve get [host] [port] [path]     defaults 127.0.0.1, ${DEFAULT_PORT}, /
  sockserve get http://host:port/path

Options:
  -I, --head          Send HEAD instead of GET.
  -o, --output FILE   Write the body to FILE (removed again if the body arrives incomplete).
  -H, --header 'N: V' Add a request header; repeatable.
      --timeout S     Seconds without progress before giving up (default ${DEFAULT_GET_TIMEOUT_S}).
  -v, --verbose       Show the request sent (on stderr).
      --raw           Print the response bytes exactly as received.
  -k, --keep N        Send N requests on one persistent connection and report each.
  -h, --help          Show this help.

Exit codes: 0 for 2xx/3xx, 1 for 4xx/5xx, 2 for usage, connection or protocol errors.`;

/**
 * Parses the arguments after \`get\`.
 *
 * @param args Arguments after the word \`get\`.
 * @returns The get command, help, or an error (exit code 2).
 */
export function parseGetArgs(args: readonly string[]): GetParse {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        head: { type: "boolean", short: "I" },
        output: { type: "string", short: "o" },
        header: { type: "string", short: "H", multiple: true },
        timeout: { type: "string" },
        verbose: { type: "boolean", short: "v" },
        raw: { type: "boolean" },
        keep: { type: "string", short: "k" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    return fail(`${(error as Error).message.split("\n")[0]} (see get --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "get-help" };
  if (positionals.length > 3) {
    return fail(`Unexpected argument "${positionals[3]}" (see get --help)`);
  }

  let host = DEFAULT_HOST;
  let portText = String(DEFAULT_PORT);
  let path = "/";
  if (positionals.length === 1 && /^[a-z][a-z0-9+.-]*:\/\//i.test(positionals[0])) {
    let url: URL;
    try {
      url = new URL(positionals[0]);
    } catch {
      return fail(`Not a valid URL: "${positionals[0]}"`);
    }
    if (url.protocol !== "http:") {
      return fail(`Only http:// URLs are supported, got "${url.protocol}"`);
    }
    host = unbracketHost(url.hostname);
    portText = url.port || "80";
    path = url.pathname + url.search;
  } else {
    [host = DEFAULT_HOST, portText = String(DEFAULT_PORT), path = "/"] = positionals;
  }
  if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > MAX_PORT) {
    return fail(`Port must be an integer from 1 to ${MAX_PORT}, got "${portText}"`);
  }
  if (!path.startsWith("/")) path = "/" + path;
  // The target goes on the request line as is: no space, control or non-ASCII byte may slip in.
  if (!/^[\x21-\x7e]+$/.test(path)) {
    return fail(
      `The path must be printable ASCII without spaces (percent-encode the rest), got "${path}"`,
    );
  }

  const headers: [string, string][] = [];
  for (const text of values.header ?? []) {
    const m = /^([!#$%&'*+\-.^_\x60|~0-9A-Za-z]+):[ \t]*([\t\x20-\x7e]*?)[ \t]*$/.exec(text);
    if (!m) {
      return fail(
        `A header must look like "Name: value" with no control characters, got "${text}"`,
      );
    }
    headers.push([m[1], m[2]]);
  }
  const timeoutS = parseSeconds(values.timeout, DEFAULT_GET_TIMEOUT_S);
  if (timeoutS === null) {
    return fail(`--timeout must be a number of seconds above 0, up to ${MAX_TIMEOUT_S}`);
  }
  const keepText = values.keep ?? "0";
  if (
    !/^\d+$/.test(keepText) || Number(keepText) > MAX_KEEP_REQUESTS ||
    (values.keep !== undefined && Number(keepText) < 1)
  ) {
    return fail(`--keep must be an integer from 1 to ${MAX_KEEP_REQUESTS}`);
  }
  if (values.output !== undefined && values.output === "") return fail("-o needs a file name");

  return {
    kind: "get",
    host,
    port: Number(portText),
    path,
    method: values.head ? "HEAD" : "GET",
    headers,
    output: values.output ?? null,
    timeoutS,
    verbose: values.verbose ?? false,
    raw: values.raw ?? false,
    keep: Number(keepText),
  };
}
