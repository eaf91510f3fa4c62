/**
 * A request body's way from the client connection into its {@link BodyFeed}:
 * the bytes that came with the head first, then each read, or, for a large
 * body of known length, straight from the socket into its spool file
 * (direct-body.ts). Bytes after the body stay in the connection's input for
 * the next pipelined request (RFC 9112 §9.3.2).
 *
 * Functions of the connection's state (conn-state.ts); ClientConnection
 * calls them, for src/engine/ only.
 *
 * @module
 */
import { ClientGoneError } from "../errors.ts";
import type { BodyFeed } from "./body-feed.ts";
import { BODY, BUSY, CLOSED, type ConnectionState } from "./conn-state.ts";
import { canReceiveDirect, receiveDirect } from "./direct-body.ts";

/**
 * Starts reading `feed`'s body on `conn` (phase BODY, `--client-body-timeout`
 * armed), with the bytes already received.
 * @returns `feed.done`: see ClientConnection.readBody for how it settles
 */
export function receiveBody(conn: ConnectionState, feed: BodyFeed): Promise<void> {
  conn.body = feed;
  conn.phase = BODY;
  conn.deadline.set(feed.timeoutMs);
  const rest = conn.input.take();
  if (rest.byteLength > 0) feedBody(conn, rest);
  else if (conn.finReceived) feed.fail(new ClientGoneError());
  else if (canReceiveDirect(conn.socket, feed)) receiveToFile(conn, feed);
  return feed.done;
}

/**
 * Hands a read to the body being read. The socket is paused while the sink
 * has a backlog; once the body is complete the connection waits for the
 * response (phase BUSY) and keeps what follows the body.
 */
export function feedBody(conn: ConnectionState, bytes: Uint8Array): void {
  const feed = conn.body!;
  if (feed.failed) return;
  let used: number;
  try {
    used = feed.push(bytes);
  } catch (e) {
    feed.fail(e instanceof Error ? e : new Error(String(e)));
    return;
  }
  conn.deadline.set(feed.timeoutMs);
  if (feed.backlog) {
    conn.pause();
    feed.backlog.then(() => conn.phase !== CLOSED && conn.resume(), () => {});
  }
  if (feed.complete) {
    conn.phase = BUSY;
    conn.deadline.clear();
    if (used < bytes.byteLength) conn.input.append(bytes.subarray(used));
    feed.succeed();
  } else if (!feed.failed && !feed.backlog && canReceiveDirect(conn.socket, feed)) receiveToFile(conn, feed);
}

/**
 * The rest of the body goes straight to its spool file (direct-body.ts); the
 * socket is not read here meanwhile, and the receiver keeps the body timeout.
 */
function receiveToFile(conn: ConnectionState, feed: BodyFeed): void {
  conn.pause();
  conn.deadline.clear();
  receiveDirect(conn.socket, feed).then((r) => {
    if (conn.phase !== BODY || conn.body !== feed || feed.failed) return;
    if (r === "complete") {
      conn.phase = BUSY;
      feed.succeed();
      conn.resume();
    } else if (r === "fallback") {
      feed.notDirect = true;
      conn.deadline.set(feed.timeoutMs);
      conn.resume();
    } else feed.fail(r);
  });
}
