/**
 * The help texts of `sockserve --help` and `sockserve get --help`.
 *
 * @module
 */

import {
  DEFAULT_HEADER_TIMEOUT_S,
  DEFAULT_HSTS_MAX_AGE_S,
  DEFAULT_IDLE_TIMEOUT_S,
} from "../limits.ts";
import { VERSION } from "../version.ts";
import {
  DEFAULT_AUTH_REALM,
  DEFAULT_HOST,
  DEFAULT_LOG_DIR,
  DEFAULT_PORT,
  DEFAULT_ROOT,
} from "./args.ts";
import { DEFAULT_SPA_FILE } from "../server/fallbacks.ts";

/** The help text printed by `--help`. */
export const HELP = `sockserve ${VERSION}: serve a folder over HTTP/1.1, logging every response.

Usage:
  sockserve [serve] [options] [port]
  sockserve get [host] [port] [path] | get URL        (see: sockserve get --help)
  sockserve cert --out DIR                            a development CA and certificate
                                                      (see: sockserve cert --help)
  sockserve config --print [options]                  the settings in use, and where each
                                                      came from (see: sockserve config --help)
  sockserve hash-password                             the bcrypt hash of a password on stdin
                                                      (see: sockserve hash-password --help)

Where and what:
  -p, --port N             Port to listen on, 0-65535; 0 picks a free one; a bare number is the
                           port too ("sockserve 8000"); also -port N         (default ${DEFAULT_PORT})
  -d, --root DIR           Folder to serve; also --document-root, -document_root  (default ${DEFAULT_ROOT})
      --host ADDR          Address to listen on; repeatable. localhost is 127.0.0.1 and ::1;
                           0.0.0.0 (IPv4) or :: (IPv6 and IPv4) expose it to the network
                                                                          (default ${DEFAULT_HOST})
      --log-dir DIR        Folder for HTTPResponses.txt and SocketOutput.csv  (default ${DEFAULT_LOG_DIR})
      --access-log FILE    Also write an access log (one line per response) to FILE; - is stdout
                           (instead of the console lines)
      --access-log-format F  combined, common or json                 (default combined)
      --log-max-size SIZE  Rotate each log file before it passes SIZE (10M, 512K, 1G; 4K-1024G):
                           FILE -> FILE.1 -> ... FILE.N; SIGHUP (or SIGUSR1, which also
                           opens Deno's debugger on 127.0.0.1:9229) reopens every log
      --log-keep N         Rotated files kept per log, 1-1000                 (default 5)
      --config FILE        Read settings from a TOML file (keys are the long option names, plus
                           [[headers]], [[redirects]], [[rewrites]]); the command line wins over
                           SOCKSERVE_* variables, which win over the file

HTTPS:
      --tls-cert FILE      Serve HTTPS with this PEM certificate (chain: leaf first) ...
      --tls-key FILE       ... and this PEM private key; both are checked at start and
                           reloaded on SIGHUP or when they change (the old pair stays on error)
      --https-redirect-port N  Also listen for plain HTTP on N and answer 308 to https://
      --hsts[=SECONDS]     Strict-Transport-Security on HTTPS responses for domain names
                           (not localhost or IP addresses)  (bare: max-age=${DEFAULT_HSTS_MAX_AGE_S}, a year)

What is answered:
      --listing            List folders that have no index.html (HTML, or JSON on Accept)
      --dotfiles allow|deny  Serve and list names starting with a dot     (default deny: 404)
      --cache-control V    Cache-Control value for file responses         (default none)
      --cors               Access-Control-Allow-Origin: * on every response
  -H, --header 'N: V'      Set field N to V on every response, repeatable (not framing or
                           hop-by-hop fields); per-path header rules, redirects and rewrites go
                           in the config file
      --compress           br, zstd or gzip on the fly for text-like files of 512 B to 1 MiB
      --precompressed      Serve FILE.br, FILE.zst, FILE.gz beside FILE when not older than it
      --spa[=FILE]         Single-page app: a missing route (no dot in its last segment, or
                           ending in .html) gets FILE with 200 and Cache-Control: no-cache;
                           missing assets stay 404            (bare: ${DEFAULT_SPA_FILE})
      --clean-urls         /about serves about.html; /about.html and /docs/index.html answer
                           301 to /about and /docs/ (a file or folder named about wins)
      --any-host           On loopback, answer any Host (behind a reverse proxy); otherwise only
                           this machine's names (localhost, 127.0.0.1, ::1) get answers
      --allow-stop         Let GET /STOP from this machine stop the server (not with --any-host)
      --protocol 1.0|1.1   1.0 closes every connection after one response  (default 1.1)

Authentication (HTTP Basic; use HTTPS beyond this machine):
      --auth USER:HASH     Let USER in with the password of this bcrypt hash; repeatable. Never
                           a password: make the hash with  printf '%s' 'PASSWORD' | sockserve
                           hash-password  and quote it: --auth 'alice:$2b$10$...'
      --auth-file FILE     Users from an htpasswd file of bcrypt hashes (htpasswd -B), outside
                           the root
      --auth-realm NAME    The realm browsers show in their login prompt  (default ${DEFAULT_AUTH_REALM})

Behind a reverse proxy, metrics:
      --trusted-proxy CIDR|loopback  Believe X-Forwarded-For (else Forwarded) from these
                           peers, repeatable; the access line shows the client they name
                           (loopback: 127.0.0.0/8 and ::1)                 (default none)
      --metrics PATH       Prometheus metrics at PATH, for loopback and trusted peers only
                                                                          (default off)

Limits:
      --header-timeout S   Seconds to receive a request head, else 408     (default ${DEFAULT_HEADER_TIMEOUT_S})
      --body-timeout S     Seconds to receive a request body, else close   (default: header timeout)
      --idle-timeout S     Seconds a keep-alive connection may idle        (default ${DEFAULT_IDLE_TIMEOUT_S})
      --max-connections N  Open connections at most; more wait in line  (default: open-file limit)
      --workers N|auto     Isolates serving the port (Linux; auto: one per CPU)  (default 1)

Console:
  -q, --quiet              No access lines
  -v, --verbose            Also connection events
  -h, --help               This help
  -V, --version            sockserve's, Deno's and the target's versions

Examples:
  sockserve                                   serve ./www (or the bundled site) on 127.0.0.1:8080
  sockserve -d ./site -p 9000                 serve ./site on port 9000
  sockserve -d ./site --host 0.0.0.0          the same for the whole local network
  sockserve -d ./site --workers auto          one serving isolate per CPU (Linux)
  sockserve -H 'X-Frame-Options: DENY'        a field on every response
  sockserve -d ./dist --spa --clean-urls      a single-page app with clean URLs
  sockserve cert --out ./dev-certs            make a certificate for localhost, then:
  sockserve -p 8443 --tls-cert ./dev-certs/cert.pem --tls-key ./dev-certs/key.pem
  sockserve --auth-file ./users.htpasswd      ask for a user name and password
  deno task serve -d ./site                   the same from a clone of the repository
  ./sockserve-locked-x86_64-unknown-linux-gnu a locked binary: root and log dir built in

Deno permissions:
  Supervised (deno task serve, deno run -A, the released binaries): the process holds every
  permission; the isolates that serve requests get only read on the root and net on the address,
  and opened files are proven inside the root by the kernel.
  Direct (deno run --allow-read=ROOT --allow-write=LOGDIR --allow-net=HOST main.ts): exactly
  those three; sockserve names a missing one at startup; its confinement check is weaker.

Environment:
  NO_COLOR                 No colour in access lines (colour is used only on a terminal)
  SOCKSERVE_CONFIG         The config file when --config is not given
  SOCKSERVE_<OPTION>       Any option: SOCKSERVE_PORT=9000, SOCKSERVE_TLS_CERT=cert.pem,
                           SOCKSERVE_COMPRESS=true; repeatable ones take one value per line
                           (SOCKSERVE_HOST also takes commas)

Logs are appended in the log dir. SIGHUP reopens the logs and reloads the certificate (in a
terminal it stops, as the terminal is gone). Ctrl+C or SIGTERM stops: in-flight responses finish (at most
5 s) and the logs are flushed first. Exit codes: 0 stopped, 1 cannot listen, 2 bad usage.`;

/** The help text printed by `sockserve config --help`. */
export const CONFIG_HELP = `sockserve config --print [options]

Prints the settings sockserve would serve with, as a TOML file, each line saying where its value
came from: the command line, a SOCKSERVE_* variable, the config file (FILE:LINE:COL) or the
default. Takes every option of sockserve serve, so a command line can be checked before it runs:

  sockserve config --print --config sockserve.toml -p 9002

Precedence: command line > environment (SOCKSERVE_*) > config file (--config FILE or
SOCKSERVE_CONFIG) > defaults. A repeatable option (--host, -H, --auth) set in a higher place
replaces the lower place's list. Bad settings exit 2 with one line: FILE:LINE:COL key: reason.`;
