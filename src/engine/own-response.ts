/**
 * Responses holdfast makes itself (a request it refuses, a peer it cannot
 * reach), and the lingering close after them.
 *
 * Functions of the connection's state (conn-state.ts); ClientConnection
 * calls them, for src/engine/ only.
 *
 * @module
 */
import { ownResponseHead } from "../proxy/response-head.ts";
import { CLOSED, type ConnectionState, LINGER } from "./conn-state.ts";

// nginx lingering_time / lingering_timeout: after an early error response the
// rest of the body is read and thrown away for a while, so the client gets to
// read the response instead of a reset on a half-sent upload.
const LINGER_MS = 5000;
const LINGER_IDLE_MS = 1000;

/**
 * Sends a complete `text/plain` response with `Connection: close`, then
 * shuts the write side and lingers (phase LINGER): reads are dropped until
 * 1 s passes without one or 5 s in all (nginx `lingering_timeout`,
 * `lingering_time`), then the connection closes. Nothing when it is closed.
 * @param extra header fields after `Content-Length` (e.g. `Retry-After`)
 */
export function respondAndLinger(conn: ConnectionState, status: number, reason: string, body: Uint8Array, extra: [string, string][]): void {
  if (conn.phase === CLOSED) return;
  conn.responseStarted = true;
  const head = ownResponseHead(status, reason, [
    ["Content-Type", "text/plain; charset=utf-8"],
    ["Content-Length", String(body.byteLength)],
    ...extra,
    ["Connection", "close"],
  ]);
  conn.socket.write(head);
  if (body.byteLength) conn.socket.write(body);
  conn.onGone = undefined;
  conn.body = undefined;
  conn.phase = LINGER;
  conn.lingerUntil = Date.now() + LINGER_MS;
  conn.resume();
  conn.socket.shutdown();
  conn.deadline.set(LINGER_IDLE_MS);
}

/** A read while lingering is dropped; it keeps the connection open for another `lingering_timeout`, within `lingering_time`. */
export function lingerRead(conn: ConnectionState): void {
  if (Date.now() < conn.lingerUntil) conn.deadline.set(LINGER_IDLE_MS);
}
