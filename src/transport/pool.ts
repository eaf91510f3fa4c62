import type { Deadline } from "../engine/deadline.ts";
import type { ClientTls, Socket, SocketAddress, SocketEvents, SocketRuntime } from "../../runtime/socket-types.ts";

/** A connection to a peer, with what keepalive needs to know of it. */
export interface PeerConnection {
  socket: Socket;
  /** Requests sent on it so far (nginx `keepalive_requests` counts these). */
  uses: number;
  /** Whether it came from the pool (it may have been closed by the peer in the meantime). */
  reused: boolean;
  /** The connection's one timer, re-armed by each exchange on it (no timer per request). */
  deadline?: Deadline;
  /** Whose timeout the deadline is: the current exchange (an object, not a closure per exchange). */
  timing?: { timedOut(): void };
}

/** Keepalive settings of the peer side (nginx `keepalive`, `keepalive_requests`, `keepalive_timeout` in `upstream`). */
export interface PoolLimits {
  /** Idle connections kept per peer; 0 closes each after its response. */
  maxIdle: number;
  /** Requests per connection before it is closed. */
  maxRequests: number;
  /** How long an idle connection is kept, in ms. */
  idleTimeoutMs: number;
}

/** An idle connection in the pool, and what it does if its peer speaks or closes meanwhile (one object per release, no closures). */
class Idle implements SocketEvents {
  constructor(readonly pool: PeerPool, readonly conn: PeerConnection, readonly since: number) {}
  /** A peer that speaks while idle is out of step: the connection cannot be reused. */
  data(): void {
    this.#drop();
  }
  end(): void {
    this.#drop();
  }
  drain(): void {}
  close(): void {
    this.pool.forget(this);
    this.conn.deadline?.stop();
  }
  #drop(): void {
    this.pool.forget(this);
    this.conn.deadline?.stop();
    this.conn.socket.destroy();
  }
}

/**
 * The keepalive pool of one peer: at most `maxIdle` idle connections,
 * newest reused first (the oldest are the likeliest to be closed by the
 * peer's own idle timeout). An idle connection that the peer closes, or that
 * says anything while idle, leaves the pool at once.
 */
export class PeerPool {
  readonly #idle: Idle[] = [];
  #sweeper: ReturnType<typeof setInterval> | undefined;

  /** @param tls set for an https peer: every connection is TLS, verified as it says */
  constructor(readonly sockets: SocketRuntime, readonly address: SocketAddress, readonly limits: PoolLimits, readonly tls?: ClientTls) {}

  /** Idle connections now in the pool. */
  get idleCount(): number {
    return this.#idle.length;
  }

  /** An idle connection that is still open, or undefined. */
  takeIdle(): PeerConnection | undefined {
    for (;;) {
      const top = this.#idle.pop();
      if (!top) return undefined;
      if (top.conn.socket.closed) continue;
      top.conn.reused = true;
      return top.conn;
    }
  }

  /** A new connection. @throws {ConnectError} */
  async connect(connectTimeoutMs: number): Promise<PeerConnection> {
    const socket = await this.sockets.connect(this.address, connectTimeoutMs, this.tls);
    return { socket, uses: 0, reused: false };
  }

  /**
   * Returns a connection whose response was read completely and whose peer
   * did not ask to close it; keeps it when it has not served `maxRequests`,
   * else closes it.
   *
   * The idle cap is enforced on connections idle for {@link TRIM_DELAY_MS},
   * not at once: responses come back in bursts (one event-loop turn can finish
   * every request in flight), and closing the excess at once, as nginx does,
   * makes the next burst of requests reconnect. Measured on bench/get.ts at
   * 50 connections with `--keepalive 32`: a third of the requests opened a
   * new connection.
   *
   * A bound function (one per pool), so an exchange can hold it as its
   * `onReusable` without a closure per request.
   */
  readonly release = (conn: PeerConnection): void => {
    const l = this.limits;
    if (conn.socket.closed || l.maxIdle === 0 || conn.uses >= l.maxRequests) return closeConn(conn);
    const entry = new Idle(this, conn, Date.now());
    conn.socket.events = entry;
    this.#idle.push(entry);
    if (this.#idle.length > l.maxIdle) this.#trimmer ??= setTimeout(this.#trim, TRIM_DELAY_MS);
    this.#sweeper ??= setInterval(() => this.#sweep(), Math.max(1000, Math.min(l.idleTimeoutMs, 10_000)));
  };

  #trimmer: ReturnType<typeof setTimeout> | undefined;

  // The oldest idle connections go first: the newest are reused first.
  // Only connections idle for TRIM_DELAY_MS go: under a steady load the
  // whole pool is reused between bursts and the oldest entries are the
  // surplus; closing whatever stood over the cap when the timer fired closed
  // connections the next burst needed (on Deno, the reconnects made a p99
  // of 370 ms at 200 clients).
  #trim = (): void => {
    this.#trimmer = undefined;
    const cutoff = Date.now() - TRIM_DELAY_MS;
    while (this.#idle.length > this.limits.maxIdle && this.#idle[0].since <= cutoff) closeConn(this.#idle.shift()!.conn);
    if (this.#idle.length > this.limits.maxIdle) {
      this.#trimmer = setTimeout(this.#trim, Math.max(1, this.#idle[0].since + TRIM_DELAY_MS - Date.now()));
    }
  };

  /** Removes `entry` (its peer closed it or spoke out of turn). */
  forget(entry: Idle): void {
    const i = this.#idle.indexOf(entry);
    if (i >= 0) this.#idle.splice(i, 1);
  }

  /** Closes every idle connection (shutdown). */
  closeAll(): void {
    for (const e of this.#idle.splice(0)) closeConn(e.conn);
    if (this.#trimmer !== undefined) clearTimeout(this.#trimmer);
    this.#trimmer = undefined;
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  #sweep(): void {
    const cutoff = Date.now() - this.limits.idleTimeoutMs;
    while (this.#idle.length && this.#idle[0].since < cutoff) closeConn(this.#idle.shift()!.conn);
    if (this.#idle.length === 0 && this.#sweeper !== undefined) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}

/** How long idle connections may exceed the pool's cap before the oldest are closed, in ms. */
export const TRIM_DELAY_MS = 100;

/** Closes a connection for good, with its timer (which would otherwise keep it in memory until it fires). */
export function closeConn(conn: PeerConnection): void {
  conn.deadline?.stop();
  conn.timing = undefined;
  conn.socket.end();
}
