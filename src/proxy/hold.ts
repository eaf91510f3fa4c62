import { AttemptError } from "../errors.ts";
import type { PeerPool } from "../upstream/pool.ts";
import type { Runtime } from "../../runtime/index.ts";
import { attempt, type AttemptInput } from "./attempt.ts";

/** One attempt as the access log shows it (`$upstream_addr`, `$upstream_status`). */
export interface AttemptRecord {
  /** `host:port` of the peer. */
  peer: string;
  /** The response status, or the status the failure maps to (502, 504). */
  status: number;
  /** Time to the response head or the failure, in ms. */
  ms: number;
}

// The first retry comes quickly (an app restarting under a supervisor is
// often back in tens of milliseconds); the cap of 1 s means a peer that
// comes back is used within about a second.
const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1000;

/**
 * Sends a request to the group, holding it while no peer can be reached: an
 * attempt that failed before any response byte is replayed from the spool
 * with capped exponential backoff until `holdMs` has passed since the call
 * (the body is complete by then). Replaying is safe exactly because no
 * response came back: the client has seen nothing, and the spooled body is
 * byte-for-byte what it sent. A read timeout is not replayed: the peer may be
 * working on the request.
 *
 * @param records receives one entry per attempt, in order
 * @returns the first response head a peer sends, whatever its status
 * @throws {AttemptError} the last failure once the hold is over (502, or 504 on timeouts)
 * @throws the client signal's reason when the client leaves while held
 */
export async function sendWithHold(
  rt: Runtime,
  pool: PeerPool,
  input: Omit<AttemptInput, "peer">,
  holdMs: number,
  records: AttemptRecord[],
): Promise<Response> {
  const holdUntil = Date.now() + holdMs;
  let backoffMs = FIRST_BACKOFF_MS;
  for (;;) {
    const peer = pool.pick();
    const started = Date.now();
    const where = `${peer.host.includes(":") ? `[${peer.host}]` : peer.host}:${peer.port}`;
    try {
      const res = await attempt(rt, { ...input, peer });
      records.push({ peer: where, status: res.status, ms: Date.now() - started });
      return res;
    } catch (e) {
      if (!(e instanceof AttemptError)) throw e;
      records.push({ peer: where, status: e.status, ms: Date.now() - started });
      const left = holdUntil - Date.now();
      if (!e.retrySafe || left <= 0) throw e;
      await sleep(Math.min(backoffMs, left), input.clientSignal);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
