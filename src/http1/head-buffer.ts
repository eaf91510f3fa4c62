/**
 * Collects a head that arrives in pieces, so that bytes dribbled one read at
 * a time cost linear, not quadratic, work: appends grow one buffer by
 * doubling instead of copying everything so far, and {@link endsHead} tells
 * whether the new bytes can have completed the head, so the parser runs
 * once per head rather than once per read (a 64 KiB head sent a byte at a
 * time would otherwise be copied and scanned 64 Ki times).
 *
 * @module
 */

const EMPTY = new Uint8Array(0);

/** Accumulated bytes of a connection that is reading a head. */
export class HeadBuffer {
  /** The bytes not consumed yet; a view into the accumulator or a read's own array. */
  bytes: Uint8Array = EMPTY;
  #acc: Uint8Array = EMPTY;

  /**
   * Appends a read. The first read is kept as it is (no copy); later ones go
   * into a buffer that doubles as needed. Views handed out before (a parsed
   * head's `buf`) are never written over: the accumulator is only written
   * past the end of what `bytes` covered.
   */
  append(read: Uint8Array): void {
    const have = this.bytes;
    if (have.byteLength === 0) {
      this.bytes = read;
      return;
    }
    const len = have.byteLength;
    const need = len + read.byteLength;
    const inPlace = have.buffer === this.#acc.buffer && have.byteOffset === this.#acc.byteOffset && need <= this.#acc.byteLength;
    if (!inPlace) {
      const acc = new Uint8Array(Math.max(need, 2 * len, 4096));
      acc.set(have);
      this.#acc = acc;
    }
    this.#acc.set(read, len);
    this.bytes = this.#acc.subarray(0, need);
  }

  /** Drops the first `n` bytes (a head, or a head and its body). */
  consume(n: number): void {
    this.bytes = n >= this.bytes.byteLength ? EMPTY : this.bytes.subarray(n);
  }

  /** Takes every byte out. */
  take(): Uint8Array {
    const b = this.bytes;
    this.bytes = EMPTY;
    return b;
  }
}

/**
 * Whether `buf` holds the empty line that ends a head (RFC 9112 §2.1: CRLF
 * CRLF, or LF LF and LF CRLF where bare LF is accepted, §2.2) with its last
 * LF at or after `from`: the bytes before `from` were looked at already.
 */
export function endsHead(buf: Uint8Array, from: number): boolean {
  for (let p = buf.indexOf(10, Math.max(1, from)); p >= 0; p = buf.indexOf(10, p + 1)) {
    if (buf[p - 1] === 10 || (buf[p - 1] === 13 && p >= 2 && buf[p - 2] === 10)) return true;
  }
  return false;
}
