/**
 * The chunked transfer coding decoder (RFC 9112 §7.1): an explicit state
 * machine, one state per position in the grammar, so input may be split at any
 * byte and every partial line stays bounded (nginx's `ngx_http_parse_chunked`,
 * Pingora's `Chunked` body state).
 *
 * @module
 */
import { ParseError } from "./errors.ts";
import { EXT_AFTER_ITEM, EXT_CR, EXT_LF, extStep } from "./_chunk-ext.ts";
import { COLON, CR, FIELD_VALUE, HEX, HTAB, LF, SP, TCHAR } from "./_tables.ts";

// Where the decoder stands in `chunked-body = *chunk last-chunk trailer-section CRLF`.
const SIZE_START = 0, SIZE = 1, EXT = 2, SIZE_LF = 3; // chunk-size [ chunk-ext ] CRLF (extension sub-state in #ext)
const DATA = 4, DATA_CR = 5, DATA_LF = 6; // chunk-data CRLF
const TRAILER_START = 7, TRAILER_NAME = 8, TRAILER_VALUE = 9, TRAILER_LF = 10, END_LF = 11; // trailer-section CRLF (§7.1.2)
const DONE = 12;

// 13 hex digits hold 2^52 - 1: one more could pass Number.MAX_SAFE_INTEGER.
const MAX_SIZE_BEFORE_DIGIT = 2 ** 48;

/**
 * Decodes one chunked body, fed in pieces of any size.
 *
 * Chunk extensions (`;name`, `;name=token`, `;name="quoted"`) are checked against
 * RFC 9112 §7.1.1's grammar and ignored; BWS is allowed only where the grammar has
 * it (before `;`, around `=`). Lines end in CRLF or a bare LF (RFC 9112 §2.2 MAY).
 * The trailer section is checked with the head's field rules (token name, colon
 * right after it, no control bytes in the value, no obs-fold) and dropped: holdfast
 * forwards the decoded body with Content-Length, and RFC 9112 §7.1.2 lets "a recipient that
 * removes the chunked coding" discard trailer fields.
 *
 * @example
 * ```ts
 * const d = new ChunkedDecoder();
 * const used = d.push(bytes, (data) => spool.write(data));
 * if (d.done) nextMessage(bytes.subarray(used));
 * ```
 */
export class ChunkedDecoder {
  #state = SIZE_START;
  #ext = EXT_AFTER_ITEM;
  #size = 0; // chunk-size being read, then bytes of chunk-data left
  #lineBytes = 0;
  #trailerBytes = 0;
  #bodyBytes = 0;
  readonly #maxLineBytes: number;
  readonly #maxTrailerBytes: number;

  /**
   * @param maxLineBytes most bytes of one chunk-size line, extensions and CRLF included (nginx: no bound;
   *   Pingora: 8 KiB)
   * @param maxTrailerBytes most bytes of the trailer section after the last-chunk line, final CRLF included
   */
  constructor(maxLineBytes = 4096, maxTrailerBytes = 16384) {
    this.#maxLineBytes = maxLineBytes;
    this.#maxTrailerBytes = maxTrailerBytes;
  }

  /** Whether the whole body, trailer section and final CRLF included, has been read. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /** De-chunked body bytes passed to `onData` so far. */
  get bodyBytes(): number {
    return this.#bodyBytes;
  }

