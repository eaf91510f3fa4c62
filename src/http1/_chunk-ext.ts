/**
 * The chunk-ext part of a chunk-size line (RFC 9112 §7.1.1), one byte at a time:
 * `*( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )` then CRLF.
 * Extensions are checked and dropped; only the grammar matters.
 *
 * @module
 */
import { BACKSLASH, CR, DQUOTE, EQUALS, FIELD_VALUE, HTAB, LF, QDTEXT, SEMI, SP, TCHAR } from "./_tables.ts";

/** After the chunk-size or a whole extension: BWS, `;`, or the line end may follow. */
export const EXT_AFTER_ITEM = 0;
const BWS = 1, BEFORE_NAME = 2, NAME = 3, AFTER_NAME = 4, BEFORE_VALUE = 5, TOKEN_VALUE = 6, QUOTED = 7, QUOTED_PAIR = 8;
/** {@link extStep} result: the line ended with CR; an LF must follow. */
export const EXT_CR = -1;
/** {@link extStep} result: the line ended (bare LF, RFC 9112 §2.2). */
export const EXT_LF = -2;
/** {@link extStep} result: the byte breaks the grammar. */
export const EXT_INVALID = -3;

/**
 * The state after byte `b` in extension state `state`.
 *
 * BWS is allowed only where the grammar has it: before `;` and around `=`, not
 * before the line end (`5 \r\n` and `5;a \r\n` are invalid).
 *
 * @param state {@link EXT_AFTER_ITEM} or a state this function returned
 * @param b the next byte of the line
 * @returns the next state (>= 0), or {@link EXT_CR}, {@link EXT_LF}, {@link EXT_INVALID}
 */
export function extStep(state: number, b: number): number {
  const ws = b === SP || b === HTAB;
  switch (state) {
    case EXT_AFTER_ITEM:
      return ws ? BWS : b === SEMI ? BEFORE_NAME : b === CR ? EXT_CR : b === LF ? EXT_LF : EXT_INVALID;
    case BWS:
      return ws ? BWS : b === SEMI ? BEFORE_NAME : EXT_INVALID;
    case BEFORE_NAME:
      return ws ? BEFORE_NAME : TCHAR[b] === 1 ? NAME : EXT_INVALID;
    case NAME:
      if (TCHAR[b] === 1) return NAME;
      if (ws) return AFTER_NAME;
      return b === EQUALS ? BEFORE_VALUE : b === SEMI ? BEFORE_NAME : b === CR ? EXT_CR : b === LF ? EXT_LF : EXT_INVALID;
    case AFTER_NAME:
      return ws ? AFTER_NAME : b === EQUALS ? BEFORE_VALUE : b === SEMI ? BEFORE_NAME : EXT_INVALID;
    case BEFORE_VALUE:
      return ws ? BEFORE_VALUE : TCHAR[b] === 1 ? TOKEN_VALUE : b === DQUOTE ? QUOTED : EXT_INVALID;
    case TOKEN_VALUE:
      return TCHAR[b] === 1 ? TOKEN_VALUE : extStep(EXT_AFTER_ITEM, b);
    case QUOTED:
      // qdtext, or a quoted-pair (RFC 9110 §5.6.4).
      return b === DQUOTE ? EXT_AFTER_ITEM : b === BACKSLASH ? QUOTED_PAIR : QDTEXT[b] === 1 ? QUOTED : EXT_INVALID;
    default: // QUOTED_PAIR: "\" ( HTAB / SP / VCHAR / obs-text ), the bytes of a field value.
      return FIELD_VALUE[b] === 1 ? QUOTED : EXT_INVALID;
  }
}
