/**
 * The end of a graceful stop: a request still in progress when
 * `--shutdown-timeout` runs out is ended with an error its lifecycle turns
 * into a response (503 with `Retry-After`), instead of the empty reply a
 * process exit would leave.
 *
 * @module
 */
import { BODY, BUSY, type ConnectionState, TUNNEL } from "./conn-state.ts";

/**
 * Ends the request in progress on `conn` with `error`: a body still coming
 * in fails (its reader gets `error`), a request waiting for or relaying its
 * response is told through `onGone` (its hold and its peer exchange end), a
 * tunnel closes. A connection between requests is left alone (closeIfIdle).
 */
export function interruptRequest(conn: ConnectionState, error: Error): void {
  if (conn.phase === BODY) conn.body?.fail(error);
  else if (conn.phase === BUSY || conn.phase === TUNNEL) conn.onGone?.(error);
}
