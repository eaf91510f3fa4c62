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

/**
 * Decodes `buf[start, end)` as latin1: byte n becomes U+00nn.
 *
 * @param buf the bytes
 * @param start first byte offset (inclusive)
 * @param end last byte offset (exclusive); `end <= start` gives ""
 * @returns a string of `end - start` chars
 */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  // Below ~16 chars, one fromCharCode per byte beats building a subarray for apply (measured on Bun and Deno).
  if (end - start < 16) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
    return s;
  }
  if (end - start <= PIECE) return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
  let s = "";
  for (let i = start; i < end; i += PIECE) {
    s += String.fromCharCode.apply(null, buf.subarray(i, Math.min(end, i + PIECE)) as unknown as number[]);
  }
  return s;
}
