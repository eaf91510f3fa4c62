import type { BodySink } from "../engine/body-feed.ts";
import { ProxyError } from "../errors.ts";
import type { BodyStream } from "../transport/types.ts";

// Client bytes waiting for the peer, above which the client's socket is paused.
const QUEUE_BYTES = 256 * 1024;

/**
 * A request body passed to the peer as the client sends it (nginx
 * `proxy_request_buffering off`): the client's reads go into a small queue
 * (the {@link BodySink} side, fed by the client connection), and the
 * exchange takes them out (the {@link BodyStream} side). Past 256 KiB
 * queued, the client's socket is paused until the peer takes more, so a
 * request held while its peer is down keeps at most that in memory.
 */
export class RequestStream implements BodySink, BodyStream {
  /** Whether a body byte was handed to a try: from then on the request cannot be replayed. */
  started = false;
  /** Body bytes received from the client (de-chunked). */
  size = 0;
  /** The error that ended the client's body, once it failed. */
  error: Error | undefined;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #reader: { resolve(b: Uint8Array | null): void; reject(e: Error): void } | undefined;
  #backlog: Promise<void> | null = null;
  #release: (() => void) | undefined;

  /**
   * @param chunked the client's body is chunked: it is sent chunked too
   * @param maxBodyBytes `--max-body` / `max-body=` (nginx `client_max_body_size`): 413 past it; 0 = no limit
   */
  constructor(readonly chunked: boolean, readonly maxBodyBytes: number) {}

  /**
   * {@link BodySink.data}: the client's next bytes.
   * @throws {ProxyError} 413 past the route's max-body
   */
  data(bytes: Uint8Array): void {
    this.size += bytes.byteLength;
    if (this.maxBodyBytes > 0 && this.size > this.maxBodyBytes) {
      throw new ProxyError(413, `Request body is larger than max-body ${this.maxBodyBytes}`);
    }
    const r = this.#reader;
    if (r) {
      this.#reader = undefined;
      this.started = true;
      return r.resolve(bytes);
    }
    this.#queue.push(bytes);
    this.#queued += bytes.byteLength;
    if (this.#queued > QUEUE_BYTES && !this.#backlog) this.#backlog = new Promise((resolve) => (this.#release = resolve));
  }

  /** {@link BodySink.backlog}: set while more than 256 KiB wait for the peer. */
  get backlog(): Promise<void> | null {
    return this.#backlog;
  }

  /** The client's body is complete. */
  end(): void {
    this.#ended = true;
    const r = this.#reader;
    this.#reader = undefined;
    r?.resolve(null);
  }

  /** The client's body failed (`error`: it left, 408, 413, 400): the exchange's read rejects with it. */
  fail(error: Error): void {
    this.error ??= error;
    const r = this.#reader;
    this.#reader = undefined;
    r?.reject(error);
    this.#unblock();
  }

  /** See {@link BodyStream.read}. */
  read(): Promise<Uint8Array | null> {
    // A try that failed before its first byte may still wait here: the next try takes its place.
    this.#reader?.reject(new Error("A later try reads the body"));
    this.#reader = undefined;
    if (this.#queue.length > 0) {
      this.started = true;
      const b = this.#queue.shift()!;
      this.#queued -= b.byteLength;
      if (this.#queued <= QUEUE_BYTES / 2) this.#unblock();
      return Promise.resolve(b);
    }
    if (this.error) return Promise.reject(this.error);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => (this.#reader = { resolve, reject }));
  }

  /** Whether the client's whole body arrived. */
  get complete(): boolean {
    return this.#ended;
  }

  #unblock(): void {
    const release = this.#release;
    this.#release = undefined;
    this.#backlog = null;
    release?.();
  }
}
