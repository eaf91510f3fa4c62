import type { PeerAddress } from "../config/address.ts";
import { AttemptError } from "../errors.ts";
import type { Runtime, UpstreamBody } from "../../runtime/index.ts";

/** One try of a request against one peer. */
export interface AttemptInput {
  peer: PeerAddress;
  method: string;
  /** Path and query, e.g. `/upload?x=1`. */
  target: string;
  headers: [string, string][];
  body: UpstreamBody;
  /** `--keepalive`: idle connections kept per peer. */
  keepaliveIdle: number;
  /** `--connect-timeout`, ms. */
  connectTimeoutMs: number;
  /** `--read-timeout`, ms: longest wait for the response head once sent. */
  readTimeoutMs: number;
  /** `--send-timeout`, ms: allowance for sending a spooled body. */
  sendTimeoutMs: number;
  /** Fires when the client goes away. */
  clientSignal: AbortSignal;
}

/**
 * Sends the request to one peer and resolves with the response head.
 *
 * fetch does not say when its connection is up, so a slow attempt is
 * classified when `--connect-timeout` passes: holdfast dials the peer itself,
 * and if that dial fails too the attempt counts as a connect timeout (nothing
 * was sent: retry-safe); if the peer accepts, the attempt waits for its
 * response head up to `--read-timeout` (plus `--send-timeout` for a spooled
 * body, whose sendfile(2) progress cannot be watched), then 504.
 *
 * @throws {AttemptError} refused, reset, connect-timeout or read-timeout;
 *   the client signal's reason when the client left
 */
export async function attempt(rt: Runtime, a: AttemptInput): Promise<Response> {
  const ctl = new AbortController();
  const onClientGone = () => ctl.abort(a.clientSignal.reason);
  a.clientSignal.addEventListener("abort", onClientGone, { once: true });
  let timeout: AttemptError | undefined;
  const fail = (e: AttemptError) => {
    timeout ??= e;
    ctl.abort(e);
  };
  const headDeadlineMs = a.readTimeoutMs + (a.body.kind === "file" ? a.sendTimeoutMs : 0);
  const timers = [
    setTimeout(() => fail(new AttemptError("read-timeout", `No response head from ${a.peer.origin} within ${headDeadlineMs} ms`)), headDeadlineMs),
  ];
  if (a.connectTimeoutMs < headDeadlineMs) {
    timers.push(setTimeout(async () => {
      if (!(await rt.canConnect(a.peer, a.connectTimeoutMs))) {
        fail(new AttemptError("connect-timeout", `No connection to ${a.peer.origin} within ${a.connectTimeoutMs} ms`));
      }
    }, a.connectTimeoutMs));
  }
  try {
    return await rt.send({
      url: a.peer.origin + a.target,
      socketPath: a.peer.socketPath,
      keepaliveIdle: a.keepaliveIdle,
      method: a.method,
      headers: a.headers,
      body: a.body,
      signal: ctl.signal,
    });
  } catch (e) {
    if (timeout) throw timeout;
    if (a.clientSignal.aborted) throw e;
    const kind = (e as { transportKind?: "refused" | "reset" }).transportKind ?? "reset";
    throw new AttemptError(kind, `${kind === "refused" ? "Connection refused by" : "Connection broken by"} ${a.peer.origin}: ${(e as Error).message}`);
  } finally {
    for (const t of timers) clearTimeout(t);
    a.clientSignal.removeEventListener("abort", onClientGone);
  }
}
