/**
 * One probe of a peer for the requests held for its group: is an HTTP server
 * reading requests on its address now?
 *
 * A successful connect is not enough. Docker's userland proxy (the
 * `docker-proxy` of every published port) and other front sockets accept a
 * connection while the app behind them is still starting, then close it; so
 * does an app that listens before it can serve. A held request sent there
 * at once would be reset, and a POST whose whole body went out before the
 * reset gets 502 (nginx's rule: the peer may have acted on it). So the probe
 * sends `OPTIONS * HTTP/1.1`, which RFC 9110 §9.3.7 names as the "ping" of a
 * server (it asks about the server, not a resource: Bun and Go answer it
 * themselves, and no route of the app runs on most servers), and the peer
 * counts as up at its first response byte, whatever the status: a 400 or 503
 * still comes from a server that reads requests, which is all a held
 * request needs (active health checks judge the status). A close or reset
 * before that byte means still starting; waiting a fixed moment after the
 * connect for a reset instead would add that moment to every replay and
 * still guess.
 *
 * @module
 */
import type { ClientTls, Socket, SocketEvents, SocketRuntime } from "../../runtime/socket-types.ts";
import type { PeerAddress } from "../config/address.ts";

/**
 * What a probe found: `up` (a response byte came), `starting` (a connection
 * was made, then closed, reset or left silent), `down` (no connection:
 * refused, unreachable, connect timeout, failed TLS handshake).
 */
export type ProbeVerdict = "up" | "starting" | "down";

const ENC = new TextEncoder();

/**
 * Probes `peer` once: connects (with TLS when `tls` is given, checked as its
 * requests are), sends `OPTIONS *` with `Connection: close`, and waits for the
 * first response byte, all within `timeoutMs` (`--connect-timeout`).
 * Never throws.
 */
export async function probePeer(
  sockets: SocketRuntime,
  peer: PeerAddress,
  tls: ClientTls | undefined,
  timeoutMs: number,
): Promise<ProbeVerdict> {
  const deadline = Date.now() + timeoutMs;
  let socket: Socket;
  try {
    socket = await sockets.connect(peer.socketPath ? { path: peer.socketPath } : { host: peer.host, port: peer.port }, timeoutMs, tls);
  } catch {
    return "down";
  }
  return new Promise((resolve) => {
    const done = (v: ProbeVerdict) => {
      clearTimeout(timer);
      socket.events = IGNORE;
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done("starting"), Math.max(1, deadline - Date.now()));
    socket.events = {
      data: () => done("up"),
      end: () => done("starting"),
      close: () => done("starting"),
      drain: () => {},
    };
    const host = peer.socketPath ? "localhost" : peer.key;
    socket.write(ENC.encode(`OPTIONS * HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: holdfast-hold-probe\r\nConnection: close\r\n\r\n`));
  });
}

const IGNORE: SocketEvents = { data() {}, end() {}, drain() {}, close() {} };
