import type { PeerAddress } from "../config/address.ts";
import { ConnectError } from "../../runtime/socket-types.ts";
import type { ClientSignal } from "./gone.ts";
import { AttemptError } from "../errors.ts";
import type { ResponseHead } from "../http1/head.ts";
import { Exchange, type SpoolSource, type UpstreamBody } from "../transport/exchange.ts";
import type { PeerConnection, PeerPool } from "../transport/pool.ts";

/** One try of a request against one peer. Times in ms, sizes in bytes. */
export interface AttemptInput {
  /** The request method (RFC 9110 §9.2.2 decides what may be retried). */
  method: string;
  /** The request head for `peer` (its address is the Host of a request that had none). */
  headFor(peer: PeerAddress): Uint8Array;
  body: UpstreamBody;
  /** The keepalive pool of `peer`. */
  poolFor(peer: PeerAddress): PeerPool;
  openSpool(path: string): Promise<SpoolSource>;
  /** `--connect-timeout` (nginx `proxy_connect_timeout`), measured on the real connect. */
  connectTimeoutMs: number;
  /** `--read-timeout` (nginx `proxy_read_timeout`). */
  readTimeoutMs: number;
  /** `--send-timeout` (nginx `proxy_send_timeout`). */
  sendTimeoutMs: number;
  /** `--max-response-header-size` (nginx `proxy_buffer_size`). */
  maxResponseHeadBytes: number;
  /** Receives interim responses but 100 (103 Early Hints). */
  onInterim(head: ResponseHead): void;
  /** Fires when the client goes away. */
  clientSignal: ClientSignal;
}

/** RFC 9110 §9.2.2: methods whose repetition has the effect of one request (safe to replay). */
export const IDEMPOTENT: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/**
 * Sends the request to one peer and resolves with the exchange once its
 * final response head is in; the body is relayed with {@link Exchange.relay}.
 *
 * A pooled connection can be closed by the peer's own idle timeout just as
 * holdfast reuses it. When that connection closes before any response byte,
 * the request goes once more on a fresh connection, as nginx does with
 * cached connections; the runtime only says that the kernel took the bytes,
 * not that the peer read them, so after the whole request was written that
 * retry is made only for idempotent methods (RFC 9110 §9.2.2). A connection
 * found closed before the write, or closed before the last request byte
 * went out, is simply replaced: the peer cannot have had a complete request.
 *
 * @param started an exchange {@link startOnIdle} began on this peer: its outcome is this attempt's first try
 * @throws {AttemptError} refused, connect-timeout, tls, reset, send-timeout,
 *   read-timeout, invalid-response; the client signal's reason when the client left
 */
export async function attempt(a: AttemptInput, peer: PeerAddress, started?: Exchange): Promise<Exchange> {
  const pool = a.poolFor(peer);
  let conn = started?.conn ?? pool.takeIdle() ?? await connect(pool, a, peer);
  for (let fresh = !conn.reused;; fresh = true) {
    if (a.clientSignal.aborted) {
      conn.socket.destroy();
      throw a.clientSignal.reason;
    }
    const ex = started ?? begin(a, peer, pool, conn);
    started = undefined;
    try {
      await ex.response();
      return ex;
    } catch (e) {
      if (a.clientSignal.exchange === ex) a.clientSignal.exchange = undefined;
      if (a.clientSignal.aborted) throw a.clientSignal.reason;
      const stale = (e as { stale?: boolean }).stale === true;
      // A streamed body (buffer-request=off) that began to go cannot be sent again.
      const sentOnce = a.body.kind === "stream" && a.body.stream.started;
      if (!fresh && stale && !sentOnce && (IDEMPOTENT.has(a.method) || !ex.sent)) {
        conn = await connect(pool, a, peer);
        continue;
      }
      throw e;
    }
  }
}

/**
 * The first try of {@link attempt} when the peer's pool has an idle
 * connection, made without waiting for anything: the request is on its way
 * when this returns. Pass the exchange to {@link attempt} for its outcome
 * (the stale-connection retry included), or await `response()` yourself on
 * the path where nothing goes wrong (bench/README.md: each async function
 * between the peer's answer and the client's write costs a small GET).
 * @returns undefined when no idle connection is open (then use {@link attempt})
 */
export function startOnIdle(a: AttemptInput, peer: PeerAddress): Exchange | undefined {
  if (a.clientSignal.aborted) return undefined;
  const pool = a.poolFor(peer);
  const conn = pool.takeIdle();
  return conn && begin(a, peer, pool, conn);
}

function begin(a: AttemptInput, peer: PeerAddress, pool: PeerPool, conn: PeerConnection): Exchange {
  const ex = new Exchange(conn, {
    head: a.headFor(peer),
    body: a.body,
    openSpool: a.openSpool,
    method: a.method,
    readTimeoutMs: a.readTimeoutMs,
    sendTimeoutMs: a.sendTimeoutMs,
    maxHeadBytes: a.maxResponseHeadBytes,
    interim: a,
  });
  ex.onReusable = pool.release;
  // Stays set when the head is in: the caller's relay is cancelled the same way.
  a.clientSignal.exchange = ex;
  // Sending starts now; whoever awaits the outcome calls response() again for the same promise.
  void ex.response();
  return ex;
}

async function connect(pool: PeerPool, a: AttemptInput, peer: PeerAddress): Promise<PeerConnection> {
  try {
    return await pool.connect(a.connectTimeoutMs);
  } catch (e) {
    if (!(e instanceof ConnectError)) throw e;
    if (e.kind === "tls") throw new AttemptError("tls", e.message);
    if (e.kind === "timeout") {
      throw new AttemptError("connect-timeout", `No connection to ${peer.key} within --connect-timeout ${a.connectTimeoutMs} ms`);
    }
    throw new AttemptError("refused", `Connection refused by ${peer.key}`);
  }
}
