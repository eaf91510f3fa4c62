/**
 * Method tokens as strings, interned for the common ones.
 *
 * @module
 */
import { latin1 } from "./_latin1.ts";

/**
 * The method token `buf[s, e)` as a string: the methods of RFC 9110 §9 and PATCH are
 * constants (no allocation, and `===` compares pointers), others are decoded.
 *
 * @param buf the bytes
 * @param s first byte of the method
 * @param e end of the method (exclusive)
 * @returns the method, case preserved (methods are case-sensitive, RFC 9110 §9.1)
 */
export function methodName(buf: Uint8Array, s: number, e: number): string {
  const b0 = buf[s];
  switch (e - s) {
    case 3:
      if (b0 === 0x47 && buf[s + 1] === 0x45 && buf[s + 2] === 0x54) return "GET";
      if (b0 === 0x50 && buf[s + 1] === 0x55 && buf[s + 2] === 0x54) return "PUT";
      break;
    case 4:
      if (b0 === 0x50 && buf[s + 1] === 0x4f && buf[s + 2] === 0x53 && buf[s + 3] === 0x54) return "POST";
      if (b0 === 0x48 && buf[s + 1] === 0x45 && buf[s + 2] === 0x41 && buf[s + 3] === 0x44) return "HEAD";
      break;
    case 5:
      if (same(buf, s, "PATCH")) return "PATCH";
      if (same(buf, s, "TRACE")) return "TRACE";
      break;
    case 6:
      if (same(buf, s, "DELETE")) return "DELETE";
      break;
    case 7:
      if (same(buf, s, "OPTIONS")) return "OPTIONS";
      if (same(buf, s, "CONNECT")) return "CONNECT";
      break;
  }
  return latin1(buf, s, e);
}

function same(buf: Uint8Array, s: number, name: string): boolean {
  for (let k = 0; k < name.length; k++) if (buf[s + k] !== name.charCodeAt(k)) return false;
  return true;
}
