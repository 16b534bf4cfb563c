/**
 * Request methods: the ones sockserve answers, and the rest of the IANA registry it knows.
 *
 * @module
 */

/** The methods sockserve answers (RFC 9110 §9.1: GET and HEAD are the ones a server must). */
export const ALLOW = "GET, HEAD, OPTIONS";

/** Methods registered in the IANA HTTP Method Registry that sockserve does not serve (→ 405). */
export const REGISTERED_METHODS: ReadonlySet<string> = new Set([
  "ACL",
  "BASELINE-CONTROL",
  "BIND",
  "CHECKIN",
  "CHECKOUT",
  "CONNECT",
  "COPY",
  "DELETE",
  "LABEL",
  "LINK",
  "LOCK",
  "MERGE",
  "MKACTIVITY",
  "MKCALENDAR",
  "MKCOL",
  "MKREDIRECTREF",
  "MKWORKSPACE",
  "MOVE",
  "OPTIONS",
  "ORDERPATCH",
  "PATCH",
  "POST",
  "PRI",
  "PROPFIND",
  "PROPPATCH",
  "PUT",
  "QUERY",
  "REBIND",
  "REPORT",
  "SEARCH",
  "TRACE",
  "UNBIND",
  "UNCHECKOUT",
  "UNLINK",
  "UNLOCK",
  "UPDATE",
  "UPDATEREDIRECTREF",
  "VERSION-CONTROL",
]);
