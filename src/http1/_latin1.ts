/**
 * Bytes to string, one char per byte (ISO-8859-1), without TextDecoder: its
 * "latin1" label is windows-1252 in WHATWG Encoding, which remaps 0x80-0x9F,
 * and a decoder call costs more than the few bytes a method or target holds.
 *
 * @module
 */

// fromCharCode.apply spreads its arguments on the stack; pieces of 8 KiB stay
// far below every engine's argument limit.
const PIECE = 8192;
// Copying into a reused plain array and applying fromCharCode to it beat a
// per-byte loop, applying to a subarray, and 8-argument calls, on both Bun and
// Deno, from 8 to 2048 bytes (measured while writing this; targets are ~10-100 bytes).
const scratch: number[] = [];

/**
 * Decodes `buf[start, end)` as latin1: byte n becomes U+00nn.
 *
 * @param buf the bytes
 * @param start first byte offset (inclusive)
 * @param end last byte offset (exclusive); `end <= start` gives ""
 * @returns a string of `end - start` chars
 */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i += PIECE) {
    const n = Math.min(end - i, PIECE);
    scratch.length = n;
    for (let k = 0; k < n; k++) scratch[k] = buf[i + k];
    s += String.fromCharCode.apply(null, scratch);
  }
  return s;
}
