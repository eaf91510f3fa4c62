/**
 * Reason phrases for the responses holdfast makes itself. A reason phrase
 * carries no meaning (RFC 9112 §4); these are RFC 9110 §15's, and nginx's 499.
 *
 * @module
 */

/** Reason phrases of the statuses holdfast answers with itself (RFC 9110 §15). */
export function reasonOf(status: number): string {
  return REASONS[status] ?? "Error";
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  408: "Request Timeout",
  413: "Content Too Large",
  414: "URI Too Long",
  417: "Expectation Failed",
  // RFC 6585 §4 (--limit-req, --limit-conn status=429).
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  499: "Client Closed Request",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
  507: "Insufficient Storage",
};
