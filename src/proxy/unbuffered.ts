import { ascii, findField, type ResponseHead, valueIs } from "../http1/head.ts";

const CONTENT_TYPE = ascii("content-type");
const EVENT_STREAM = ascii("text/event-stream");
const X_ACCEL_BUFFERING = ascii("x-accel-buffering");
const NO = ascii("no");

/**
 * Whether a response asks not to be buffered, whatever `--buffer-response`
 * says: a `Content-Type: text/event-stream` (Server-Sent Events, whose
 * events must reach the client as they are sent) or the peer's
 * `X-Accel-Buffering: no` (nginx's field for the same, honoured as nginx
 * does and passed on). Such a body is relayed read by read at the
 * client's pace.
 * @param h the peer's final response head
 */
export function asksUnbuffered(h: ResponseHead): boolean {
  const ct = findField(h, CONTENT_TYPE);
  if (ct >= 0 && startsWithLower(h, ct, EVENT_STREAM)) return true;
  const xab = findField(h, X_ACCEL_BUFFERING);
  return xab >= 0 && valueIs(h, xab, NO);
}

// A media type may carry parameters (`text/event-stream; charset=utf-8`).
function startsWithLower(h: ResponseHead, i: number, lower: Uint8Array): boolean {
  const start = h.fields[4 * i + 2], end = h.fields[4 * i + 3];
  if (end - start < lower.length) return false;
  for (let k = 0; k < lower.length; k++) if ((h.buf[start + k] | 0x20) !== (lower[k] | 0x20)) return false;
  const next = start + lower.length;
  return next === end || h.buf[next] === 0x3b || h.buf[next] === 0x20 || h.buf[next] === 0x09;
}
