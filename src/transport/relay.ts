/**
 * Relaying a response body from the peer to the client, as its framing says
 * (RFC 9112 §6.3, body-framer.ts), with backpressure both ways: the peer is
 * not read while the client's socket is full, nor while more than 256 KiB
 * wait for the relay to start.
 *
 * Functions of the exchange's state (exchange-state.ts); Exchange calls
 * them, for src/transport/ only.
 *
 * @module
 */
import { BodyFramer } from "./body-framer.ts";
import { BODY, type ExchangeState } from "./exchange-state.ts";
import type { BodyTarget, RelayOutcome } from "./types.ts";

// Response body bytes held while the client is slow, above which the peer is not read.
const HELD_BYTES = 256 * 1024;

/**
 * Starts relaying `ex`'s body to `target`, beginning with the bytes held
 * since the head.
 * @param dechunk de-chunk a chunked body (an HTTP/1.0 client); else it is relayed as received
 * @returns how the body ended; on "complete" the peer connection went back to the pool
 */
export function startRelay(ex: ExchangeState, target: BodyTarget, dechunk: boolean): Promise<RelayOutcome> {
  ex.target = target;
  const f = ex.framing;
  ex.framer = new BodyFramer(f, dechunk, ex.input.maxHeadBytes);
  const done = new Promise<RelayOutcome>((resolve) => (ex.endRelay = resolve));
  target.onDrain = () => {
    if (ex.phase === BODY) ex.resume();
  };
  if (f.kind === "none" || (f.kind === "length" && f.bytes === 0)) {
    if (ex.buf.byteLength > ex.off) ex.reusable = false;
    ex.finish("complete");
    return done;
  }
  ex.deadline.set(ex.input.readTimeoutMs);
  const rest = ex.take();
  if (rest.byteLength) relayBytes(ex, rest);
  if (ex.phase === BODY) ex.resume();
  return done;
}

/**
 * A read of body bytes: passed on to the target once the relay started,
 * else held. A body that ends finishes the exchange; bytes past its end
 * make the connection unusable; a framing error ends it as "upstream-error".
 */
export function relayBytes(ex: ExchangeState, bytes: Uint8Array): void {
  const t = ex.target;
  if (!t) {
    // Not relaying yet (the head is being judged, for a microtask or so):
    // keep the bytes, and stop reading if the peer sends a lot meanwhile.
    const held = ex.take();
    ex.buf = held.byteLength === 0 ? bytes : join(held, bytes);
    if (ex.buf.byteLength > HELD_BYTES) ex.pause();
    return;
  }
  ex.deadline.set(ex.input.readTimeoutMs);
  const framer = ex.framer!;
  let ok: boolean;
  try {
    ok = framer.push(bytes, t);
  } catch {
    return ex.finish("upstream-error");
  }
  ex.relayed = framer.relayed;
  if (framer.extra) ex.reusable = false;
  if (framer.complete) return ex.finish("complete");
  if (!ok) ex.pause();
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}
