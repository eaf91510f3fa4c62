/**
 * Byte-class lookup tables for the parsers: one `Uint8Array(256)` per class,
 * indexed by the byte, so each test in a hot loop is one load and no branch
 * chain (the approach of nginx's `usual[]` and httparse's tables).
 *
 * @module
 */

/** Byte values used by name in the parsers. */
export const CR = 0x0d,
  LF = 0x0a,
  SP = 0x20,
  HTAB = 0x09,
  COLON = 0x3a,
  SEMI = 0x3b,
  COMMA = 0x2c,
  EQUALS = 0x3d,
  DQUOTE = 0x22,
  BACKSLASH = 0x5c;

function table(accept: (b: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = accept(b) ? 1 : 0;
  return t;
}

const isAlnum = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);

/** 1 for tchar (RFC 9110 §5.6.2): methods, field names, transfer codings, chunk-extension names. */
export const TCHAR: Uint8Array = table((b) => isAlnum(b) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b)));

/** 1 for field-vchar, obs-text, SP and HTAB: the bytes a field value may hold (RFC 9112 §5, RFC 9110 §5.5). */
export const FIELD_VALUE: Uint8Array = table((b) => (b >= 0x21 && b !== 0x7f) || b === SP || b === HTAB);

/**
 * 1 for the bytes a request-target may hold: VCHAR (0x21-0x7E) only. RFC 9112 §3.2's
 * forms are built from RFC 3986 ASCII; obs-text is not part of them.
 */
export const TARGET: Uint8Array = table((b) => b >= 0x21 && b <= 0x7e);

/** 1 for qdtext of a quoted-string (RFC 9110 §5.6.4): HTAB, SP, 0x21, 0x23-0x5B, 0x5D-0x7E, obs-text. */
export const QDTEXT: Uint8Array = table((b) => b === HTAB || b === SP || b === 0x21 || (b >= 0x23 && b !== 0x5c && b !== 0x7f));

/** Value of a HEXDIG plus one; 0 for any other byte (so `HEX[b] - 1` is the digit). */
export const HEX: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let d = 0; d < 10; d++) t[0x30 + d] = d + 1;
  for (let d = 0; d < 6; d++) t[0x41 + d] = t[0x61 + d] = d + 11;
  return t;
})();

/** ASCII lowercase of each byte (A-Z to a-z, every other byte unchanged): case-insensitive compares without `| 0x20` aliasing `^` and `~`. */
export const LOWER: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
  return t;
})();
