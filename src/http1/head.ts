/**
 * The parsed head shared by requests and responses, and the helpers that read
 * it. A head is the received bytes plus offsets (Pingora's and httparse's
 * shape): nothing is decoded until a caller asks for that one string.
 *
 * @module
 */
import { latin1 } from "./_latin1.ts";
import { LOWER } from "./_tables.ts";

/**
 * A parsed start-line and field section (RFC 9112 §2.1), as offsets into the bytes it came from.
 */
export interface Head {
  /** The bytes the head was parsed from; offsets below index into it. The parser never copies. */
  buf: Uint8Array;
  /** Bytes of the head including the empty line that ends it (so the body starts at buf[length]). */
  length: number;
  /** Field offsets, 4 numbers per field in received order: nameStart, nameEnd, valueStart, valueEnd (value without leading/trailing OWS). */
  fields: number[];
  /** Number of fields. */
  count: number;
  /** HTTP minor version: 0 or 1 (major is always 1). */
  minor: number;
}

/** A request head (RFC 9112 §3): the request-line's method and target decoded, everything else as offsets. */
export interface RequestHead extends Head {
  /** The method token, case-sensitive as received (RFC 9110 §9.1); common methods are interned constants. */
  method: string;
  /** The request-target as received (ASCII, RFC 9112 §3.2), not normalised. */
  target: string;
  /** offsets of the target in buf */
  targetStart: number;
  /** offsets of the target in buf (exclusive end) */
  targetEnd: number;
}

/** A response head (RFC 9112 §4). */
export interface ResponseHead extends Head {
  /** The status code, 100-599. */
  status: number;
  /** reason-phrase offsets in buf (may be empty) */
  reasonStart: number;
  /** reason-phrase offsets in buf (exclusive end) */
  reasonEnd: number;
}

/**
 * A lowercase ASCII name or token as bytes, for {@link nameIs}, {@link findField} and {@link valueIs}.
 * Compute once at module load, not per request.
 *
 * @param s ASCII text; chars above U+00FF are truncated to their low byte, so pass ASCII only
 * @returns one byte per char (`s.length` bytes); never throws
 * @example
 * ```ts
 * const CONTENT_LENGTH = ascii("content-length");
 * ```
 */
export function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/**
 * The name of field `i` as received (case preserved).
 *
 * @param h a parsed head
 * @param i field index, 0 to `h.count - 1`
 * @returns the field name (a token, RFC 9110 §5.1, so ASCII); never throws (an index out of range gives "")
 */
export function fieldName(h: Head, i: number): string {
  return latin1(h.buf, h.fields[4 * i], h.fields[4 * i + 1]);
}

/**
 * The value of field `i`, latin1-decoded (RFC 9110 §5.5: obs-text bytes are
 * kept as U+0080-U+00FF, as `Headers` ByteStrings hold them), without leading
 * or trailing OWS.
 *
 * @param h a parsed head
 * @param i field index, 0 to `h.count - 1`
 * @returns the value, one char per byte, possibly ""; never throws
 */
export function fieldValue(h: Head, i: number): string {
  return latin1(h.buf, h.fields[4 * i + 2], h.fields[4 * i + 3]);
}

/**
 * Whether field `i`'s name equals `lower`, ASCII case-insensitively (field names are case-insensitive, RFC 9110 §5.1).
 *
 * @param h a parsed head
 * @param i field index
 * @param lower the name in lowercase ASCII bytes, from {@link ascii}
 * @returns true on a match; never throws
 */
export function nameIs(h: Head, i: number, lower: Uint8Array): boolean {
  const f = h.fields, buf = h.buf, start = f[4 * i];
  if (f[4 * i + 1] - start !== lower.length) return false;
  for (let k = 0; k < lower.length; k++) if (LOWER[buf[start + k]] !== lower[k]) return false;
  return true;
}

/**
 * The index of the first field at or after `from` whose name is `lower`, case-insensitively.
 *
 * @param h a parsed head
 * @param lower the name in lowercase ASCII bytes, from {@link ascii}
 * @param from the field index to start at
 * @returns the field index, or -1 when there is none; never throws
 */
export function findField(h: Head, lower: Uint8Array, from = 0): number {
  for (let i = from; i < h.count; i++) if (nameIs(h, i, lower)) return i;
  return -1;
}

/**
 * Whether field `i`'s whole value (OWS already trimmed) equals `lowerToken`, ASCII case-insensitively,
 * e.g. `Connection: Close` against `ascii("close")`. A list such as `close, te` does not match; split lists yourself.
 *
 * @param h a parsed head
 * @param i field index
 * @param lowerToken the token in lowercase ASCII bytes, from {@link ascii}
 * @returns true on a match; never throws
 */
export function valueIs(h: Head, i: number, lowerToken: Uint8Array): boolean {
  const f = h.fields, buf = h.buf, start = f[4 * i + 2];
  if (f[4 * i + 3] - start !== lowerToken.length) return false;
  for (let k = 0; k < lowerToken.length; k++) if (LOWER[buf[start + k]] !== lowerToken[k]) return false;
  return true;
}
