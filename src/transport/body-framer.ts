import { ChunkedDecoder } from "../http1/chunked.ts";
import type { Framing } from "../http1/framing.ts";
import type { BodyTarget } from "./types.ts";

/**
 * Finds the end of a response body in the peer's bytes, by its framing
 * (RFC 9112 §6.3), and passes the body on: a `Content-Length` body counted,
 * a chunked one either relayed exactly as received (its chunked decoder only
 * finds the end) or de-chunked for an HTTP/1.0 client, a close-delimited one
 * passed on until the peer closes.
 */
export class BodyFramer {
  /** Body bytes passed to the target (de-chunked bytes when de-chunking). */
  relayed = 0;
  /** Whether the body has ended (never for a close-delimited body: the peer's close ends it). */
  complete = false;
  /** Whether the peer sent bytes after the body: its connection cannot be reused. */
  extra = false;
  readonly #framing: Framing;
  readonly #dechunk: boolean;
  #remaining: number;
  readonly #chunked: ChunkedDecoder | undefined;

  /**
   * @param dechunk de-chunk a chunked body; else it is relayed as received
   * @param maxTrailerBytes bound on a chunked body's trailer section, in bytes
   */
  constructor(framing: Framing, dechunk: boolean, maxTrailerBytes: number) {
    this.#framing = framing;
    this.#dechunk = dechunk;
    this.#remaining = framing.kind === "length" ? framing.bytes : 0;
    this.#chunked = framing.kind === "chunked" ? new ChunkedDecoder(4096, maxTrailerBytes) : undefined;
  }

  /**
   * Passes the body's part of `bytes` to `target`.
   * @returns false when the target asked to wait for its drain
   * @throws {ParseError} a malformed chunked body (the relay maps it to a broken-off response)
   */
  push(bytes: Uint8Array, target: BodyTarget): boolean {
    const f = this.#framing;
    let out = bytes;
    if (f.kind === "length") {
      if (bytes.byteLength >= this.#remaining) {
        if (bytes.byteLength > this.#remaining) this.extra = true;
        out = bytes.subarray(0, this.#remaining);
        this.complete = true;
      }
      this.#remaining -= out.byteLength;
    } else if (this.#chunked) {
      if (this.#dechunk) {
        let ok = true;
        this.#chunked.push(bytes, (d) => {
          this.relayed += d.byteLength;
          ok = target.write(d) && ok;
        });
        this.complete = this.#chunked.done;
        return ok;
      }
      const used = this.#chunked.push(bytes, noop);
      if (used < bytes.byteLength) this.extra = true;
      out = used === bytes.byteLength ? bytes : bytes.subarray(0, used);
      this.complete = this.#chunked.done;
    }
    this.relayed += out.byteLength;
    return out.byteLength === 0 || target.write(out);
  }
}

function noop(): void {}
