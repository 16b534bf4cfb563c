/**
 * File-system errors → the answer they deserve, in one place for the resolver, the opener and
 * listings: a missing name is 404, a name the server may not or must not open is 403, running
 * out of descriptors or memory is 503 (try again), and anything else is unexpected (→ 500).
 *
 * @module
 */

/** Why a path is not served; each maps to one status with {@linkcode refusalStatus}. */
export type Refusal =
  | { readonly kind: "not-found" }
  | { readonly kind: "forbidden" }
  | { readonly kind: "busy" };

/**
 * Error codes of names that do not exist (or cannot, like a file used as a folder), or that lead
 * nowhere: a symlink loop, or a final symlink where the resolver saw a file (ELOOP under
 * O_NOFOLLOW: the name changed under us).
 */
const NOT_FOUND = new Set(["ENOENT", "ENOTDIR", "EISDIR", "ENAMETOOLONG", "ELOOP"]);

/**
 * Error codes of names that exist but are not to be opened: permissions (EACCES, EPERM), a socket
 * or device with nothing behind it (ENXIO, ENODEV), a file type that cannot be read (EOPNOTSUPP).
 */
const FORBIDDEN = new Set(["EACCES", "EPERM", "ENXIO", "ENODEV", "EOPNOTSUPP", "ENOTSUP"]);

/** Error codes of a server out of resources for the moment: answer 503, keep running. */
const BUSY = new Set(["EMFILE", "ENFILE", "EAGAIN", "ENOMEM", "EBUSY"]);

/**
 * Maps an error of `Deno.*` or `node:fs` to the answer it deserves.
 *
 * @param error What was thrown.
 * @returns The refusal.
 * @throws The error itself when it is unexpected (an I/O error, a bug): → 500.
 */
export function classifyFsError(error: unknown): Refusal {
  const code = errorCode(error);
  if (
    error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory ||
    error instanceof Deno.errors.IsADirectory || error instanceof Deno.errors.FilesystemLoop ||
    (code !== null && NOT_FOUND.has(code)) ||
    (error instanceof Error && /name too long/i.test(error.message))
  ) {
    return { kind: "not-found" };
  }
  // NotCapable is Deno's own permission scope saying no; the rest is the OS.
  if (
    error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable ||
    (code !== null && FORBIDDEN.has(code)) ||
    (error instanceof Error && /^Requires (read|all) access/.test(error.message))
  ) {
    return { kind: "forbidden" };
  }
  if (code !== null && BUSY.has(code)) return { kind: "busy" };
  throw error;
}

/** The errno name of an error, from node:fs's `code` or from Deno's "(os error N)" text. */
function errorCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  if (!(error instanceof Error)) return null;
  const os = /\(os error (\d+)\)/.exec(error.message);
  return os === null ? null : (OS_ERRORS[Number(os[1])] ?? null);
}

/** Linux errno numbers Deno's errors carry only in their text. */
const OS_ERRORS: Record<number, string> = {
  6: "ENXIO",
  12: "ENOMEM",
  16: "EBUSY",
  19: "ENODEV",
  23: "ENFILE",
  24: "EMFILE",
  95: "EOPNOTSUPP",
};

/**
 * Returns the status of a refusal.
 *
 * @param refusal Why a path is not served.
 * @returns 404, 403 or 503.
 */
export function refusalStatus(refusal: Refusal): 404 | 403 | 503 {
  switch (refusal.kind) {
    case "not-found":
      return 404;
    case "forbidden":
      return 403;
    case "busy":
      return 503;
  }
}
