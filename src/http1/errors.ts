/**
 * The one error of the HTTP/1.1 codec. Every malformed or oversized message
 * ends in a `ParseError` that already knows the status to answer with, so the
 * engine's single failure mapping never has to guess (Caddy's and Pingora's
 * pattern: the error carries its status).
 *
 * @module
 */

/**
 * A message that cannot be parsed or framed. The connection it came on must be
 * closed after answering: once framing is in doubt, the next byte on the
 * connection cannot be trusted to start a message (RFC 9112 §6.3 item 4 and 5,
 * §11.2 request smuggling).
 *
 * Statuses used:
 * - requests: 400 (malformed, RFC 9112 §2.2, §3, §5, §6.3), 414 (request line
 *   longer than the head limit, RFC 9112 §3), 431 (head too large or too many
 *   fields, RFC 6585 §5), 501 (unknown transfer coding, RFC 9112 §6.1),
 *   505 (well-formed version other than HTTP/1.0 and HTTP/1.1, RFC 9110 §15.6.6);
 * - responses from an upstream: always 502 (RFC 9110 §15.6.3: an invalid
 *   response received by a gateway).
 *
 * @example Mapping to a response
 * ```ts
 * try { parseRequestHead(buf, 8192); } catch (e) { if (e instanceof ParseError) answer(e.status, e.message); }
 * ```
 */
export class ParseError extends Error {
  override name = "ParseError";
  /**
   * @param status the HTTP status to answer with (400, 414, 431, 501, 505 or 502)
   * @param message sentence-case description of what was wrong, for the log
   */
  constructor(readonly status: number, message: string) {
    super(message);
  }
}
