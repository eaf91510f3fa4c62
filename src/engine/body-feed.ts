import type { ProxyError } from "../errors.ts";
import { ChunkedDecoder } from "../http1/chunked.ts";

/** Where a request body's de-chunked bytes go (memory, then a spool file). */
export interface BodySink {
  /**
   * Takes the next body bytes (the array may be kept).
   * @throws {ProxyError} 413 past `--max-body`, 507 when the spool is full, 500 on other I/O errors
   */
  data(bytes: Uint8Array): void;
  /** Set while the sink cannot take more yet (a spool file opening): the client's socket is paused until it settles. */
  readonly backlog: Promise<void> | null;
  /**
   * For a large body of known length: the spool file the rest of the body
   * may be written into straight from the socket (`Socket.receiveToFile`),
   * opened, with everything taken so far written out.
   * @returns its descriptor; null when the body does not go to a file
   * @throws {ProxyError} 507 or 500, as {@link data}
   */
  direct?(): Promise<number | null>;
  /** Counts `bytes` written into the file by the socket after {@link direct}. */
  wroteDirect?(bytes: number): void;
  /** Writing into the file after {@link direct} failed: the sink reports it (the event log). @returns the error to end the request with */
  directFailed?(error: ProxyError): ProxyError;
}

/** The body framing a request declared (RFC 9112 §6.3); "none" needs no feed. */
export type BodyFraming = { kind: "length"; bytes: number } | { kind: "chunked" };

/**
 * Decodes one request body from the client's bytes into a {@link BodySink}:
 * a `Content-Length` body is counted, a chunked one de-chunked (extensions
 * and trailer fields dropped, RFC 9112 §7.1). It says how many bytes it used,
 * so a pipelined request's bytes after the body stay with the connection.
 */
export class BodyFeed {
  /** Settles when the body is complete, or with the error that ended it. */
  readonly done: Promise<void>;
  /** `--client-body-timeout`: longest pause between two reads, in ms. */
  readonly timeoutMs: number;
  /** Whether the whole body has arrived. */
  complete = false;
  /** Whether {@link fail} was called; later bytes are ignored. */
  failed = false;
  /** Set once the rest of this body could not go straight to a file: it is read here to its end, not asked again per read. */
  notDirect = false;
  readonly #sink: BodySink;
  #remaining: number;
  readonly #chunked: ChunkedDecoder | undefined;
  #resolve!: () => void;
  #reject!: (e: Error) => void;
  readonly #onData: (d: Uint8Array) => void;

  /**
   * @param maxTrailerBytes bound on the chunked trailer section (`--max-header-size`)
   */
  constructor(framing: BodyFraming, sink: BodySink, timeoutMs: number, maxTrailerBytes: number) {
    this.#sink = sink;
    this.timeoutMs = timeoutMs;
    this.#remaining = framing.kind === "length" ? framing.bytes : -1;
    this.#chunked = framing.kind === "chunked" ? new ChunkedDecoder(4096, maxTrailerBytes) : undefined;
    this.#onData = (d) => sink.data(d);
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A failure nobody awaits yet (the client left mid-head of the lifecycle) is not unhandled.
    this.done.catch(() => {});
  }

  /** See {@link BodySink.backlog}. */
  get backlog(): Promise<void> | null {
    return this.#sink.backlog;
  }

  /** Where the body goes. */
  get sink(): BodySink {
    return this.#sink;
  }

  /** Bytes of a `Content-Length` body still to come; -1 for a chunked one. */
  get remaining(): number {
    return this.#remaining;
  }

  /** Counts `bytes` the socket wrote straight into the sink's file (see {@link BodySink.direct}). */
  receivedDirect(bytes: number): void {
    this.#sink.wroteDirect?.(bytes);
    this.#remaining -= bytes;
    this.complete = this.#remaining === 0;
  }

  /**
   * Feeds client bytes.
   * @returns how many of them belong to this body
   * @throws {ParseError} 400 on a malformed chunked body; what the sink throws
   */
  push(bytes: Uint8Array): number {
    if (this.failed || this.complete) return 0;
    if (this.#chunked) {
      const used = this.#chunked.push(bytes, this.#onData);
      this.complete = this.#chunked.done;
      return used;
    }
    const take = Math.min(this.#remaining, bytes.byteLength);
    if (take > 0) this.#sink.data(take === bytes.byteLength ? bytes : bytes.subarray(0, take));
    this.#remaining -= take;
    this.complete = this.#remaining === 0;
    return take;
  }

  /** Marks the body complete. */
  succeed(): void {
    this.#resolve();
  }

  /** Ends the body with `error` (the client left, a timeout, the sink's error). */
  fail(error: Error): void {
    if (this.failed || this.complete) return;
    this.failed = true;
    this.#reject(error);
  }
}

/** Creates a {@link BodyFeed}. */
export function feedBody(framing: BodyFraming, sink: BodySink, timeoutMs: number, maxTrailerBytes: number): BodyFeed {
  return new BodyFeed(framing, sink, timeoutMs, maxTrailerBytes);
}
