/**
 * The request-head fields an access line shows (`$http_host`,
 * `$http_user_agent`, `$http_referer`, `$request`, `$server_protocol`),
 * decoded at log time from the head the request kept: nothing is read or
 * copied per request when the log is off.
 *
 * @module
 */
import { ascii, fieldValue, findField, type Head } from "../http1/head.ts";
import type { AccessRecord } from "../access-log.ts";

const HOST = ascii("host");
const USER_AGENT = ascii("user-agent");
const REFERER = ascii("referer");

/** Field names the access log reads, as {@link requestField} takes them. */
export const LOGGED_FIELDS = { host: HOST, userAgent: USER_AGENT, referer: REFERER } as const;

/**
 * The first value of a request field, latin1 as received.
 * @param name a lowercase name from {@link LOGGED_FIELDS}
 * @returns undefined when the field is absent or the head did not parse
 */
export function requestField(r: AccessRecord, name: Uint8Array): string | undefined {
  const h = r.head;
  if (!h) return undefined;
  const i = findField(h, name);
  return i < 0 ? undefined : valueForLog(h, i);
}

// Below this many bytes a char-by-char loop beats a decoder call.
const SHORT = 24;
const UTF8 = new TextDecoder();

/**
 * Field `i`'s value, latin1 as `fieldValue` gives it, decoded the cheapest
 * way for its shape: a User-Agent is ~100 ASCII bytes, which the native
 * UTF-8 decoder turns into a string 3-4 times faster than latin1's
 * fromCharCode (ASCII decodes the same in both); a byte from 0x80 takes
 * latin1, so obs-text is logged as received.
 */
function valueForLog(h: Head, i: number): string {
  const buf = h.buf, start = h.fields[4 * i + 2], end = h.fields[4 * i + 3];
  if (end - start <= SHORT) {
    let s = "";
    for (let k = start; k < end; k++) s += String.fromCharCode(buf[k]);
    return s;
  }
  for (let k = start; k < end; k++) if (buf[k] >= 0x80) return fieldValue(h, i);
  return UTF8.decode(buf.subarray(start, end));
}

/** `HTTP/1.1` or `HTTP/1.0`; undefined when the head did not parse. */
export function protocolOf(r: AccessRecord): string | undefined {
  return r.head ? (r.head.minor === 1 ? "HTTP/1.1" : "HTTP/1.0") : undefined;
}

/** nginx's `$request`: `GET /x HTTP/1.1`, or the received line of a head that did not parse. */
export function requestLineOf(r: AccessRecord): string {
  const proto = protocolOf(r);
  return proto ? `${r.method} ${r.target} ${proto}` : (r.requestLine ?? `${r.method} ${r.target}`);
}

// A request line kept for the log of a head that did not parse is cut here:
// nginx logs at most what fits its buffer; 1 KiB shows any real line.
const MAX_LINE_BYTES = 1024;

/**
 * The first line of bytes that did not parse as a head, for the log:
 * up to the first LF (CR dropped), at most 1 KiB, latin1.
 */
export function receivedLine(bytes: Uint8Array): string {
  let end = bytes.indexOf(10);
  if (end < 0 || end > MAX_LINE_BYTES) end = Math.min(bytes.byteLength, MAX_LINE_BYTES);
  if (end > 0 && bytes[end - 1] === 13) end--;
  let s = "";
  for (let i = 0; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}
