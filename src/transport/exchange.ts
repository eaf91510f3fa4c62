import type { SocketEvents } from "../../runtime/socket-types.ts";
import { ParseError } from "../http1/errors.ts";
import { type Framing, responseFraming } from "../http1/framing.ts";
import { type ResponseHead } from "../http1/head.ts";
import { parseResponseHead } from "../http1/parse-response.ts";
import { endsHead, HeadBuffer } from "../http1/head-buffer.ts";
import { connectionTokens } from "../proxy/hop-by-hop.ts";
import { AttemptError } from "../errors.ts";
import { Deadline } from "../engine/deadline.ts";
import type { PeerConnection } from "./pool.ts";
import type { BodyTarget, ExchangeInput, RelayOutcome, SpoolSource } from "./types.ts";
import { BodyFramer } from "./body-framer.ts";
import { replaySpool } from "./replay.ts";

export type { BodyTarget, ExchangeInput, RelayOutcome, SpoolSource, UpstreamBody } from "./types.ts";

const SEND = 0, HEAD = 1, BODY = 2, DONE = 3;
const EMPTY = new Uint8Array(0);
// Response body bytes held while the client is slow, above which the peer is not read.
const HELD_BYTES = 256 * 1024;

/**
 * One request/response exchange on a peer connection (RFC 9112): writes the
 * head and body with backpressure, reads the response head (bounded; 1xx
 * interim responses handled, §15.2 of RFC 9110), then relays the body to
 * the client as its framing says, and finally returns the connection to the
 * keepalive pool when it can be reused.
 */
export class Exchange implements SocketEvents {
  /** The final response head, once {@link response} resolved. */
  head: ResponseHead | undefined;
  framing: Framing = { kind: "none" };
  /** The final head's `Connection` tokens, read once (the client's head builder reuses them). */
  connection: ReadonlySet<string> | undefined;
  /** Response bytes received so far (head included): 0 means the peer said nothing. */
  received = 0;
  /** Whether every request byte was handed to the socket. */
  sent = false;
  /** Whether any request byte was handed to the socket. */
  wroteAny = false;
  /** Body bytes relayed to the client. */
  relayed = 0;
  #phase = SEND;
  #buf: Uint8Array = EMPTY;
  // Where the unconsumed bytes of #buf start: the body after a final head is
  // not cut off with a view (JavaScriptCore's subarray costs a small GET's time).
  #off = 0;
  #resolveHead!: (h: ResponseHead) => void;
  #rejectHead!: (e: AttemptError) => void;
  readonly #headPromise: Promise<ResponseHead>;
  readonly #deadline: Deadline;
  #target: BodyTarget | undefined;
  #framer: BodyFramer | undefined;
  #endRelay: ((o: RelayOutcome) => void) | undefined;
  #reusable = true;
  #drainWaiter: (() => void) | undefined;
  #spool: SpoolSource | undefined;