  /**
   * Feeds bytes; calls onData with subarrays of `input` (no copies) holding de-chunked data. Subarrays are
   * views: copy them if `input` will be reused after onData returns. If onData throws, the decoder is unusable.
   *
   * @param input the next bytes of the connection
   * @param onData called zero or more times per push, in order, with non-empty views of `input`
   * @returns how many bytes of input were consumed: less than input.length only when the message ended (done);
   *   the rest belongs to the next message (pipelining). 0 once done.
   * @throws {ParseError} 400 on malformed input: an invalid chunk size (not HEXDIG, more than 13 significant
   *   digits), a size line over `maxLineBytes`, a malformed extension, no CRLF after chunk data, a malformed
   *   trailer field, a trailer section over `maxTrailerBytes`. The message says how many body bytes were read.
   */
  push(input: Uint8Array, onData: (data: Uint8Array) => void): number {
    const n = input.length;
    let p = 0;
    while (p < n) {
      const state = this.#state;
      if (state === DATA) {
        const take = this.#size < n - p ? this.#size : n - p;
        this.#size -= take;
        this.#bodyBytes += take;
        if (this.#size === 0) this.#state = DATA_CR;
        onData(input.subarray(p, p + take));
        p += take;
        continue;
      }
      if (state === DONE) break;
      const b = input[p++];
      if (state < DATA) {
        if (++this.#lineBytes > this.#maxLineBytes) this.#fail("chunk size line too long");
        this.#state = this.#sizeLine(state, b);
      } else if (state < TRAILER_START) {
        // DATA_CR takes CR or a bare LF; DATA_LF only the LF.
        if (b === LF) this.#state = SIZE_START;
        else if (b === CR && state === DATA_CR) this.#state = DATA_LF;
        else this.#fail("no CRLF after chunk data");
      } else {
        if (++this.#trailerBytes > this.#maxTrailerBytes) this.#fail("trailer section too large");
        this.#state = this.#trailer(state, b);
      }
    }
    return p;
  }

  /** One byte of `chunk-size [ chunk-ext ] CRLF`; returns the next state. */
  #sizeLine(state: number, b: number): number {
    if (state === SIZE_LF) return b === LF ? this.#sizeLineDone() : this.#fail("bare CR in chunk size line");
    if (state !== EXT) {
      if (HEX[b] !== 0) {
        if (this.#size >= MAX_SIZE_BEFORE_DIGIT) this.#fail("chunk size over 13 hex digits");
        this.#size = this.#size * 16 + HEX[b] - 1;
        return SIZE;
      }
      if (state === SIZE_START) this.#fail("invalid chunk size");
      this.#ext = EXT_AFTER_ITEM;
    }
    const next = extStep(this.#ext, b);
    if (next >= 0) {
      this.#ext = next;
      return EXT;
    }
    if (next === EXT_CR) return SIZE_LF;
    if (next === EXT_LF) return this.#sizeLineDone();
    return this.#fail(state === SIZE ? "invalid chunk size" : "invalid chunk size line");
  }

  #sizeLineDone(): number {
    this.#lineBytes = 0;
    // The last-chunk (size 0) leads to the trailer section.
    return this.#size === 0 ? TRAILER_START : DATA;
  }

  /** One byte of `trailer-section CRLF`, field lines as in a head (RFC 9112 §7.1.2, §5). */
  #trailer(state: number, b: number): number {
    switch (state) {
      case TRAILER_START:
        if (TCHAR[b] === 1) return TRAILER_NAME;
        if (b === CR) return END_LF;
        if (b === LF) return DONE;
        return this.#fail(b === SP || b === HTAB ? "obs-fold in trailer section" : "invalid trailer field name");
      case TRAILER_NAME:
        return TCHAR[b] === 1 ? TRAILER_NAME : b === COLON ? TRAILER_VALUE : this.#fail("invalid trailer field name");
      case TRAILER_VALUE:
        if (FIELD_VALUE[b] === 1) return TRAILER_VALUE;
        if (b === CR) return TRAILER_LF;
        return b === LF ? TRAILER_START : this.#fail("invalid trailer field value");
      case TRAILER_LF:
        return b === LF ? TRAILER_START : this.#fail("bare CR in trailer section");
      default: // END_LF
        return b === LF ? DONE : this.#fail("bare CR at the end of the chunked body");
    }
  }

  #fail(what: string): never {
    throw new ParseError(400, `Invalid chunked body: ${what} after ${this.#bodyBytes} body bytes`);
  }
}
