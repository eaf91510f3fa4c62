import type { Head } from "../http1/head.ts";
import type { HeadWriter } from "../http1/writer.ts";

/**
 * Copies the field lines of a received head that a forwarded message keeps,
 * byte for byte and in order. With CRLF line ends throughout (bare LF is
 * allowed, RFC 9112 §2.2, and is rewritten as CRLF), a run of kept lines is
 * copied as one range, separators and all, rather than line by line.
 *
 * One copier serves one head at a time: {@link start}, then {@link line} for
 * every field in order, then {@link end}.
 */
export class FieldCopier {
  #w!: HeadWriter;
  #h!: Head;
  #crlf = false;
  #runStart = -1;

  /** Begins copying fields of `h` into `w`. */
  start(w: HeadWriter, h: Head): this {
    this.#w = w;
    this.#h = h;
    this.#crlf = linesEndInCRLF(h);
    this.#runStart = -1;
    return this;
  }

  /** Field `i` is kept (`keep`) or dropped. */
  line(i: number, keep: boolean): void {
    const h = this.#h;
    const ns = h.fields[4 * i];
    if (!this.#crlf) {
      if (keep) this.#w.range(h.buf, ns, h.fields[4 * i + 3]).crlf();
    } else if (keep) {
      if (this.#runStart < 0) this.#runStart = ns;
    } else if (this.#runStart >= 0) {
      this.#w.range(h.buf, this.#runStart, ns);
      this.#runStart = -1;
    }
  }

  /** Writes the last run of kept lines. */
  end(): void {
    // The last field line's CRLF ends 2 bytes before the head does.
    if (this.#runStart >= 0) this.#w.range(this.#h.buf, this.#runStart, this.#h.length - 2);
    this.#runStart = -1;
  }
}

/**
 * Whether every field line of `h` ends in CRLF, so runs of lines can be
 * copied as they are. Each field name follows its predecessor's line end;
 * the head ends with CRLF CRLF.
 */
export function linesEndInCRLF(h: Head): boolean {
  const b = h.buf;
  const e = h.length;
  if (b[e - 1] !== 10 || b[e - 2] !== 13 || (h.count > 0 && (b[e - 3] !== 10 || b[e - 4] !== 13))) return false;
  for (let i = 0; i < h.count; i++) {
    const ns = h.fields[4 * i];
    if (b[ns - 1] !== 10 || b[ns - 2] !== 13) return false;
  }
  return true;
}
