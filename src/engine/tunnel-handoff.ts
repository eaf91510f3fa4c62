/**
 * Handing a client connection over to a tunnel after a 101 (Switching
 * Protocols, RFC 9110 §15.2.2): from then on its bytes are not HTTP, and
 * src/proxy/tunnel.ts relays them.
 *
 * A function of the connection's state (conn-state.ts); ClientConnection
 * calls it, for src/engine/ only.
 *
 * @module
 */
import { type ConnectionState, TUNNEL } from "./conn-state.ts";

/**
 * Client bytes go to `onData` and the client's FIN to `onEnd` from now on
 * (phase TUNNEL, no HTTP timeouts: the tunnel keeps its own). Bytes that
 * came after the handshake are delivered first, and a FIN that came already
 * is delivered after them.
 */
export function handOff(conn: ConnectionState, onData: (bytes: Uint8Array) => void, onEnd: () => void): void {
  conn.phase = TUNNEL;
  conn.deadline.stop();
  conn.tunnelData = onData;
  conn.tunnelEnd = onEnd;
  const rest = conn.input.take();
  if (rest.byteLength) onData(rest);
  if (conn.finReceived) onEnd();
}
