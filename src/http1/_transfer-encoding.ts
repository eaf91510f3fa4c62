/**
 * Reads the Transfer-Encoding fields of a head (RFC 9112 §6.1, §7) into one
 * verdict, so the framing functions can walk RFC 9112 §6.3 without parsing.
 *
 * @module
 */
import { ascii, type Head, nameIs } from "./head.ts";
import { COMMA, HTAB, LOWER, SP, TCHAR } from "./_tables.ts";

/** No Transfer-Encoding field. */
export const TE_ABSENT = 0;
/** `chunked` alone: the only coding holdfast can remove. */
export const TE_CHUNKED = 1;
/** Other codings, then `chunked` last (e.g. `gzip, chunked`). */
export const TE_CODED_CHUNKED = 2;
/** The final coding is not `chunked` (e.g. `gzip`, `chunked, gzip`): RFC 9112 §6.3 item 4. */
export const TE_NOT_FINAL = 3;
/** `chunked` more than once: RFC 9112 §6.1 "MUST NOT apply the chunked transfer coding more than once". */
export const TE_TWICE = 4;
/** Not a list of tokens: empty, parameters (RFC 9112 §7: chunked defines none), quotes, stray bytes. */
export const TE_MALFORMED = 5;

const TRANSFER_ENCODING = ascii("transfer-encoding");
const CHUNKED = ascii("chunked");

/**
 * Combines every Transfer-Encoding field, in order, as one comma list (RFC 9110 §5.3),
 * codings compared case-insensitively (RFC 9112 §7). Empty list elements are
 * skipped (RFC 9110 §5.6.1).
 *
 * @param h a parsed head
 * @returns one of the `TE_*` constants; the worst finding wins, in the order MALFORMED, TWICE, NOT_FINAL
 */
export function transferCodings(h: Head): number {
  const { buf, fields } = h;
  let present = false, codings = 0, chunked = 0, lastChunked = false;
  for (let i = 0; i < h.count; i++) {
    if (!nameIs(h, i, TRANSFER_ENCODING)) continue;
    present = true;
    let p = fields[4 * i + 2];
    const end = fields[4 * i + 3];
    while (p < end) {
      const b = buf[p];
      if (b === COMMA || b === SP || b === HTAB) {
        p++;
        continue;
      }
      const start = p;
      while (p < end && TCHAR[buf[p]] === 1) p++;
      if (p === start) return TE_MALFORMED;
      const isChunked = same(buf, start, p, CHUNKED);
      while (p < end && (buf[p] === SP || buf[p] === HTAB)) p++;
      if (p < end && buf[p] !== COMMA) return TE_MALFORMED;
      codings++;
      if (isChunked) chunked++;
      lastChunked = isChunked;
    }
  }
  if (!present) return TE_ABSENT;
  if (codings === 0) return TE_MALFORMED;
  if (chunked > 1) return TE_TWICE;
  if (!lastChunked) return TE_NOT_FINAL;
  return codings === 1 ? TE_CHUNKED : TE_CODED_CHUNKED;
}

function same(buf: Uint8Array, start: number, end: number, lower: Uint8Array): boolean {
  if (end - start !== lower.length) return false;
  for (let k = 0; k < lower.length; k++) if (LOWER[buf[start + k]] !== lower[k]) return false;
  return true;
}
