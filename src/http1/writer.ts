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

// Heads are carved one after another out of slabs of this size (Node's Buffer
// pool does the same with 8 KiB): a new ArrayBuffer per head costs 0.6-1.3 µs
// on Deno (V8 allocates it off-heap), a view of a slab almost nothing.
const SLAB_BYTES = 16384;

/**
 * A byte buffer for heads, one at a time.
 *
 * `finish()` returns a view of the bytes written since the previous `finish()`.
 * Views come out of a shared 16 KiB slab, one after another, and a region once
 * handed out is never written again: a finished head stays valid and unchanged
 * however the writer is used afterwards, so one writer may serve every request.
 * The cost of that sharing: `head.buffer` holds other heads too (use `head`
 * itself, never `head.buffer` alone, and never transfer it), and a head that is
 * kept keeps its slab alive. bench/micro-http1.ts compares this with an exact
 * copy per head: on Deno the copy costs 3-5x the whole head's writing; on Bun
 * they are even.
 *
 * @example
 * ```ts
 * const w = new HeadWriter();
 * const head = w.ascii("HTTP/1.1 200 OK").crlf().ascii("content-length: 2").crlf().crlf().finish();
 * ```
 */
export class HeadWriter {
  #slab: Uint8Array;
  #start = 0; // where the head being written starts in the slab
  #len = 0; // where the next byte goes

  /** @param slabBytes bytes of each slab; a head larger than a slab gets a slab twice its size */
  constructor(slabBytes = SLAB_BYTES) {
    this.#slab = new Uint8Array(Math.max(64, slabBytes));
  }

  /** Bytes written since the last `finish()`. */
  get length(): number {
    return this.#len - this.#start;
  }

  /**
   * Writes each char of `s` as one byte (latin1; ASCII is the usual case).
   *
   * @param s text whose chars are all U+0000-U+00FF, none of them CR, LF or NUL (use {@link crlf} for line ends)
   * @throws {TypeError} on a char above U+00FF or a CR, LF or NUL. The whole head written since the last
   *   `finish()` is discarded too, so a writer shared across requests never starts the next head with the
   *   remains of a failed one.
   */
  ascii(s: string): this {
    const n = s.length;
    if (this.#len + n > this.#slab.length) this.#grow(n);
    const buf = this.#slab, at = this.#len;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff || UNSAFE[c] === 1) {
        this.#len = this.#start;
        throw new TypeError(`Cannot write ${JSON.stringify(s)} in a head: char ${i} is not allowed`);
      }
      buf[at + i] = c;
    }
    this.#len = at + n;
    return this;
  }

  /**
   * Copies bytes in, e.g. a raw field line of a received head (`head.buf.subarray(nameStart, valueEnd)`).
   * Not checked: the bytes come from a parsed head or are the caller's responsibility.
   *
   * @param b the bytes to copy
   */
  bytes(b: Uint8Array): this {
    return this.range(b, 0, b.byteLength);
  }

  /**
   * Copies `src[start..end)` in, like `bytes(src.subarray(start, end))` without
   * making the view: a short range (a target, a host) is copied byte by byte,
   * which costs less than a typed-array view in JavaScriptCore (bench/hot-path.ts).
   */
  range(src: Uint8Array, start: number, end: number): this {
    const n = end - start;
    if (this.#len + n > this.#slab.length) this.#grow(n);
    if (n > 48) {
      this.#slab.set(src.subarray(start, end), this.#len);
    } else {
      const out = this.#slab, at = this.#len - start;
      for (let i = start; i < end; i++) out[at + i] = src[i];
    }
    this.#len += n;
    return this;
  }

  /** Writes CR LF (RFC 9112 §2.1: holdfast always sends CRLF, never a bare LF). */
  crlf(): this {
    if (this.#len + 2 > this.#slab.length) this.#grow(2);
    this.#slab[this.#len++] = 0x0d;
    this.#slab[this.#len++] = 0x0a;
    return this;
  }

  /**
   * The head written since the last `finish()`; the writer then starts the next head.
   *
   * @returns a view of exactly the head's bytes (`byteLength` = bytes written), never written again by the writer
   */
  finish(): Uint8Array {
    const out = this.#slab.subarray(this.#start, this.#len);
    this.#start = this.#len;
    return out;
  }

  /** Moves the head being written to a fresh slab with room for `more` bytes; the old slab stays with the views into it. */
  #grow(more: number): void {
    const used = this.#len - this.#start;
    const next = new Uint8Array(Math.max(this.#slab.length, 2 * (used + more)));
    next.set(this.#slab.subarray(this.#start, this.#len));
    this.#slab = next;
    this.#start = 0;
    this.#len = used;
  }
}
