import type { ClientConnection } from "../engine/client-conn.ts";
import { Deadline } from "../engine/deadline.ts";
import type { Exchange } from "../transport/exchange.ts";

/** Bytes that crossed a tunnel, each way. */
export interface TunnelTotals {
  /** Client to peer. */
  up: number;
  /** Peer to client. */
  down: number;
}

/**
 * After a 101 (Switching Protocols, RFC 9110 §15.2.2) the connection is no
 * longer HTTP: bytes are relayed both ways as they come, with backpressure
 * (a side whose writes queue up stops the other side's reads), a half-close
 * on one side passed on to the other (RFC 9112 §9.6), and both closed after
 * `idleTimeoutMs` without a byte either way (`--tunnel-idle-timeout`, nginx
 * applies `proxy_read_timeout` here).
 *
 * @param head the 101 head for the client, already built
 * @returns when both sides are closed
 */
export function tunnel(conn: ClientConnection, ex: Exchange, head: Uint8Array, idleTimeoutMs: number): Promise<TunnelTotals> {
  const peer = ex.conn.socket;
  const client = conn.socket;
  const totals: TunnelTotals = { up: 0, down: 0 };
  let clientFin = false, peerFin = false;
  let resolve!: (t: TunnelTotals) => void;
  const done = new Promise<TunnelTotals>((r) => (resolve = r));
  // Both FINs seen: flush what is queued and close. Anything else (an
  // error, the idle timeout) closes both at once.
  const closeBoth = (graceful = false) => {
    idle.stop();
    if (graceful) {
      peer.end();
      client.end();
    } else {
      peer.destroy();
      conn.abort();
    }
    resolve(totals);
  };
  const idle = new Deadline(() => closeBoth());
  idle.set(idleTimeoutMs);
  const early = ex.detach();
  conn.writeHead(head);
  if (early.byteLength) {
    totals.down += early.byteLength;
    conn.write(early);
  }
  peer.events = {
    data(bytes) {
      totals.down += bytes.byteLength;
      idle.set(idleTimeoutMs);
      if (!conn.write(bytes)) peer.pause();
    },
    end() {
      peerFin = true;
      if (clientFin) return closeBoth(true);
      client.shutdown();
    },
    drain: () => client.resume(),
    close: () => closeBoth(peerFin),
  };
  conn.onDrain = () => peer.resume();
  conn.onGone = () => closeBoth();
  conn.tunnel((bytes) => {
    totals.up += bytes.byteLength;
    idle.set(idleTimeoutMs);
    if (!peer.write(bytes)) client.pause();
  }, () => {
    clientFin = true;
    if (peerFin) return closeBoth(true);
    peer.shutdown();
  });
  peer.resume();
  return done;
}
