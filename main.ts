/**
 * sockserve's entry point: `Deno.args` → command → serve, get, cert or hash-password (or help,
 * version); nothing else.
 *
 * @module
 */

import { ClientError, get } from "./src/client/get.ts";
import { type Command, parseCli, type ServeCommand } from "./src/cli/args.ts";
import { GET_HELP } from "./src/client/args.ts";
import { CERT_HELP } from "./src/cli/cert_args.ts";
import { CONFIG_HELP, HELP } from "./src/cli/help.ts";
import { writeAll } from "./src/io/full_io.ts";
import { hangUpStops } from "./src/server/signals.ts";
import {
  chooseRoot,
  readableEnvironment,
  readConfigFile,
  startServer,
  StartupError,
} from "./src/cli/startup.ts";
import { HASH_PASSWORD_HELP, runHashPassword } from "./src/cli/hash_password.ts";
import { VERSION } from "./src/version.ts";
import { reexecWithServeFlags } from "./src/cli/v8_flags.ts";
import { hasAllPermissions } from "./src/platform.ts";
import { loadGlobs } from "./src/server/rules.ts";
import { loadToml } from "./src/cli/config.ts";

/** Runs the command line and returns the process exit code. */
async function main(args: readonly string[]): Promise<number> {
  const command = await parseCommand(args);
  switch (command.kind) {
    case "help": {
      const choice = chooseRoot(parseCli([]) as ServeCommand);
      console.log(`${HELP}\n\nRoot in use without --root: ${choice.root} (${choice.reason}).`);
      return 0;
    }
    case "get-help":
      console.log(GET_HELP);
      return 0;
    case "cert-help":
      console.log(CERT_HELP);
      return 0;
    case "cert": {
      // Loaded only here: serving never pays for the certificate library.
      const { runCert } = await import("./src/cli/cert.ts");
      return await runCert(command, chooseRoot(parseCli([]) as ServeCommand).root);
    }
    case "config-help":
      console.log(CONFIG_HELP);
      return 0;
    case "config-print":
      for (const notice of command.notices) console.error(notice);
      await writeAll(Deno.stdout, new TextEncoder().encode(command.text));
      return 0;
    case "hash-password-help":
      console.log(HASH_PASSWORD_HELP);
      return 0;
    case "hash-password":
      return await runHashPassword({ stdin: Deno.stdin, stdout: Deno.stdout, stderr: Deno.stderr });
    case "version":
      console.log(`sockserve ${VERSION} (deno ${Deno.version.deno}, ${Deno.build.target})`);
      return 0;
    case "error":
      console.error(command.message);
      return command.exitCode;
    case "get":
      try {
        return await get(command, { stdout: Deno.stdout, stderr: Deno.stderr });
      } catch (error) {
        // A closed stdout (`get … | head`) ends the command quietly, as SIGPIPE would.
        if (error instanceof Deno.errors.BrokenPipe) return 0;
        if (!(error instanceof ClientError)) throw error;
        console.error(error.message);
        return 2;
      }
  }
  // Before anything is printed or opened: the process may replace itself to set V8's flags.
  if (hasAllPermissions()) reexecWithServeFlags();
  if (!command.quiet) { for (const notice of command.notices) console.error(notice); }
  const colour = Deno.stdout.isTerminal() && !Deno.noColor;
  // In a terminal, SIGHUP is the terminal closing: stop, as SIGTERM does. As a service it
  // reopens the logs and reloads the certificate (startup.ts).
  const hangUp = Deno.build.os !== "windows" && hangUpStops(Deno.stdin.isTerminal());
  let server;
  try {
    server = await startServer(command, colour, hangUp);
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    console.error(error.message);
    return error.exitCode;
  }
  await server.finished;
  const served = server.responseCount();
  console.log(`sockserve stopped after ${served} response${served === 1 ? "" : "s"}.`);
  return 0;
}

/**
 * Parses the command line with the environment and the config file. The libraries of config
 * files (smol-toml, and picomatch for header rules' globs) are imported only when the command
 * reads one or prints settings: a first pass finds out without reading any file, and a second
 * one, with the libraries, gives the answer.
 */
async function parseCommand(args: readonly string[]): Promise<Command> {
  const env = readableEnvironment();
  let readsFile = false;
  try {
    const probe = parseCli(args, navigator.hardwareConcurrency, {
      env,
      readFile: () => {
        readsFile = true;
        throw new Error("read in the second pass");
      },
    });
    if (!readsFile) return probe;
  } catch {
    // `config --print` formats TOML without a file: the second pass has the library.
  }
  await Promise.all([loadToml(), loadGlobs()]);
  return parseCli(args, navigator.hardwareConcurrency, { env, readFile: readConfigFile });
}

/**
 * A server must outlive its own bugs: an unexpected rejection or error is reported in one line
 * and the process keeps serving instead of exiting.
 */
function keepRunning(): void {
  const report = (what: unknown) =>
    console.error(
      `Unexpected error (serving continues): ${
        what instanceof Error ? `${what.name}: ${what.message}` : String(what)
      }`,
    );
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    report(event.reason);
  });
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    report(event.error);
  });
}

if (import.meta.main) {
  keepRunning();
  Deno.exit(await main(Deno.args));
}
