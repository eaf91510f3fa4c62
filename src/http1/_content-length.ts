/**
 * Reads the Content-Length fields of a head (RFC 9110 §8.6, RFC 9112 §6.3 item 5)
 * into one length.
 *
 * @module
 */
import { ascii, type Head, nameIs } from "./head.ts";
import { COMMA, HTAB, SP } from "./_tables.ts";

/** Returned by {@link contentLength} when there is no Content-Length field. */
export const CL_ABSENT = -1;
/** Returned by {@link contentLength} when a value is not 1*DIGIT, is too large, or the values differ. */
export const CL_INVALID = -2;

const CONTENT_LENGTH = ascii("content-length");

/**
 * The one length all Content-Length fields agree on. RFC 9112 §6.3 item 5: several
 * fields or a comma list are accepted only when every element is a valid
 * `1*DIGIT` and all are the same number (`5, 5` and `05` both mean 5); an empty
 * element, a sign, a space inside digits, or differing values are invalid.
 * Values above `Number.MAX_SAFE_INTEGER` (9 PiB, 16 digits) are invalid rather than rounded.
 *
 * @param h a parsed head
 * @returns the length in bytes, {@link CL_ABSENT} or {@link CL_INVALID}
 */
export function contentLength(h: Head): number {
  const { buf, fields } = h;
  let length = CL_ABSENT;
  for (let i = 0; i < h.count; i++) {
    if (!nameIs(h, i, CONTENT_LENGTH)) continue;
    let p = fields[4 * i + 2];
    const end = fields[4 * i + 3];
    // An empty value is an invalid Content-Length, not an absent one.
    if (p === end) return CL_INVALID;
    while (p <= end) {
      while (p < end && (buf[p] === SP || buf[p] === HTAB)) p++;
      let n = 0, digits = 0;
      while (p < end) {
        const d = buf[p] - 0x30;
        if (d < 0 || d > 9) break;
        n = n * 10 + d;
        // Monotonic rounding keeps this exact at the boundary even once n passes 2^53.
        if (n > Number.MAX_SAFE_INTEGER) return CL_INVALID;
        digits++;
        p++;
      }
      if (digits === 0) return CL_INVALID;
      while (p < end && (buf[p] === SP || buf[p] === HTAB)) p++;
      if (p < end && buf[p] !== COMMA) return CL_INVALID;
      if (length !== CL_ABSENT && length !== n) return CL_INVALID;
      length = n;
      p++;
    }
  }
  return length;
}
