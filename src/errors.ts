/**
 * Errors that end a request, each knowing the status it maps to. One place
 * (`failToProxy` in the request lifecycle) turns them into a response and a
 * log status, as Caddy's proxy and Pingora's `fail_to_proxy` do.
 */
export class ProxyError extends Error {
  override name = "ProxyError";
  /**
   * @param status the HTTP status to answer with
   * @param message one sentence for the log and the response body
   */
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The client went away before its response was complete; logged as 499 (nginx's code). */
export class ClientGoneError extends ProxyError {
  override name = "ClientGoneError";
  constructor(message = "Client closed the connection") {
    super(499, message);
  }
}

/** Kinds of {@link AttemptError}. */
export type AttemptErrorKind =
  | "refused"
  | "reset"
  | "connect-timeout"
  | "send-timeout"
  | "read-timeout"
  | "invalid-response"
  | "tls";

/**
 * Why an attempt to a peer failed. `retrySafe` is true when no response byte
 * came back and the request can be sent again from the spool.
 */
export class AttemptError extends Error {
  override name = "AttemptError";
  /**
   * @param kind `refused`: no connection, nothing sent; `reset`: the
   *   connection broke before a response head; `connect-timeout`: no
   *   connection within --connect-timeout; `send-timeout`: the peer took no
   *   request bytes for --send-timeout; `read-timeout`: no response byte for
   *   --read-timeout (504); `invalid-response`: a malformed or oversized
   *   response head (502, nginx "upstream sent invalid header"); `tls`: the
   *   TLS handshake with an https peer failed, nothing sent (502, nginx
   *   "SSL_do_handshake() failed", "upstream SSL certificate verify error")
   */
  constructor(readonly kind: AttemptErrorKind, message: string) {
    super(message);
  }
  /**
   * Set on a `reset` when the connection broke before the whole request was
   * handed to it and before any response byte: the peer cannot have read a
   * complete request (RFC 9112 §8: a message cut short is incomplete), so a
   * replay cannot deliver it twice, whatever the method. A peer that is
   * still starting (accepts, then resets) fails a request this way.
   */
  requestIncomplete = false;
  /** Whether the attempt may be replayed (not after a read timeout or an invalid response). */
  get retrySafe(): boolean {
    return this.kind !== "read-timeout" && this.kind !== "invalid-response";
  }
  /** The status this maps to once holdfast gives up: 504 on timeouts, else 502. */
  get status(): number {
    return this.kind === "read-timeout" || this.kind === "connect-timeout" || this.kind === "send-timeout" ? 504 : 502;
  }
}

/**
 * holdfast is stopping and `--shutdown-timeout` ran out before the request
 * was answered: 503 with `Retry-After` (RFC 9110 §15.6.4, §10.2.3), never an
 * empty reply, so a client retries once holdfast is back.
 */
export class ShutdownError extends ProxyError {
  override name = "ShutdownError";
  constructor() {
    super(503, "holdfast stopped before the request was answered (--shutdown-timeout ran out)");
  }
}

/**
 * A limit refused the request (`--limit-req`: 429 with `Retry-After`, RFC 6585
 * §4; `--limit-conn`: 503 or 429). nginx answers `limit_req_status` 503 by
 * default; holdfast answers 429, which says the client itself is too fast.
 */
export class LimitError extends ProxyError {
  override name = "LimitError";
  /**
   * @param retryAfterS seconds until the request would be admitted, rounded up (`Retry-After`)
   * @param keepAlive the request has no body, so the connection may serve the next one
   */
  constructor(status: number, message: string, readonly retryAfterS: number, readonly keepAlive: boolean) {
    super(status, message);
  }
}
