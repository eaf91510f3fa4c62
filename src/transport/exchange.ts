import type { SocketEvents } from "../../runtime/socket-types.ts";
import { endsHead, HeadBuffer } from "../http1/head-buffer.ts";
import type { ResponseHead } from "../http1/head.ts";
import type { PeerConnection } from "./pool.ts";
import type { BodyTarget, ExchangeInput, RelayOutcome } from "./types.ts";
import { BODY, DONE, EMPTY, ExchangeState, HEAD, SEND } from "./exchange-state.ts";
import { sendLarge, sendSmall } from "./send.ts";
import { parseHead } from "./read-head.ts";
import { relayBytes, startRelay } from "./relay.ts";

export type { BodyTarget, ExchangeInput, RelayOutcome, SpoolSource, UpstreamBody } from "./types.ts";

/**
 * One request/response exchange on a peer connection (RFC 9112): writes the
 * head and body with backpressure (send.ts), reads the response head
 * (bounded; 1xx interim responses handled, §15.2 of RFC 9110; read-head.ts),
 * then relays the body to the client as its framing says (relay.ts), and
 * finally returns the connection to the keepalive pool when it can be reused.
 *
 * Its state, with its fields (`head`, `framing`, `connection`, `received`,
 * `sent`, `wroteAny`, `relayed`, `bodyBuf`, `onReusable`, ...), is declared
 * in exchange-state.ts; this file holds the socket events and the calls a
 * small GET makes.
 */
export class Exchange extends ExchangeState implements SocketEvents {
  constructor(conn: PeerConnection, input: ExchangeInput) {
    super(conn, input);
    conn.socket.events = this;
  }

  /**
   * Sends the request (on the first call only) and resolves with the final response head.
   * @throws {AttemptError} reset (with `stale` when a reused connection
   *   closed before any response byte), send-timeout, read-timeout,
   *   invalid-response
   */
  response(): Promise<ResponseHead> {
    if (this.#sending) return this.headPromise;
    this.#sending = true;
    if (this.conn.socket.closed) this.fail("reset", "The pooled connection was closed before use", false, true);
    else if (!sendSmall(this)) void sendLarge(this);
    return this.headPromise;
  }

  // The request is sent by the first response() call only.
  #sending = false;

  /** {@link SocketEvents.drain}: the peer took what was queued; sending goes on. */
  drain(): void {
    if (this.phase === SEND) this.deadline.set(this.input.sendTimeoutMs);
    const w = this.drainWaiter;
    this.drainWaiter = undefined;
    w?.();
  }

  /** {@link SocketEvents.data}: response head bytes, then body bytes for the relay. */
  data(bytes: Uint8Array): void {
    this.received += bytes.byteLength;
    if (this.phase === BODY) return relayBytes(this, bytes);
    if (this.phase === DONE) return;
    const seen = this.buf.byteLength;
    if (seen === 0) this.buf = bytes;
    else {
      this.#headIn.bytes = this.buf;
      this.#headIn.append(bytes);
      this.buf = this.#headIn.bytes;
    }
    // The parser runs when the head can be complete, or is too large.
    if (seen === 0 || endsHead(this.buf, seen) || this.buf.byteLength > this.input.maxHeadBytes) parseHead(this);
    else if (this.phase === HEAD) this.deadline.set(this.input.readTimeoutMs);
  }

  // Grows a head that comes in pieces without copying it whole each time.
  readonly #headIn = new HeadBuffer();

  /**
   * The whole `Content-Length` body when it has already arrived with the
   * head (the usual case for a small response): the connection is released
   * at once, without a promise.
   * @returns whether it was (the bytes are then {@link bodyBuf}); else use {@link relay}
   */
  collect(): boolean {
    const f = this.framing;
    const have = this.buf.byteLength - this.off;
    if (f.kind !== "length" || have < f.bytes || this.phase !== BODY) return false;
    if (have > f.bytes) this.reusable = false;
    this.bodyBuf = this.buf;
    this.bodyStart = this.off;
    this.bodyEnd = this.off + f.bytes;
    this.relayed = f.bytes;
    this.buf = EMPTY;
    this.off = 0;
    this.finish("complete");
    return true;
  }

  /**
   * Relays the response body to `target`, with backpressure both ways (relay.ts).
   * @param dechunk de-chunk a chunked body (an HTTP/1.0 client); else it is relayed as received
   * @returns how the body ended; on "complete" the peer connection went back to the pool
   */
  relay(target: BodyTarget, dechunk: boolean): Promise<RelayOutcome> {
    return startRelay(this, target, dechunk);
  }

  /** {@link SocketEvents.end}: the peer's FIN ends a close-delimited body; anything else was broken off. */
  end(): void {
    if (this.phase === BODY && this.target && this.framing.kind === "close") return this.finish("complete");
    this.#broke();
  }

  /** {@link SocketEvents.close}: see {@link end}. */
  close(error?: Error): void {
    if (this.phase === BODY && this.target && this.framing.kind === "close") return this.finish("complete");
    this.#broke(error);
  }

  #broke(error?: Error): void {
    if (this.phase === DONE) return;
    if (this.phase === BODY) {
      if (this.target) return this.finish("upstream-error");
      this.reusable = false;
      return;
    }
    const stale = this.conn.reused && this.received === 0;
    const incomplete = !this.sent && this.received === 0;
    this.fail(
      "reset",
      `Connection ${error ? `broken (${error.message})` : "closed"} by the peer before its response head`,
      stale,
      incomplete,
    );
  }

  /** Abandons the exchange (the client left, or holdfast gave up): the connection closes. */
  cancel(outcome: RelayOutcome = "client-gone"): void {
    if (this.phase === DONE) return;
    this.reusable = false;
    if (this.phase === BODY) return this.finish(outcome);
    this.fail("reset", "Cancelled");
  }

  /**
   * Takes the connection over after a 101 (the tunnel): no more framing.
   * @returns bytes the peer sent after the 101 head
   */
  detach(): Uint8Array {
    this.phase = DONE;
    this.deadline.stop();
    return this.take();
  }
}
