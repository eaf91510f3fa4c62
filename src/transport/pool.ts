import type { Deadline } from "../engine/deadline.ts";
import type { Socket, SocketAddress, SocketEvents, SocketRuntime } from "../../runtime/socket-types.ts";

/** A connection to a peer, with what keepalive needs to know of it. */
export interface PeerConnection {
  socket: Socket;
  /** Requests sent on it so far (nginx `keepalive_requests` counts these). */
  uses: number;
  /** Whether it came from the pool (it may have been closed by the peer in the meantime). */
  reused: boolean;
  /** The connection's one timer, re-armed by each exchange on it (no timer per request). */
  deadline?: Deadline;
  /** What the deadline calls: the current exchange's timeout. */
  onDeadline?: () => void;
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

interface Idle {
  conn: PeerConnection;
  since: number;
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

  constructor(readonly sockets: SocketRuntime, readonly address: SocketAddress, readonly limits: PoolLimits) {}

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
    const socket = await this.sockets.connect(this.address, connectTimeoutMs);
    return { socket, uses: 0, reused: false };
  }

  /**
   * Returns a connection whose response was read completely and whose peer
   * did not ask to close it; keeps it when the pool has room and it has not
   * served `maxRequests`, else closes it.
   */
  release(conn: PeerConnection): void {
    const l = this.limits;
    if (conn.socket.closed || l.maxIdle === 0 || conn.uses >= l.maxRequests) {
      conn.socket.end();
      return;
    }
    if (this.#idle.length >= l.maxIdle) {
      // Keep the newest: drop the oldest idle one.
      this.#idle.shift()!.conn.socket.end();
    }
    const entry: Idle = { conn, since: Date.now() };
    conn.socket.events = idleEvents(this, entry);
    conn.socket.resume();
    this.#idle.push(entry);
    this.#sweeper ??= setInterval(() => this.#sweep(), Math.max(1000, Math.min(l.idleTimeoutMs, 10_000)));
  }

  /** Removes `entry` (its peer closed it or spoke out of turn). */
  forget(entry: Idle): void {
    const i = this.#idle.indexOf(entry);
    if (i >= 0) this.#idle.splice(i, 1);
  }

  /** Closes every idle connection (shutdown). */
  closeAll(): void {
    for (const e of this.#idle.splice(0)) e.conn.socket.end();
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  #sweep(): void {
    const cutoff = Date.now() - this.limits.idleTimeoutMs;
    while (this.#idle.length && this.#idle[0].since < cutoff) this.#idle.shift()!.conn.socket.end();
    if (this.#idle.length === 0 && this.#sweeper !== undefined) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}

function idleEvents(pool: PeerPool, entry: Idle): SocketEvents {
  const drop = () => {
    pool.forget(entry);
    entry.conn.socket.destroy();
  };
  return {
    // A peer that speaks while idle is out of step: the connection cannot be reused.
    data: drop,
    end: drop,
    drain() {},
    close: () => pool.forget(entry),
  };
}
