import type { Socket, SocketEvents } from "../../runtime/socket-types.ts";
import { ParseError } from "../http1/errors.ts";
import type { RequestHead } from "../http1/head.ts";
import { parseRequestHead } from "../http1/parse-request.ts";
import { endsHead } from "../http1/head-buffer.ts";
import { reasonOf } from "../http1/reasons.ts";
import { ClientGoneError } from "../errors.ts";
import type { BodyFeed } from "./body-feed.ts";
import { BODY, BUSY, type ClientLimits, CLOSED, ConnectionState, HEAD, IDLE, LINGER, TUNNEL } from "./conn-state.ts";
import { feedBody, receiveBody } from "./client-body.ts";
import { lingerRead, respondAndLinger } from "./own-response.ts";
import { CONTINUE, probeAfterFin } from "./half-close.ts";
import { handOff } from "./tunnel-handoff.ts";

export type { ClientLimits } from "./conn-state.ts";

/** Starts a request's lifecycle; called once per parsed head, in order. */
export type StartRequest = (conn: ClientConnection, head: RequestHead) => void;

/**
 * Receives a request head parse failure for the log: status, reason, and the
 * bytes of the response body holdfast sends; `conn.input.bytes` still holds
 * what was received.
 */
export type OnParseError = (conn: ClientConnection, status: number, message: string, sentBytes: number) => void;

// Bytes of body a read may carry with a head before the head is copied out of it.
const HEAD_COPY_SLACK = 16 * 1024;

/**
 * One client connection: reads request heads (RFC 9112 §2-5), one request at
 * a time in order (pipelined bytes wait their turn, so responses go out in
 * request order, §9.3.2), routes body bytes to the request that reads them,
 * and decides after each response whether the connection stays open
 * (keep-alive, `--keepalive-requests`, a client's half-close).
 *
 * A half-closed client (a FIN after a complete request) still gets its
 * response. A client that closes or resets is known gone at once: a FIN
 * while its response is pending is followed by an interim `100 Continue`
 * probe that only a closed socket answers, with a reset (half-close.ts).
 *
 * Its fields, getters and ways to close (`abort`, `closeIfIdle`) are in
 * conn-state.ts; this file holds the per-request path.
 */
export class ClientConnection extends ConnectionState implements SocketEvents {
  /**
   * Takes the socket's events; `--client-header-timeout` runs from now.
   * @param start called with each request head, in order
   * @param onParseError called when a head does not parse, before its 4xx goes out
   */
  constructor(socket: Socket, limits: ClientLimits, readonly start: StartRequest, readonly onParseError: OnParseError) {
    super(socket, limits);
    this.deadline.set(limits.headerTimeoutMs);
    socket.events = this;
  }

  // ---- socket events ----

  /** {@link SocketEvents.data}: a head's bytes, a body's, a pipelined request's, or a tunnel's. */
  data(bytes: Uint8Array): void {
    switch (this.phase) {
      case IDLE:
      case HEAD: {
        const seen = this.input.bytes.byteLength;
        this.input.append(bytes);
        // The parser runs when the head can be complete, or is too large.
        if (seen === 0 || endsHead(this.input.bytes, seen) || this.input.bytes.byteLength > this.limits.maxHeadBytes) this.#parse();
        else this.#startHead();
        return;
      }
      case BODY:
        return feedBody(this, bytes);
      case BUSY:
        this.input.append(bytes);
        // Pipelined requests wait; bound what waits with them.
        if (this.input.bytes.byteLength > this.limits.maxHeadBytes) this.pause();
        return;
      case TUNNEL:
        this.tunnelData?.(bytes);
        return;
      case LINGER:
        return lingerRead(this);
    }
  }

  /** {@link SocketEvents.end}: the client's FIN; a half-close unless it cuts a head or a body short. */
  end(): void {
    this.finReceived = true;
    switch (this.phase) {
      case IDLE:
      case HEAD:
      case LINGER:
        return this.closeGracefully();
      case BODY:
        return this.body!.fail(new ClientGoneError());
      case BUSY:
        return probeAfterFin(this);
      case TUNNEL:
        this.tunnelEnd?.();
        return;
    }
  }

  /** {@link SocketEvents.drain}: the client took what was queued; the relay reads the peer again. */
  drain(): void {
    this.onDrain?.();
  }

  /** {@link SocketEvents.close}: the connection is gone; a request in progress learns it (499). */
  close(error?: Error): void {
    const was = this.phase;
    this.onClosed?.();
    this.phase = CLOSED;
    this.deadline.stop();
    if (was === BODY) this.body!.fail(new ClientGoneError());
    else if (was === BUSY || was === TUNNEL) this.onGone?.(error ?? new ClientGoneError());
  }

