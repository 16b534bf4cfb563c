/**
 * The command line of `sockserve get`: argv after the word `get` → a validated command (pure),
 * and its help text.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { unbracketHost } from "../http/authority.ts";
import {
  DEFAULT_GET_TIMEOUT_S,
  MAX_KEEP_REQUESTS,
  MAX_REDIRECTS,
  MAX_TIMEOUT_S,
} from "../limits.ts";
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
  deno task get ...                      the same, from any folder inside the project

Prints the server address, the status line, the headers and the body. A binary body is not
dumped to a terminal (a pipe gets the bytes).

Options:
  -I, --head               Send HEAD instead of GET.
  -b, --body               Print only the body: no address, status line or headers.
  -o, --output FILE        Write the body to FILE, relative to the folder you ran the command
                           from; removed again if the body arrives incomplete. Shows a progress
                           bar when stderr is a terminal, then "saved FILE (size) in time".
  -o -                     Write only the body's bytes to stdout, even to a terminal.
  -L, --location           Follow redirects (301, 302, 303, 307, 308; up to ${MAX_REDIRECTS}) on the
                           same scheme, host and port; 303 turns into GET. http:// only.
      --location-any-host  Like -L, also to other hosts and ports (without -H Host,
                           Authorization, Proxy-Authorization or Cookie there).
  -H, --header 'N: V'      Add a request header; repeatable.
      --timeout S          Seconds without progress before giving up (default ${DEFAULT_GET_TIMEOUT_S}).
  -v, --verbose            Show each request sent, and each redirect followed, on stderr.
      --raw                Print the response bytes exactly as received.
  -k, --keep N             Send N requests on one persistent connection and report each.
  -h, --help               Show this help.

Examples:
  sockserve get http://127.0.0.1:8080/files.html
  sockserve get -b http://127.0.0.1:8080/samples/sample.txt        just the text
  sockserve get -o sample.mp4 http://127.0.0.1:8080/samples/sample.mp4
  sockserve get -o - http://127.0.0.1:8080/samples/sample.png | file -
  sockserve get -L -v http://127.0.0.1:8080/samples                 follows 301 to /samples/
  sockserve get -I http://127.0.0.1:8080/                           status and headers only
  sockserve get -H 'Range: bytes=0-99' http://127.0.0.1:8080/samples/sample.txt
  sockserve get -k 5 http://127.0.0.1:8080/                         keep-alive check

Through deno task, -o writes only inside the folder you ran it from.

Exit codes: 0 for 2xx/3xx, 1 for 4xx/5xx, 2 for usage, connection, redirect or protocol errors.`;

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
        body: { type: "boolean", short: "b" },
        output: { type: "string", short: "o" },
        location: { type: "boolean", short: "L" },
        "location-any-host": { type: "boolean" },
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
  const follow = values["location-any-host"]
    ? "any-host"
    : values.location
    ? "same-origin"
    : "none";
  // Combinations whose outputs would collide or whose meaning is unclear are refused, not guessed.
  if (values.raw && (values.body || values.output === "-" || follow !== "none")) {
    return fail("--raw prints one response exactly as received: not with -b, -o - or -L");
  }
  if (
    values.keep !== undefined && (values.body || values.output !== undefined || follow !== "none")
  ) {
    return fail("-k reports a line per response: not with -b, -o or -L");
  }

  return {
    kind: "get",
    host,
    port: Number(portText),
    path,
    method: values.head ? "HEAD" : "GET",
    headers,
    output: values.output === undefined
      ? { kind: "show" }
      : values.output === "-"
      ? { kind: "stdout" }
      : { kind: "file", path: values.output },
    bodyOnly: values.body ?? false,
    follow,
    timeoutS,
    verbose: values.verbose ?? false,
    raw: values.raw ?? false,
    keep: Number(keepText),
  };
}
