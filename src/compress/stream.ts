/**
 * Compressing a response body as it is relayed: peer bytes in, the encoded
 * body out to the client, framed as HTTP/1.1 chunks or as a close-delimited
 * body, with backpressure both ways.
 *
 * @module
 */
import type { BodyTarget, RelayOutcome } from "../transport/types.ts";
import { type Coding, createCompressor, flushKind, type ZlibStream } from "./codings.ts";

/** How a {@link StreamCompressor} encodes and frames its output. */
export interface StreamOptions {
  coding: Coding;
  /** Compression level, see {@link Levels}. */
  level: number;
  /** Frame the output as chunks (RFC 9112 §7.1, an HTTP/1.1 client); else it is written as it is (close-delimited, HTTP/1.0). */
  chunked: boolean;
  /**
   * Flush the compressor after each peer read (a body of unknown length, a
   * stream): whatever the peer sent reaches the client at once instead of
   * waiting in the compressor for more, as nginx's `gzip` does on a flush
   * from the peer.
   */
  flushEachRead: boolean;
}

const LAST_CHUNK = new TextEncoder().encode("0\r\n\r\n");

/**
 * A body target that compresses: {@link write} takes identity bytes (the
 * peer's de-chunked payload) and the encoded bytes go to `out` (the client
 * connection) as the node:zlib stream produces them, on its own thread.
 *
 * Backpressure: `write` returns false while zlib's input queue is full and
 * {@link onDrain} fires when it empties; zlib's output is paused while `out`
 * is full (it takes `out.onDrain`). After the relay, {@link end} writes the
 * rest and the last chunk; {@link cancel} drops everything.
 *
 * All writes from one peer read come in one synchronous turn, so "after
 * each read" is a flush queued as a microtask: one flush per read, however
 * many chunks the read held.
 */
export class StreamCompressor implements BodyTarget {
  /** Called when {@link write} may be called again after it returned false. */
  onDrain: (() => void) | undefined;
  /** Encoded bytes handed to `out` so far, chunk framing excluded. */
  bytesOut = 0;
  readonly #z: ZlibStream;
  readonly #out: BodyTarget;
  readonly #chunked: boolean;
  readonly #flushEachRead: boolean;
  readonly #flushKind: number;
  #flushQueued = false;
  #done = false;
  #settle: ((o: RelayOutcome) => void) | undefined;
  readonly #result: Promise<RelayOutcome>;

  constructor(out: BodyTarget, o: StreamOptions) {
    this.#out = out;
    this.#chunked = o.chunked;
    this.#flushEachRead = o.flushEachRead;
    this.#flushKind = flushKind(o.coding);
    this.#result = new Promise((resolve) => (this.#settle = resolve));
    const z = this.#z = createCompressor(o.coding, o.level);
    z.on("data", this.#onData);
    z.on("drain", () => this.onDrain?.());
    z.on("end", () => {
      if (this.#done) return;
      if (this.#chunked) this.#out.write(LAST_CHUNK);
      this.#finish("complete");
    });
    z.on("error", () => this.#finish("upstream-error"));
    out.onDrain = () => {
      if (!this.#done) z.resume();
    };
  }

  /** Takes identity body bytes. @returns false when the caller should wait for {@link onDrain} */
  write(bytes: Uint8Array): boolean {
    if (this.#done) return true;
    const ok = this.#z.write(bytes);
    if (this.#flushEachRead && !this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
    return ok;
  }

  /**
   * The identity body is complete: encodes what is left and writes the end
   * (the last chunk when chunked).
   * @returns "complete" once everything went to `out`; "client-gone" after {@link cancel}; "upstream-error" when zlib failed
   */
  end(): Promise<RelayOutcome> {
    if (!this.#done) this.#z.end();
    return this.#result;
  }

  /** Drops the stream (the client left, or the peer broke off): nothing more is written. */
  cancel(outcome: RelayOutcome = "client-gone"): void {
    if (this.#done) return;
    this.#finish(outcome);
    this.#z.destroy();
  }

  /** Settles {@link end} once (later events, such as an error after a cancel, change nothing). */
  #finish(outcome: RelayOutcome): void {
    if (this.#done) return;
    this.#done = true;
    this.#out.onDrain = undefined;
    this.#settle!(outcome);
  }

  #flush = (): void => {
    this.#flushQueued = false;
    if (!this.#done && !this.#z.writableEnded) this.#z.flush(this.#flushKind);
  };

  #onData = (d: Uint8Array): void => {
    if (this.#done || d.byteLength === 0) return;
    this.bytesOut += d.byteLength;
    const ok = this.#out.write(this.#chunked ? chunk(d) : d);
    if (!ok) this.#z.pause();
  };
}

/** `d` as one chunk: size in hex, CRLF, the bytes, CRLF; one buffer, so one write. */
function chunk(d: Uint8Array): Uint8Array {
  const size = d.byteLength.toString(16);
  const out = new Uint8Array(size.length + d.byteLength + 4);
  for (let i = 0; i < size.length; i++) out[i] = size.charCodeAt(i);
  out[size.length] = 13;
  out[size.length + 1] = 10;
  out.set(d, size.length + 2);
  out[out.length - 2] = 13;
  out[out.length - 1] = 10;
  return out;
}
