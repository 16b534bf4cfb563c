/**
 * Facts about the operating system that change how paths are compared.
 *
 * @module
 */

/** Whether sockserve runs on Windows, where `\` separates paths and names ignore case. */
export const IS_WINDOWS: boolean = Deno.build.os === "windows";

/** The path separator of this operating system. */
export const SEP: "/" | "\\" = IS_WINDOWS ? "\\" : "/";
