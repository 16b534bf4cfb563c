/**
 * The status codes sockserve sends and their reason phrases (RFC 9110 §15).
 *
 * @module
 */

/** Reason phrase for every status sockserve can answer with. */
export const REASON_PHRASES = {
  100: "Continue",
  200: "OK",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  412: "Precondition Failed",
  413: "Content Too Large",
  414: "URI Too Long",
  416: "Range Not Satisfiable",
  417: "Expectation Failed",
  421: "Misdirected Request",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
} as const;

/** A status code sockserve may send. */
export type Status = keyof typeof REASON_PHRASES;

/** A status that ends in an error page. */
export type ErrorStatus = Extract<
  Status,
  | 400
  | 401
  | 403
  | 404
  | 405
  | 406
  | 408
  | 412
  | 413
  | 414
  | 416
  | 417
  | 421
  | 431
  | 500
  | 501
  | 503
  | 505
>;
