/**
 * The response head parser (RFC 9112 §4, §5) for heads read from an upstream.
 * Everything wrong is the upstream's fault, so every error is a 502.
 *
 * @module
 */
import { ParseError } from "./errors.ts";
import type { ResponseHead } from "./head.ts";
import { FIELDS_INCOMPLETE, scanFields } from "./_fields.ts";
import { CR, FIELD_VALUE, LF, SP } from "./_tables.ts";
import { scanVersion, VERSION_INCOMPLETE, VERSION_MALFORMED } from "./_version.ts";

/**
 * Parses a response head from the start of `buf`. Stateless like
 * {@link parseRequestHead}: call it on the grown buffer as bytes arrive.
 *
 * Accepted: `HTTP/1.0` or `HTTP/1.1`, one SP, three digits 100-599, then either
 * SP and a reason-phrase (`*( HTAB / SP / VCHAR / obs-text )`, RFC 9112 §4) or
 * directly the line end: `HTTP/1.1 200\r\n` without the SP is common enough
 * (nginx and llhttp accept it) to tolerate. No empty line may precede the
 * status-line: RFC 9112 §2.2 excuses them only before a request-line, and stray
 * bytes between responses mean the previous one was framed wrong.
 *
 * The limit is as for requests: the head, final empty line included, must be at
 * most `maxHeadBytes` long; only the first `maxHeadBytes` bytes are read.
 *
 * @param buf the bytes received so far from the upstream, the head at offset 0
 * @param maxHeadBytes the most bytes a response head may take (nginx: `proxy_buffer_size`)
 * @returns the head (offsets into `buf`, which is not copied), or null when it is not complete and
 *   `buf.length < maxHeadBytes`
 * @throws {ParseError} 502: a malformed status-line or field line, a status outside 100-599
 *   (RFC 9110 §15: invalid; a client SHOULD treat it as a 5xx), a head over `maxHeadBytes`, more than 256 fields
 */
export function parseResponseHead(buf: Uint8Array, maxHeadBytes: number): ResponseHead | null {
  const full = buf.length >= maxHeadBytes;
  const limit = full ? maxHeadBytes : buf.length;
  const v = scanVersion(buf, 0, limit);
  if (v === VERSION_INCOMPLETE) return incomplete(full);
  if (v === VERSION_MALFORMED) throw bad("malformed HTTP version");
  if (v !== 10 && v !== 11) throw bad(`unsupported HTTP version ${Math.floor(v / 10)}.${v % 10}`);
  let p = 8;
  if (p >= limit) return incomplete(full);
  if (buf[p++] !== SP) throw bad("no space after the HTTP version");
  let status = 0;
  for (let k = 0; k < 3; k++, p++) {
    if (p >= limit) return incomplete(full);
    const d = buf[p] - 0x30;
    if (d < 0 || d > 9) throw bad("status code is not three digits");
    status = status * 10 + d;
  }
  if (p >= limit) return incomplete(full);
  let reasonStart = p;
  if (buf[p] === SP) {
    reasonStart = ++p;
    while (p < limit && FIELD_VALUE[buf[p]] === 1) p++;
    if (p >= limit) return incomplete(full);
  }
  const reasonEnd = p;
  if (buf[p] === CR) {
    if (p + 1 >= limit) return incomplete(full);
    if (buf[p + 1] !== LF) throw bad("bare CR");
    p += 2;
  } else if (buf[p] === LF) {
    p++;
  } else {
    throw bad(reasonEnd === reasonStart && buf[p] !== SP ? "status code is not three digits" : "control byte in the reason phrase");
  }
  // Checked once the line is whole so that a bad byte later on the line wins, as in the request parser.
  if (status < 100 || status > 599) throw bad(`status ${status} is outside 100-599`);

  const fields: number[] = [];
  const end = scanFields(buf, p, limit, fields, 502, 502);
  if (end === FIELDS_INCOMPLETE) return incomplete(full);
  return { buf, length: end, fields, count: fields.length / 4, minor: v - 10, status, reasonStart, reasonEnd };
}

function incomplete(full: boolean): null {
  if (!full) return null;
  throw new ParseError(502, "Invalid upstream response: head too large");
}

function bad(what: string): ParseError {
  return new ParseError(502, `Invalid upstream response: ${what}`);
}
