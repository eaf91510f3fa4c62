/**
 * Message body length (RFC 9112 §6.3): one function per direction that walks
 * the section's numbered items in order and returns a tagged value, or throws
 * a {@link ParseError} when the framing cannot be trusted.
 *
 * @module
 */
import { ParseError } from "./errors.ts";
import type { RequestHead, ResponseHead } from "./head.ts";
import { CL_ABSENT, CL_INVALID, contentLength } from "./_content-length.ts";
import { TE_ABSENT, TE_CHUNKED, TE_CODED_CHUNKED, TE_MALFORMED, TE_NOT_FINAL, TE_TWICE, transferCodings } from "./_transfer-encoding.ts";

/**
 * How a message body is delimited:
 * - `none`: no body (0 bytes; the next message starts at `head.length`);
 * - `length`: exactly `bytes` bytes follow the head (`bytes` may be 0);
 * - `chunked`: a chunked body follows (decode it with `ChunkedDecoder`);
 * - `close`: the body runs until the upstream closes the connection (responses only).
 */
export type Framing = { kind: "none" } | { kind: "length"; bytes: number } | { kind: "chunked" } | { kind: "close" };

const NONE: Framing = Object.freeze({ kind: "none" });
const CHUNKED: Framing = Object.freeze({ kind: "chunked" });
const CLOSE: Framing = Object.freeze({ kind: "close" });

/**
 * The framing of a request body, RFC 9112 §6.3 items 3-7 (items 1-2 are for responses).
 * Transfer-Encoding is checked before Content-Length, as the section orders them.
 *
 * @param h a parsed request head
 * @returns `none`, `length` or `chunked`; never `close` (item 7: a request without either field has no body)
 * @throws {ParseError} 400: Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1 "MUST treat the message
 *   as if the framing is faulty"); Transfer-Encoding and Content-Length together (§6.3 item 3: "ought to be
 *   handled as an error", the request-smuggling shape of §11.2; nginx and HAProxy refuse it too); a final coding
 *   other than chunked (item 4 "MUST respond with the 400"); chunked twice (§6.1 "MUST NOT apply ... more than
 *   once"); a malformed coding list; an invalid or conflicting Content-Length (item 5 "MUST respond with a 400").
 *   501: codings besides chunked, e.g. `gzip, chunked` (§6.1 "SHOULD respond with 501": holdfast removes
 *   chunked and forwards with Content-Length, so it cannot pass other codings on; nginx also answers 501)
 */
export function requestFraming(h: RequestHead): Framing {
  const te = transferCodings(h);
  const cl = contentLength(h);
  // Item 3 and §6.1: a Transfer-Encoding the recipient can only guess at.
  if (te !== TE_ABSENT) {
    if (h.minor === 0) throw new ParseError(400, "Invalid framing: Transfer-Encoding in an HTTP/1.0 request");
    if (cl !== CL_ABSENT) throw new ParseError(400, "Invalid framing: both Transfer-Encoding and Content-Length");
    if (te === TE_MALFORMED) throw new ParseError(400, "Invalid framing: malformed Transfer-Encoding");
    if (te === TE_TWICE) throw new ParseError(400, "Invalid framing: chunked applied more than once");
    // Item 4.
    if (te === TE_NOT_FINAL) throw new ParseError(400, "Invalid framing: chunked is not the final transfer coding");
    if (te === TE_CODED_CHUNKED) throw new ParseError(501, "Unsupported transfer coding: only chunked is understood");
    return CHUNKED;
  }
  // Items 5 and 6.
  if (cl === CL_INVALID) throw new ParseError(400, "Invalid framing: invalid Content-Length");
  if (cl !== CL_ABSENT) return { kind: "length", bytes: cl };
  // Item 7.
  return NONE;
}

/**
 * The framing of a response body, RFC 9112 §6.3 items 1-8 in order.
 *
 * A `chunked` answer for `gzip, chunked` means only that the body is chunked:
 * the codings before chunked stay applied and are the relay's to forward or refuse.
 * A 2xx to CONNECT (item 2, a tunnel) is not handled: holdfast does not proxy CONNECT.
 *
 * @param h a parsed response head
 * @param requestMethod the method of the request this answers (as in `RequestHead.method`)
 * @returns `none` (item 1: HEAD, 1xx, 204, 304), `chunked` (item 3-4: Transfer-Encoding overrides
 *   Content-Length), `close` (item 4: final coding not chunked; item 8: neither field), or `length` (item 6)
 * @throws {ParseError} 502: Transfer-Encoding in an HTTP/1.0 response (§6.1 faulty framing), chunked
 *   twice or a malformed coding list, an invalid or conflicting Content-Length without Transfer-Encoding (item 5
 *   "unrecoverable error")
 */
export function responseFraming(h: ResponseHead, requestMethod: string): Framing {
  const status = h.status;
  // Item 1: these never have content, whatever their fields say.
  if (requestMethod === "HEAD" || status < 200 || status === 204 || status === 304) return NONE;
  const te = transferCodings(h);
  if (te !== TE_ABSENT) {
    if (h.minor === 0) throw new ParseError(502, "Invalid upstream response: Transfer-Encoding in an HTTP/1.0 response");
    if (te === TE_MALFORMED) throw new ParseError(502, "Invalid upstream response: malformed Transfer-Encoding");
    if (te === TE_TWICE) throw new ParseError(502, "Invalid upstream response: chunked applied more than once");
    // Item 4: the body runs to the close.
    if (te === TE_NOT_FINAL) return CLOSE;
    // Item 3: Transfer-Encoding overrides Content-Length; the relay must not forward the latter.
    if (te === TE_CHUNKED || te === TE_CODED_CHUNKED) return CHUNKED;
  }
  const cl = contentLength(h);
  if (cl === CL_INVALID) throw new ParseError(502, "Invalid upstream response: invalid Content-Length");
  if (cl !== CL_ABSENT) return { kind: "length", bytes: cl };
  // Item 8.
  return CLOSE;
}