  // ---- what a request's lifecycle calls ----

  /**
   * Reads the request body through `feed` (de-chunking, counting) into its
   * sink, starting with bytes already received (client-body.ts). Bytes after
   * the body stay for the next request.
   * @throws {ClientGoneError} when the client leaves first; {@link ProxyError}
   *   408 after `--client-body-timeout` without a byte, or what the sink or
   *   the chunked decoder threw (413, 507, 400)
   */
  readBody(feed: BodyFeed): Promise<void> {
    return receiveBody(this, feed);
  }

  /** Sends an interim `100 Continue` (RFC 9110 §10.1.1) before the body is read. */
  sendContinue(): void {
    this.socket.write(CONTINUE);
  }

  /** Writes a response head (an interim 1xx may come first). */
  writeHead(bytes: Uint8Array, final = true): boolean {
    if (final) this.responseStarted = true;
    return this.socket.write(bytes);
  }

  /** Writes response body bytes. @returns false when the caller should wait for {@link onDrain} */
  write(bytes: Uint8Array): boolean {
    return this.socket.write(bytes);
  }

  /**
   * The response is complete. The next pipelined request starts, or the
   * connection waits for one (`--keepalive-timeout`), or closes after the
   * bytes are flushed when `keepAlive` is false, the client half-closed, or
   * `--keepalive-requests` is reached.
   */
  finish(keepAlive: boolean): void {
    this.onGone = undefined;
    this.onDrain = undefined;
    this.head = undefined;
    this.body = undefined;
    this.responseStarted = false;
    this.closeRequested = false;
    if (this.phase === CLOSED) return;
    if (!keepAlive || this.requests >= this.limits.keepaliveRequests) return this.closeGracefully();
    this.phase = IDLE;
    this.resume();
    if (this.input.bytes.byteLength > 0) return this.#parse();
    if (this.finReceived) return this.closeGracefully();
    this.deadline.set(this.limits.keepaliveTimeoutMs);
  }

  /** Whether the next response should say `Connection: close` (keep-alive ends after it). */
  get lastRequest(): boolean {
    return this.closeRequested || this.finReceived || this.requests >= this.limits.keepaliveRequests;
  }

  /**
   * Sends a complete response holdfast made itself, then closes with a
   * lingering close (the rest of an unread body is read and dropped for up to
   * 5 s, nginx `lingering_close`) so the client reads the response instead
   * of a reset (own-response.ts). Nothing when the connection is closed.
   */
  respondAndClose(status: number, reason: string, body: Uint8Array, extra: [string, string][] = []): void {
    respondAndLinger(this, status, reason, body, extra);
  }

  /**
   * Hands the connection to a tunnel (after a 101): client bytes go to
   * `onData`, the client's FIN to `onEnd`; bytes that came after the
   * handshake are delivered first (tunnel-handoff.ts).
   */
  tunnel(onData: (bytes: Uint8Array) => void, onEnd: () => void): void {
    handOff(this, onData, onEnd);
  }

  // ---- the head of the next request ----

  #startHead(): void {
    if (this.phase !== IDLE) return;
    this.phase = HEAD;
    this.deadline.set(this.limits.headerTimeoutMs);
  }

  #parse(): void {
    this.#startHead();
    let head: RequestHead | null;
    try {
      head = parseRequestHead(this.input.bytes, this.limits.maxHeadBytes);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      const body = new TextEncoder().encode(`${e.status} ${e.message}\n`);
      this.onParseError(this, e.status, e.message, body.byteLength);
      this.respondAndClose(e.status, reasonOf(e.status), body);
      return;
    }
    if (head === null) {
      if (this.finReceived) this.closeGracefully();
      return;
    }
    // The head lives as long as its request, and its bytes are usually one
    // read's own buffer: when that read also carried a large piece of the
    // body (an upload's first read is 64-512 KiB), the head keeps a copy of
    // itself, so the rest can be freed once it is spooled.
    // (The view's length, not its buffer's: `.buffer` makes JavaScriptCore materialise an ArrayBuffer per read.)
    if (head.buf.byteLength - head.length > HEAD_COPY_SLACK) head.buf = head.buf.slice(0, head.length);
    this.input.consume(head.length);
    this.head = head;
    this.requests++;
    this.phase = BUSY;
    this.deadline.clear();
    this.start(this, head);
  }
}
