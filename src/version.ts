/**
 * The version of sockserve, read from `deno.json` so there is one place to bump it.
 *
 * @module
 */

import config from "../deno.json" with { type: "json" };

/** sockserve's version, e.g. `0.1.0`. */
export const VERSION: string = config.version;

/** The `Server` header value (RFC 9110 §10.2.4). */
export const SERVER_NAME: string = `sockserve/${VERSION}`;
