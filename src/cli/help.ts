/**
 * The help texts of `sockserve --help` and `sockserve get --help`.
 *
 * @module
 */

import { DEFAULT_HEADER_TIMEOUT_S, DEFAULT_IDLE_TIMEOUT_S } from "../limits.ts";
import { VERSION } from "../version.ts";
import { DEFAULT_HOST, DEFAULT_LOG_DIR, DEFAULT_PORT, DEFAULT_ROOT } from "./args.ts";

/** The help text printed by `--help`. */
export const HELP = `sockserve ${VERSION}: serve a folder over HTTP/1.1, logging every response.

Usage:
  sockserve [serve] [options] [port]
  sockserve get [host] [port] [path] | get URL    (see sockserve get --help)

Options:
  -p, --port N            Port to listen on, 0-65535; 0 picks a free one (default ${DEFAULT_PORT}).
                          A bare number is the port too: "sockserve 8000".
  -d, --root DIR          Folder to serve (default ${DEFAULT_ROOT}); also --document-root DIR.
      --host ADDR         Address to listen on (default ${DEFAULT_HOST}; 0.0.0.0 or :: to expose).
      --log-dir DIR       Folder for HTTPResponses.txt and SocketOutput.csv (default ${DEFAULT_LOG_DIR}).
      --header-timeout S  Seconds to receive a complete request head, else 408 (default ${DEFAULT_HEADER_TIMEOUT_S}).
      --body-timeout S    Seconds to receive a whole request body, else close (default: the
                          header timeout).
      --idle-timeout S    Seconds a keep-alive connection may idle (default ${DEFAULT_IDLE_TIMEOUT_S}).
      --protocol 1.0|1.1  1.0 closes every connection after one response (default 1.1).
      --allow-stop        Let GET /STOP from this machine stop the server.
      --listing           List directories that have no index.html (HTML, or JSON on Accept).
      --dotfiles allow|deny  Serve and list names starting with a dot (default deny: 404).
      --cache-control V   Cache-Control value for file responses (default none).
      --cors              Add Access-Control-Allow-Origin: * to every response.
      --any-host          On loopback, answer any Host header (behind a reverse proxy); by
                          default only this machine's names (localhost, 127.x, ::1) get answers.
      --workers N|auto    Serve with N isolates sharing the port (auto: one per CPU; Linux,
                          needs --unstable-net; default 1).
      --max-connections N Open connections at most; more wait in the kernel's queue until one
                          closes (default: the open-file limit minus a reserve).
  -q, --quiet             No access lines on the console.
  -v, --verbose           Also print connection events.
  -h, --help              Show this help.
  -V, --version           Show the version.

Logs are appended in the log dir; stop with Ctrl+C (or SIGTERM): in-flight responses finish and
the logs are flushed first.`;
