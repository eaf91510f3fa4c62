/**
 * A large request body of known length goes from the client's socket into
 * its spool file without passing through JavaScript, where the runtime can
 * (`Socket.receiveToFile`: a receiver thread on Bun). nginx reads a body
 * into `client_body_buffer_size` and writes it to `client_body_temp_path`;
 * this does the same off the proxy's thread. Bodies of unknown length
 * (chunked) are de-chunked here and stay on the JavaScript path.
 *
 * @module
 */
import type { Socket } from "../../runtime/socket-types.ts";
import { ClientGoneError, ProxyError } from "../errors.ts";
import type { BodyFeed } from "./body-feed.ts";
import { spoolWriteError } from "../spool/spooler.ts";

/** Body bytes still to come below which the thread's round trip does not pay: they are read here. */
export const DIRECT_MIN_BYTES = 1024 * 1024;

/** Whether the rest of `feed`'s body can go straight from `socket` to a file. */
export function canReceiveDirect(socket: Socket, feed: BodyFeed): boolean {
  return socket.receiveToFile !== undefined && !feed.notDirect && feed.remaining >= DIRECT_MIN_BYTES && feed.sink.direct !== undefined;
}

/**
 * Moves the rest of `feed`'s body from `socket` (paused by the caller) into
 * the sink's spool file and counts it in `feed`.
 * @returns "complete" when the whole body arrived; "fallback" when the caller
 *   must read the rest from the socket itself (no file, or the runtime
 *   cannot now); else the error that ends the request: {@link ClientGoneError}
 *   (the client closed or reset early, 499), {@link ProxyError} 408 after
 *   `--client-body-timeout` without a byte, 507 when the spool's disk is
 *   full and 500 on other failures (as `spoolWriteError` maps a write on
 *   the JavaScript path)
 */
export async function receiveDirect(socket: Socket, feed: BodyFeed): Promise<"complete" | "fallback" | Error> {
  let fd: number | null;
  try {
    fd = await feed.sink.direct!();
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
  if (fd === null || feed.failed) return "fallback";
  const r = await socket.receiveToFile!(fd, feed.remaining, feed.timeoutMs);
  if (r.received > 0) feed.receivedDirect(r.received);
  switch (r.error) {
    case undefined:
      return "complete";
    case "unavailable":
      return r.received === 0 ? "fallback" : new ProxyError(500, `The body receiver failed: ${r.message ?? "unknown error"}`);
    case "eof":
    case "reset":
      return new ClientGoneError();
    case "timeout":
      return new ProxyError(408, `Client sent nothing for --client-body-timeout ${feed.timeoutMs} ms`);
    case "write": {
      const e = spoolWriteError(Object.assign(new Error(r.message ?? "write failed"), { code: r.code }));
      return feed.sink.directFailed?.(e) ?? e;
    }
  }
}
