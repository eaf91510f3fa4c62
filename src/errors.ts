/**
 * Errors that end a request, each knowing the status it maps to. One place
 * ({@link errorResponse}) turns them into a response, as Caddy's proxy does.
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

/**
 * Why an attempt to a peer failed. `retrySafe` is true when no response byte
 * came back, so sending the spooled request again cannot duplicate a response
 * the client would have seen.
 */
export class AttemptError extends Error {
  override name = "AttemptError";
  /**
   * @param kind `refused`: nothing sent; `reset`: broke before a response head;
   *   `connect-timeout`: no connection within --connect-timeout;
   *   `read-timeout`: connected but no response head within --read-timeout (504)
   */
  constructor(
    readonly kind: "refused" | "reset" | "connect-timeout" | "read-timeout",
    message: string,
  ) {
    super(message);
  }
  /** Whether the attempt may be replayed (every kind but a read timeout). */
  get retrySafe(): boolean {
    return this.kind !== "read-timeout";
  }
  /** The status this maps to once holdfast gives up: 504 on timeouts, else 502. */
  get status(): number {
    return this.kind === "read-timeout" || this.kind === "connect-timeout" ? 504 : 502;
  }
}

/** Plain-text error response; `Connection: close` when the request body may be unread. */
export function errorResponse(status: number, message: string, closeConnection = false): Response {
  const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
  if (closeConnection) headers.connection = "close";
  return new Response(`${status} ${message}\n`, { status, headers });
}
