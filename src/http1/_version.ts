/**
 * HTTP-version (RFC 9112 §2.3): `HTTP-name "/" DIGIT "." DIGIT`, HTTP-name
 * being the case-sensitive `HTTP`. Shared by the request-line (where it ends
 * the line) and the status-line (where it starts it).
 *
 * @module
 */

/** Returned by {@link scanVersion} when `limit` came before the 8 bytes of a version. */
export const VERSION_INCOMPLETE = -1;
/** Returned by {@link scanVersion} when the bytes are not `HTTP/DIGIT.DIGIT`. */
export const VERSION_MALFORMED = -2;

// "HTTP/" then DIGIT "." DIGIT: 0 marks a digit position.
const SHAPE = [0x48, 0x54, 0x54, 0x50, 0x2f, 0, 0x2e, 0];

/**
 * Reads the 8 bytes of an HTTP-version at `p`. Every byte before `limit` is
 * checked, so a malformed version is reported as soon as its first wrong byte
 * arrives, not only once 8 bytes are there.
 *
 * @param buf the bytes
 * @param p offset of the `H`
 * @param limit bytes at or after this offset are not looked at
 * @returns `major * 10 + minor` (e.g. 11 for HTTP/1.1), or {@link VERSION_INCOMPLETE}, or {@link VERSION_MALFORMED}
 */
export function scanVersion(buf: Uint8Array, p: number, limit: number): number {
  for (let k = 0; k < 8; k++) {
    if (p + k >= limit) return VERSION_INCOMPLETE;
    const b = buf[p + k], want = SHAPE[k];
    if (want === 0 ? b < 0x30 || b > 0x39 : b !== want) return VERSION_MALFORMED;
  }
  return (buf[p + 5] - 0x30) * 10 + buf[p + 7] - 0x30;
}
