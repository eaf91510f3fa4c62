/**
 * The state of one request/response exchange on a peer connection, and the
 * two ways it ends ({@link ExchangeState.fail} before the final response
 * head, {@link ExchangeState.finish} after it), which every part may take.
 *
 * Exchange (exchange.ts) extends it with the socket events and what
 * the proxy calls; the parts of the exchange live next to it and work on
 * this state: send.ts (the request), read-head.ts (the response head and
 * interim responses), relay.ts (the response body). Members under "for
 * src/transport/ only" are public so that those modules can reach them, not
 * for the rest of holdfast, which uses what Exchange documents. They are
 * fields of the exchange itself, not of an object it points to: a small GET
 * allocates nothing more for the split.
 *
 * @module
 */
import type { Framing } from "../http1/framing.ts";
import type { ResponseHead } from "../http1/head.ts";
import { AttemptError } from "../errors.ts";
import { Deadline } from "../engine/deadline.ts";
import type { PeerConnection } from "./pool.ts";
import type { BodyTarget, ExchangeInput, RelayOutcome, SpoolSource } from "./types.ts";
import type { BodyFramer } from "./body-framer.ts";

/**
 * Phases of an exchange ({@link ExchangeState.phase}): sending the request,
 * reading the response head, reading its body, done (the connection went
 * back to the pool, was closed, or was detached for a tunnel).
 */
export const SEND = 0, HEAD = 1, BODY = 2, DONE = 3;
/** No bytes: {@link ExchangeState.buf} when nothing is held. */
export const EMPTY = new Uint8Array(0);

/** An exchange's state; see the module comment for who reads what. */
export abstract class ExchangeState {
  /** The final response head, once `response()` resolved. */
  head: ResponseHead | undefined;
  /** How the final head frames its body (RFC 9112 §6.3), once `response()` resolved. */
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
  /** After `collect()`: the body is `bodyBuf[bodyStart..bodyEnd)`. */
  bodyBuf: Uint8Array = EMPTY;
  /** See {@link bodyBuf}. */
  bodyStart = 0;
  /** See {@link bodyBuf}. */
  bodyEnd = 0;
  /** Set by the caller: receives the connection when it can go back to the keepalive pool. */
  onReusable: ((conn: PeerConnection) => void) | undefined;

  // ---- for src/transport/ only ----

  /** One of {@link SEND} .. {@link DONE}: what a read, a drain or a timeout means now. */
  phase = SEND;
  /**
   * Response bytes not consumed yet, from {@link off}: a head coming in, then
   * body bytes that came with it or before the relay started.
   */
  buf: Uint8Array = EMPTY;
  /**
   * Where the unconsumed bytes of {@link buf} start: the body after a final
   * head is not cut off with a view (JavaScriptCore's subarray costs a small
   * GET's time).
   */
  off = 0;
  /** Settles `response()`: with the final head (read-head.ts) or an {@link AttemptError} ({@link fail}). */
  readonly headPromise: Promise<ResponseHead>;
  /** Resolves {@link headPromise}. */
  resolveHead!: (h: ResponseHead) => void;
  /** Rejects {@link headPromise}; only {@link fail} calls it. */
  rejectHead!: (e: AttemptError) => void;
  /** The peer connection's one timer: `--send-timeout`, then `--read-timeout`, as the phase says. */
  readonly deadline: Deadline;
  /** Where the body goes, once `relay()` was called (relay.ts). */
  target: BodyTarget | undefined;
  /** Finds the body's end by its framing, once `relay()` was called. */
  framer: BodyFramer | undefined;
  /** Settles `relay()` with how the body ended. */
  endRelay: ((o: RelayOutcome) => void) | undefined;
  /** Whether the connection may go back to the pool when the body is complete. */
  reusable = true;
  /** Wakes the sender waiting for the socket to drain (send.ts); also called when the exchange ends meanwhile. */
  drainWaiter: (() => void) | undefined;
  /** The spool file being replayed, closed when the replay ends (send.ts). */
  spool: SpoolSource | undefined;

  /**
   * @param conn the peer connection, fresh or from the pool; its deadline is now this exchange's
   * @param input the request and the limits it is sent and answered under
   */
  constructor(readonly conn: PeerConnection, readonly input: ExchangeInput) {
    this.headPromise = new Promise((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    conn.deadline ??= new Deadline(() => conn.timing?.timedOut());
    conn.timing = this;
    this.deadline = conn.deadline;
    conn.uses++;
  }

  /** Takes the unconsumed bytes out of {@link buf} (for src/transport/ only). */
  take(): Uint8Array {
    const rest = this.off === 0 ? this.buf : this.buf.subarray(this.off);
    this.buf = EMPTY;
    this.off = 0;
    return rest;
  }

  // Each pause or resume is a system call (epoll_ctl): only when it changes something.
  #paused = false;

  /** Stops reading the peer (for src/transport/ only). */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.conn.socket.pause();
  }

  /** Reads the peer again after {@link pause} (for src/transport/ only). */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.conn.socket.resume();
  }

  /**
   * Ends the exchange before a final head (for src/transport/ only): the
   * connection is destroyed and `response()` rejects with an
   * {@link AttemptError} of `kind`; `stale` marks a reused connection the
   * peer had closed, which the caller may retry on another;
   * `requestIncomplete` a connection the peer broke before it had the whole
   * request ({@link AttemptError.requestIncomplete}). Once only.
   */
  fail(kind: AttemptError["kind"], message: string, stale = false, requestIncomplete = false): void {
    if (this.phase === DONE) return;
    this.phase = DONE;
    this.deadline.stop();
    this.drainWaiter?.();
    this.conn.socket.destroy();
    this.rejectHead(Object.assign(new AttemptError(kind, message), { stale, requestIncomplete }));
  }

  /**
   * Ends the exchange after the final head (for src/transport/ only): on a
   * complete body and a reusable connection it goes back to the pool
   * ({@link onReusable}), otherwise it is destroyed; `relay()` settles with
   * `outcome`. Once only.
   */
  finish(outcome: RelayOutcome): void {
    if (this.phase === DONE) return;
    this.phase = DONE;
    if (outcome === "complete" && this.reusable) this.deadline.clear();
    else this.deadline.stop();
    if (this.target) this.target.onDrain = undefined;
    const end = this.endRelay;
    this.endRelay = undefined;
    if (outcome !== "complete" || !this.reusable) this.conn.socket.destroy();
    else {
      // An idle pooled connection must read, to hear its peer close it.
      this.resume();
      this.onReusable?.(this.conn);
    }
    end?.(outcome);
  }

  /** The connection's deadline passed: what it means depends on the phase (see {@link PeerConnection.timing}). */
  timedOut(): void {
    if (this.phase === SEND) {
      this.fail("send-timeout", `The peer took no request bytes for --send-timeout ${this.input.sendTimeoutMs} ms`);
    } else if (this.phase === HEAD) this.fail("read-timeout", `No response head within --read-timeout ${this.input.readTimeoutMs} ms`);
    else if (this.phase === BODY && this.target) this.finish("read-timeout");
  }
}
