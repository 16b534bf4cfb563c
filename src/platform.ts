/**
 * Facts about the operating system and the runtime: how paths are compared, and whether this
 * isolate holds every Deno permission.
 *
 * @module
 */

/** Whether sockserve runs on Windows, where `\` separates paths and names ignore case. */
export const IS_WINDOWS: boolean = Deno.build.os === "windows";

/** The path separator of this operating system. */
export const SEP: "/" | "\\" = IS_WINDOWS ? "\\" : "/";

/**
 * Returns whether this isolate holds every Deno permission (`-A`): then it may read the kernel's
 * records in /proc and supervise serving isolates with narrower permissions. Asking never
 * prompts.
 */
export function hasAllPermissions(): boolean {
  const names = ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const;
  return names.every((name) => Deno.permissions.querySync({ name }).state === "granted");
}
