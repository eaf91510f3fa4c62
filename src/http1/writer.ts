/**
 * Builds a head as bytes without concatenating it as one string first.
 *
 * @module
 */

// Control bytes that would end a line or a string early in the peer's parser:
// writing one through ascii() would let a value inject a field or a message
// (RFC 9110 §5.5 "a field value MUST NOT contain CR, LF or NUL"; response splitting, RFC 9112 §11.1).
const UNSAFE = new Uint8Array(256);
UNSAFE[0x00] = UNSAFE[0x0a] = UNSAFE[0x0d] = 1;

/**
 * A growable byte buffer for one head at a time.
 *
 * `finish()` returns a fresh, exactly sized copy and empties the writer, so one
 * writer may be reused for head after head and what it returned stays valid
 * (bench/micro-http1.ts: the copy costs less than allocating a new writer per head).
 *
 * @example
 * ```ts
 * const w = new HeadWriter();
 * const head = w.ascii("HTTP/1.1 200 OK").crlf().ascii("content-length: 2").crlf().crlf().finish();
 * ```
 */
export class HeadWriter {
  #buf: Uint8Array;
  #len = 0;

  /** @param initialBytes starting capacity in bytes; the buffer doubles as needed */
  constructor(initialBytes = 1024) {
    this.#buf = new Uint8Array(Math.max(16, initialBytes));
  }

  /** Bytes written since the last `finish()`. */
  get length(): number {
    return this.#len;
  }

  /**
   * Writes each char of `s` as one byte (latin1; ASCII is the usual case).
   *
   * @param s text whose chars are all U+0000-U+00FF, none of them CR, LF or NUL (use {@link crlf} for line ends)
   * @throws {TypeError} on a char above U+00FF or a CR, LF or NUL; nothing of `s` is kept then
   */
  ascii(s: string): this {
    const n = s.length;
    if (this.#len + n > this.#buf.length) this.#grow(n);
    const buf = this.#buf, start = this.#len;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff || UNSAFE[c] === 1) throw new TypeError(`Cannot write ${JSON.stringify(s)} in a head: char ${i} is not allowed`);
      buf[start + i] = c;
    }
    this.#len = start + n;
    return this;
  }

  /**
   * Copies bytes in, e.g. a raw field line of a received head (`head.buf.subarray(nameStart, valueEnd)`).
   * Not checked: the bytes come from a parsed head or are the caller's responsibility.
   *
   * @param b the bytes to copy
   */
  bytes(b: Uint8Array): this {
    if (this.#len + b.length > this.#buf.length) this.#grow(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  /** Writes CR LF (RFC 9112 §2.1: holdfast always sends CRLF, never a bare LF). */
  crlf(): this {
    if (this.#len + 2 > this.#buf.length) this.#grow(2);
    this.#buf[this.#len++] = 0x0d;
    this.#buf[this.#len++] = 0x0a;
    return this;
  }

  /**
   * The head written so far, as a new `Uint8Array` of exactly its length; the writer is then empty and reusable.
   *
   * @returns a copy the caller owns
   */
  finish(): Uint8Array {
    const out = this.#buf.slice(0, this.#len);
    this.#len = 0;
    return out;
  }

  #grow(more: number): void {
    let size = this.#buf.length * 2;
    while (size < this.#len + more) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }
}
