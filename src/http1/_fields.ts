/**
 * The field section of a head (RFC 9112 §5): `field-name ":" OWS field-value OWS`
 * lines up to the empty line. Shared by the request and response parsers, which
 * differ only in the status their errors carry.
 *
 * @module
 */
import { ParseError } from "./errors.ts";
import { valueEnd } from "./_scan-value.ts";
import { COLON, CR, HTAB, LF, SP, TCHAR } from "./_tables.ts";

/**
 * Most fields a head may hold. nginx has no count limit (only bytes); holdfast
 * bounds everything, and 256 is far above the 20-40 fields browsers send.
 */
export const MAX_FIELDS = 256;

/** Returned by {@link scanFields} when `limit` came before the empty line. */
export const FIELDS_INCOMPLETE = -1;

/**
 * Scans field lines from `p` through the empty line that ends the head,
 * appending 4 offsets per field to `fields`. Line ends are CRLF or a bare LF
 * (RFC 9112 §2.2 MAY); a bare CR is an error (§2.2 MUST reject or replace: holdfast rejects).
 *
 * @param buf the bytes
 * @param p offset of the first field line
 * @param limit bytes at or after this offset are not looked at
 * @param fields output: nameStart, nameEnd, valueStart, valueEnd per field
 * @param bad status of a malformed line: 400 for requests, 502 for responses
 * @param tooMany status when a head has more than {@link MAX_FIELDS} fields: 431 for requests, 502 for responses
 * @returns the offset just after the empty line, or {@link FIELDS_INCOMPLETE}
 * @throws {ParseError} `bad`: whitespace before the colon or an obs-fold line (RFC 9112 §5.1, §5.2 MUST reject),
 *   an empty or non-token name, a control byte (NUL, bare CR, DEL...) in a value (RFC 9110 §5.5);
 *   `tooMany`: field count over {@link MAX_FIELDS}
 */
export function scanFields(buf: Uint8Array, p: number, limit: number, fields: number[], bad: number, tooMany: number): number {
  for (;;) {
    if (p >= limit) return FIELDS_INCOMPLETE;
    let b = buf[p];
    if (b === CR) {
      if (p + 1 >= limit) return FIELDS_INCOMPLETE;
      if (buf[p + 1] !== LF) throw new ParseError(bad, "Invalid head: bare CR in the empty line");
      return p + 2;
    }
    if (b === LF) return p + 1;
    if (fields.length === 4 * MAX_FIELDS) throw new ParseError(tooMany, `Invalid head: more than ${MAX_FIELDS} fields`);
    const nameStart = p;
    while (p < limit && TCHAR[buf[p]] === 1) p++;
    if (p >= limit) return FIELDS_INCOMPLETE;
    b = buf[p];
    if (b !== COLON || p === nameStart) throw new ParseError(bad, nameError(b, p === nameStart, fields.length / 4));
    const nameEnd = p++;
    while (p < limit && (buf[p] === SP || buf[p] === HTAB)) p++;
    const valueStart = p;
    p = valueEnd(buf, p, limit);
    if (p >= limit) return FIELDS_INCOMPLETE;
    let end = p;
    b = buf[p];
    if (b === CR) {
      if (p + 1 >= limit) return FIELDS_INCOMPLETE;
      if (buf[p + 1] !== LF) throw new ParseError(bad, `Invalid field value: bare CR in field ${fields.length / 4 + 1}`);
      p += 2;
    } else if (b === LF) {
      p++;
    } else {
      throw new ParseError(bad, `Invalid field value: byte 0x${hex(b)} in field ${fields.length / 4 + 1}`);
    }
    // The value excludes trailing OWS (RFC 9112 §5); leading OWS was skipped above.
    while (end > valueStart && (buf[end - 1] === SP || buf[end - 1] === HTAB)) end--;
    fields.push(nameStart, nameEnd, valueStart, end);
  }
}

function nameError(b: number, empty: boolean, index: number): string {
  const which = `field ${index + 1}`;
  if (empty && (b === SP || b === HTAB)) return `Invalid head: obs-fold or whitespace at the start of ${which}`;
  if (empty && b === COLON) return `Invalid field name: empty name in ${which}`;
  if (b === SP || b === HTAB) return `Invalid field name: whitespace before the colon in ${which}`;
  if (b === CR || b === LF) return `Invalid field name: no colon in ${which}`;
  return `Invalid field name: byte 0x${hex(b)} in ${which}`;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0");
}
