/**
 * Telling a client's close from its half-close while its response is pending.
 *
 * A FIN alone does not say whether the client closed or only half-closed
 * (a half-closed client still gets its response). A byte sent to a closed
 * socket is answered with a reset, so an interim `100 Continue`, which an
 * HTTP/1.1 client must accept and ignore (RFC 9110 §15.2), tells the two
 * apart: a closed client is known gone (499) while its response is still
 * pending. The probe waits a little, so a quick response needs none.
 *
 * Functions of the connection's state (conn-state.ts); ClientConnection
 * calls them, for src/engine/ only.
 *
 * @module
 */
import { BUSY, type ConnectionState } from "./conn-state.ts";

/** An interim `100 Continue` (RFC 9110 §15.2.1): before a request body is read (§10.1.1), and as the probe. */
export const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");

// How long after a client's FIN a pending response may take before the
// client is probed to tell a close from a half-close.
const PROBE_DELAY_MS = 200;

/**
 * After a FIN while the response is pending (phase BUSY): probes an
 * HTTP/1.1 client 200 ms and 400 ms later unless the response started by
 * then. An HTTP/1.0 client is not probed: it need not accept a 1xx.
 */
export function probeAfterFin(conn: ConnectionState): void {
  if (conn.head?.minor !== 1) return;
  // The connection rides along as the timer's argument: no closure.
  setTimeout(probe, PROBE_DELAY_MS, conn);
  // A socket whose read side has ended may only learn of the reset
  // from a second write (EPIPE): node:net on Deno stops reading at the FIN.
  setTimeout(probe, 2 * PROBE_DELAY_MS, conn);
}

function probe(conn: ConnectionState): void {
  if (conn.phase === BUSY && !conn.responseStarted) conn.socket.write(CONTINUE);
}
