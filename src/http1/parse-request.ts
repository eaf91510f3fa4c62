/**
 * The request head parser (RFC 9112 §2-§5): request-line and field section,
 * parsed in place on the received bytes.
 *
 * @module
 */
import { ParseError } from "./errors.ts";
import type { RequestHead } from "./head.ts";
import { latin1 } from "./_latin1.ts";
import { methodName } from "./_method.ts";
import { targetFormOk } from "./_target.ts";
import { FIELDS_INCOMPLETE, scanFields } from "./_fields.ts";
import { CR, LF, SP, TARGET, TCHAR } from "./_tables.ts";
import { scanVersion, VERSION_INCOMPLETE, VERSION_MALFORMED } from "./_version.ts";

/**
 * Parses a request head from the start of `buf`.
 *
 * Call it again on the grown buffer each time bytes arrive (httparse's model:
 * stateless, so nothing is kept between calls; the cost is bounded because
 * only the first `maxHeadBytes` bytes are ever looked at).
 *
 * The limit: a head is accepted when its whole length, leading empty lines,
 * request-line, fields and the final empty line with their CRLFs included, is at
 * most `maxHeadBytes`. Only `buf[0, min(buf.length, maxHeadBytes))` is read, so
 * the outcome depends on those bytes alone and is the same however the head
 * was split across reads.
 *
 * @param buf the bytes received so far on the connection, the head at offset 0
 * @param maxHeadBytes the most bytes a head may take (nginx: `large_client_header_buffers`)
 * @returns the head (`buf` is not copied; keep it alive and unchanged while the head is used), or
 *   null when the head is not complete and `buf.length < maxHeadBytes` (read more, then call again)
 * @throws {ParseError} 400: malformed request-line (method not a token, not exactly one SP between parts,
 *   a target byte outside 0x21-0x7E or a target in none of the forms of RFC 9112 §3.2, malformed version;
 *   RFC 9112 §3), bare CR, malformed field line
 *   (RFC 9112 §5); 414: the request-line does not end within `maxHeadBytes`; 431: the head does not end within
 *   `maxHeadBytes`, or has more than 256 fields; 505: a well-formed version other than HTTP/1.0 and HTTP/1.1
 */
export function parseRequestHead(buf: Uint8Array, maxHeadBytes: number): RequestHead | null {
  const full = buf.length >= maxHeadBytes;
  const limit = full ? maxHeadBytes : buf.length;
  let p = 0;
  // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the
  // request-line (a client's stray CRLF after a previous body); they count in the limit.
  for (;;) {
    if (p >= limit) return incomplete(full, 414);
    const b = buf[p];
    if (b === LF) p++;
    else if (b !== CR) break;
    else if (p + 1 >= limit) return incomplete(full, 414);
    else if (buf[p + 1] === LF) p += 2;
    else throw new ParseError(400, "Invalid request line: bare CR");
  }

  const methodStart = p;
  while (p < limit && TCHAR[buf[p]] === 1) p++;
  if (p >= limit) return incomplete(full, 414);
  if (buf[p] !== SP || p === methodStart) {
    throw new ParseError(400, `Invalid request line: ${p === methodStart ? "empty method" : "method is not a token"}`);
  }
  const methodEnd = p++;

  const targetStart = p;
  while (p < limit && TARGET[buf[p]] === 1) p++;
  if (p >= limit) return incomplete(full, 414);
  if (buf[p] !== SP || p === targetStart) throw new ParseError(400, targetError(buf[p], p === targetStart));
  const targetEnd = p++;
  const method = methodName(buf, methodStart, methodEnd);
  if (!targetFormOk(buf, targetStart, targetEnd, method)) {
    throw new ParseError(400, "Invalid request target: not in origin, absolute or asterisk form");
  }

  const v = scanVersion(buf, p, limit);
  if (v === VERSION_INCOMPLETE) return incomplete(full, 414);
  if (v === VERSION_MALFORMED) throw new ParseError(400, "Invalid request line: malformed HTTP version");
  p += 8;
  if (p >= limit) return incomplete(full, 414);
  if (buf[p] === CR) {
    if (p + 1 >= limit) return incomplete(full, 414);
    if (buf[p + 1] !== LF) throw new ParseError(400, "Invalid request line: bytes after the HTTP version");
    p += 2;
  } else if (buf[p] === LF) {
    p++;
  } else {
    throw new ParseError(400, "Invalid request line: bytes after the HTTP version");
  }
  // Checked after the line end so that "HTTP/2.0x" is a 400, not a 505.
  // RFC 9110 §2.5 would have a 1.x recipient treat HTTP/1.2+ as HTTP/1.1;
  // holdfast answers only what it is sure of: 1.0 and 1.1 exactly.
  if (v !== 10 && v !== 11) throw new ParseError(505, `Unsupported HTTP version ${Math.floor(v / 10)}.${v % 10}`);

  const fields: number[] = [];
  const end = scanFields(buf, p, limit, fields, 400, 431);
  if (end === FIELDS_INCOMPLETE) return incomplete(full, 431);
  return {
    buf,
    length: end,
    fields,
    count: fields.length / 4,
    minor: v - 10,
    method,
    target: latin1(buf, targetStart, targetEnd),
    targetStart,
    targetEnd,
  };
}

/** Out of bytes: wait for more, unless the limit is what ended the bytes. */
function incomplete(full: boolean, status: 414 | 431): null {
  if (!full) return null;
  throw new ParseError(status, status === 414 ? "Request line too long" : "Request head too large");
}

function targetError(b: number, empty: boolean): string {
  if (b === CR || b === LF) return "Invalid request line: no HTTP version";
  if (b === SP && empty) return "Invalid request line: more than one space before the target";
  // RFC 3986 targets are ASCII; a raw UTF-8 byte would reach upstreams that
  // each decode it their own way, so it is refused (as llhttp's strict mode does).
  if (b >= 0x80) return "Invalid request target: non-ASCII byte";
  return `Invalid request target: byte 0x${b.toString(16).padStart(2, "0")}`;
}