  constructor(readonly conn: PeerConnection, readonly input: ExchangeInput) {
    this.#headPromise = new Promise((resolve, reject) => {
      this.#resolveHead = resolve;
      this.#rejectHead = reject;
    });
    conn.deadline ??= new Deadline(() => conn.onDeadline?.());
    conn.onDeadline = this.#timedOut;
    this.#deadline = conn.deadline;
    conn.uses++;
    conn.socket.events = this;
  }

  /**
   * Sends the request and resolves with the final response head.
   * @throws {AttemptError} reset (with `stale` when a reused connection
   *   closed before any response byte), send-timeout, read-timeout,
   *   invalid-response
   */
  response(): Promise<ResponseHead> {
    if (this.conn.socket.closed) this.#fail("reset", "The pooled connection was closed before use");
    else if (!this.#sendSmall()) void this.#send();
    return this.#headPromise;
  }

  /**
   * Sends a request with no body or a small one in one write, without an
   * async function's promise per request.
   * @returns false when the body needs {@link #send}
   */
  #sendSmall(): boolean {
    const b = this.input.body;
    const head = this.input.head;
    if (b.kind === "file" || (b.kind === "bytes" && b.bytes.byteLength + head.byteLength > 16384)) return false;
    this.wroteAny = true;
    if (b.kind === "none" || b.bytes.byteLength === 0) this.conn.socket.write(head);
    else {
      // One write, one segment for small requests.
      const one = new Uint8Array(head.byteLength + b.bytes.byteLength);
      one.set(head);
      one.set(b.bytes, head.byteLength);
      this.conn.socket.write(one);
    }
    if (this.#phase !== SEND) return true;
    this.sent = true;
    this.#phase = HEAD;
    this.#deadline.set(this.input.readTimeoutMs);
    return true;
  }

  /** Sends the head, then a large body from memory or the spool file, piece by piece as the socket takes it. */
  async #send(): Promise<void> {
    const s = this.conn.socket;
    const b = this.input.body;
    this.wroteAny = true;
    this.#deadline.set(this.input.sendTimeoutMs);
    s.write(this.input.head);
    if (b.kind === "bytes" && !(await this.#write(b.bytes))) return;
    if (b.kind === "file") {
      try {
        this.#spool = await this.input.openSpool(b.path);
        const sending = {
          socket: s,
          write: (bytes: Uint8Array) => this.#write(bytes),
          progressed: () => this.#deadline.set(this.input.sendTimeoutMs),
          sending: () => this.#phase === SEND,
        };
        if (!(await replaySpool(sending, this.#spool, b.size))) return;
      } catch (e) {
        if (this.#phase === SEND) this.#fail("reset", `Cannot replay the spool file: ${(e as Error).message}`);
        return;
      } finally {
        this.#spool?.close().catch(() => {});
      }
    }
    if (this.#phase !== SEND) return;
    this.sent = true;
    this.#phase = HEAD;
    this.#deadline.set(this.input.readTimeoutMs);
  }

  /** Writes and waits for the socket to drain when it is full. @returns false when the exchange ended meanwhile */
  async #write(bytes: Uint8Array): Promise<boolean> {
    if (this.conn.socket.write(bytes)) return this.#phase === SEND;
    await new Promise<void>((resolve) => (this.#drainWaiter = resolve));
    return this.#phase === SEND;
  }

  /** {@link SocketEvents.drain}: the peer took what was queued; sending goes on. */
  drain(): void {
    if (this.#phase === SEND) this.#deadline.set(this.input.sendTimeoutMs);
    const w = this.#drainWaiter;
    this.#drainWaiter = undefined;
    w?.();
  }

  /** {@link SocketEvents.data}: response head bytes, then body bytes for the relay. */
  data(bytes: Uint8Array): void {
    this.received += bytes.byteLength;
    if (this.#phase === BODY) return this.#relay(bytes);
    if (this.#phase === DONE) return;
    const seen = this.#buf.byteLength;
    if (seen === 0) this.#buf = bytes;
    else {
      this.#headIn.bytes = this.#buf;
      this.#headIn.append(bytes);
      this.#buf = this.#headIn.bytes;
    }
    // The parser runs when the head can be complete, or is too large.
    if (seen === 0 || endsHead(this.#buf, seen) || this.#buf.byteLength > this.input.maxHeadBytes) this.#parseHead();
    else if (this.#phase === HEAD) this.#deadline.set(this.input.readTimeoutMs);
  }

  // Grows a head that comes in pieces without copying it whole each time.
  readonly #headIn = new HeadBuffer();

  #parseHead(): void {
    for (;;) {
      let h: ResponseHead | null;
      try {
        h = parseResponseHead(this.#buf, this.input.maxHeadBytes);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        return this.#fail("invalid-response", `Invalid response head: ${e.message}`);
      }
      if (h === null) {
        if (this.#phase === HEAD) this.#deadline.set(this.input.readTimeoutMs);
        return;
      }
      if (h.length === this.#buf.byteLength) this.#buf = EMPTY;
      else this.#off = h.length;
      if (h.status >= 100 && h.status < 200 && h.status !== 101) {
        this.#buf = this.#take();
        // RFC 9110 §15.2: 100 answers an Expect holdfast already answered itself.
        if (h.status !== 100) this.input.onInterim(h);
        continue;
      }
      try {
        this.framing = responseFraming(h, this.input.method);
      } catch (e) {
        return this.#fail("invalid-response", `Invalid response framing: ${(e as Error).message}`);
      }
      this.head = h;
      if (this.#phase === SEND) {
        // An early answer (e.g. 413) before the body was sent: stop sending, never reuse.
        this.#reusable = false;
        this.#drainWaiter?.();
      }
      this.#phase = BODY;
      this.#deadline.clear();
      this.connection = connectionTokens(h);
      if (h.minor === 0 || this.connection?.has("close") || this.framing.kind === "close" || h.status === 101) this.#reusable = false;
      return this.#resolveHead(h);
    }
  }

  /**
   * The whole `Content-Length` body when it has already arrived with the
   * head (the usual case for a small response): the connection is released
   * at once, without a promise.
   * @returns whether it was (the bytes are then {@link bodyBuf}); else use {@link relay}
   */
  collect(): boolean {
    const f = this.framing;
    const have = this.#buf.byteLength - this.#off;
    if (f.kind !== "length" || have < f.bytes || this.#phase !== BODY) return false;
    if (have > f.bytes) this.#reusable = false;
    this.bodyBuf = this.#buf;
    this.bodyStart = this.#off;
    this.bodyEnd = this.#off + f.bytes;
    this.relayed = f.bytes;
    this.#buf = EMPTY;
    this.#off = 0;
    this.#finish("complete");
    return true;
  }

  /** After {@link collect}: the body is `bodyBuf[bodyStart..bodyEnd)`. */
  bodyBuf: Uint8Array = EMPTY;
  /** See {@link bodyBuf}. */
  bodyStart = 0;
  /** See {@link bodyBuf}. */
  bodyEnd = 0;

  /** The unconsumed bytes, taken out of the buffer. */
  #take(): Uint8Array {
    const rest = this.#off === 0 ? this.#buf : this.#buf.subarray(this.#off);
    this.#buf = EMPTY;
    this.#off = 0;
    return rest;
  }

  /**
   * Relays the response body to `target`, with backpressure both ways.
   * @param dechunk de-chunk a chunked body (an HTTP/1.0 client); else it is relayed as received
   * @returns how the body ended; on "complete" the peer connection went back to the pool
   */
  relay(target: BodyTarget, dechunk: boolean): Promise<RelayOutcome> {
    this.#target = target;
    const f = this.framing;
    this.#framer = new BodyFramer(f, dechunk, this.input.maxHeadBytes);
    const done = new Promise<RelayOutcome>((resolve) => (this.#endRelay = resolve));
    target.onDrain = () => {
      if (this.#phase === BODY) this.#resume();
    };
    if (f.kind === "none" || (f.kind === "length" && f.bytes === 0)) {
      if (this.#buf.byteLength > this.#off) this.#reusable = false;
      this.#finish("complete");
      return done;
    }
    this.#deadline.set(this.input.readTimeoutMs);
    const rest = this.#take();
    if (rest.byteLength) this.#relay(rest);
    if (this.#phase === BODY) this.#resume();
    return done;
  }

  #relay(bytes: Uint8Array): void {
    const t = this.#target;
    if (!t) {
      // Not relaying yet (the head is being judged, for a microtask or so):
      // keep the bytes, and stop reading if the peer sends a lot meanwhile.
      const held = this.#take();
      this.#buf = held.byteLength === 0 ? bytes : join(held, bytes);
      if (this.#buf.byteLength > HELD_BYTES) this.#pause();
      return;
    }
    this.#deadline.set(this.input.readTimeoutMs);
    const framer = this.#framer!;
    let ok: boolean;
    try {
      ok = framer.push(bytes, t);
    } catch {
      return this.#finish("upstream-error");
    }
    this.relayed = framer.relayed;
    if (framer.extra) this.#reusable = false;
    if (framer.complete) return this.#finish("complete");
    if (!ok) this.#pause();
  }

  // Each pause or resume is a system call (epoll_ctl): only when it changes something.
  #paused = false;
  #pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.conn.socket.pause();
  }
  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.conn.socket.resume();
  }

  /** {@link SocketEvents.end}: the peer's FIN ends a close-delimited body; anything else was broken off. */
  end(): void {
    if (this.#phase === BODY && this.#target && this.framing.kind === "close") return this.#finish("complete");
    this.#broke();
  }

  /** {@link SocketEvents.close}: see {@link end}. */
  close(error?: Error): void {
    if (this.#phase === BODY && this.#target && this.framing.kind === "close") return this.#finish("complete");
    this.#broke(error);
  }

  #broke(error?: Error): void {
    if (this.#phase === DONE) return;
    if (this.#phase === BODY) {
      if (this.#target) return this.#finish("upstream-error");
      this.#reusable = false;
      return;
    }
    const stale = this.conn.reused && this.received === 0;
    this.#fail("reset", `Connection ${error ? `broken (${error.message})` : "closed"} by the peer before its response head`, stale);
  }

  #timedOut = (): void => {
    if (this.#phase === SEND) {
      this.#fail("send-timeout", `The peer took no request bytes for --send-timeout ${this.input.sendTimeoutMs} ms`);
    } else if (this.#phase === HEAD) this.#fail("read-timeout", `No response head within --read-timeout ${this.input.readTimeoutMs} ms`);
    else if (this.#phase === BODY && this.#target) this.#finish("read-timeout");
  };

  #fail(kind: AttemptError["kind"], message: string, stale = false): void {
    if (this.#phase === DONE) return;
    this.#phase = DONE;
    this.#deadline.stop();
    this.#drainWaiter?.();
    this.conn.socket.destroy();
    this.#rejectHead(Object.assign(new AttemptError(kind, message), { stale }));
  }

  #finish(outcome: RelayOutcome): void {
    if (this.#phase === DONE) return;
    this.#phase = DONE;
    if (outcome === "complete" && this.#reusable) this.#deadline.clear();
    else this.#deadline.stop();
    if (this.#target) this.#target.onDrain = undefined;
    const end = this.#endRelay;
    this.#endRelay = undefined;
    if (outcome !== "complete" || !this.#reusable) this.conn.socket.destroy();
    else {
      // An idle pooled connection must read, to hear its peer close it.
      this.#resume();
      this.onReusable?.(this.conn);
    }
    end?.(outcome);
  }

  /** Set by the caller: receives the connection when it can go back to the keepalive pool. */
  onReusable: ((conn: PeerConnection) => void) | undefined;

  /** Abandons the exchange (the client left, or holdfast gave up): the connection closes. */
  cancel(outcome: RelayOutcome = "client-gone"): void {
    if (this.#phase === DONE) return;
    this.#reusable = false;
    if (this.#phase === BODY) return this.#finish(outcome);
    this.#fail("reset", "Cancelled");
  }

  /**
   * Takes the connection over after a 101 (the tunnel): no more framing.
   * @returns bytes the peer sent after the 101 head
   */
  detach(): Uint8Array {
    this.#phase = DONE;
    this.#deadline.stop();
    return this.#take();
  }
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}
