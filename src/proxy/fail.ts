import { AttemptError, ClientGoneError, LimitError, ProxyError, ShutdownError } from "../errors.ts";
import type { ClientConnection } from "../engine/client-conn.ts";
import { ParseError } from "../http1/errors.ts";
import { reasonOf } from "../http1/reasons.ts";
import type { AccessRecord } from "../access-log.ts";
import type { ProxyDeps } from "./handler.ts";
import { ownResponseHead } from "./response-head.ts";
import { errorBody } from "./error-body.ts";

// Seconds a client is told to wait after a shutdown cut its request off: about a supervisor's restart.
const RETRY_AFTER_S = "5";

/**
 * The one place where a failure becomes the client's answer and the logged
 * status: a malformed request 400/501 (and close), an early refusal 408, 413,
 * 417, 507 (with a lingering close), the client gone 499 (nothing sent), an
 * upstream failure 502/504 or the offline page, a shutdown 503 with
 * `Retry-After` (or the offline page), a bug 500. A 5xx body is generic
 * (error-body.ts); its detail goes to `onFailure` with the request id. The
 * body's bytes go in `rec.sentBytes` (nginx `$body_bytes_sent` counts its own pages too).
 * @returns the status for the access log
 */
export function failToProxy(
  d: Pick<ProxyDeps, "config" | "offlinePage" | "onBug" | "onFailure">,
  conn: ClientConnection,
  rec: AccessRecord,
  e: unknown,
): number {
  if (e instanceof ClientGoneError || conn.closed) {
    conn.abort();
    return 499;
  }
  if (e instanceof ShutdownError && d.offlinePage) {
    d.onFailure(rec.id, 503, e.message);
    respond(conn, 503, "text/html; charset=utf-8", d.offlinePage, [["Cache-Control", "no-store"], ["Retry-After", RETRY_AFTER_S]]);
    rec.sentBytes = d.offlinePage.byteLength;
    return 503;
  }
  if (e instanceof LimitError && e.keepAlive) {
    // A refused request without a body leaves the connection usable, as nginx's limit_req does.
    const body = errorBody(e.status, e.message, rec.id);
    respond(conn, e.status, "text/plain; charset=utf-8", body, [["Retry-After", String(e.retryAfterS)]]);
    rec.sentBytes = body.byteLength;
    return e.status;
  }
  if (e instanceof ParseError || e instanceof ProxyError) {
    if (e.status >= 500) d.onFailure(rec.id, e.status, e.message);
    const body = errorBody(e.status, e.message, rec.id);
    conn.respondAndClose(e.status, reasonOf(e.status), body, retryAfter(e));
    rec.sentBytes = body.byteLength;
    return e.status;
  }
  if (e instanceof AttemptError) {
    d.onFailure(rec.id, e.status, e.message);
    const c = d.config;
    const status = d.offlinePage ? (c.offlineStatus ?? e.status) : e.status;
    const body = d.offlinePage ?? errorBody(e.status, e.message, rec.id);
    const type = d.offlinePage ? "text/html; charset=utf-8" : "text/plain; charset=utf-8";
    respond(conn, status, type, body, d.offlinePage ? [["Cache-Control", "no-store"]] : []);
    rec.sentBytes = body.byteLength;
    return status;
  }
  d.onBug(rec.id, e);
  const body = errorBody(500, "", rec.id);
  conn.respondAndClose(500, reasonOf(500), body);
  rec.sentBytes = body.byteLength;
  return 500;
}

/** Sends a complete response holdfast made itself on a connection that may stay open. */
function respond(conn: ClientConnection, status: number, type: string, body: Uint8Array, extra: [string, string][]): void {
  const keepAlive = conn.minor === 1 && !conn.lastRequest;
  const fields: [string, string][] = [["Content-Type", type], ["Content-Length", String(body.byteLength)], ...extra];
  if (!keepAlive) fields.push(["Connection", "close"]);
  conn.writeHead(ownResponseHead(status, reasonOf(status), fields));
  conn.write(body);
  conn.finish(keepAlive);
}

/** The `Retry-After` of a refusal that has one: a shutdown's, a limit's. */
function retryAfter(e: ProxyError | ParseError): [string, string][] {
  if (e instanceof ShutdownError) return [["Retry-After", RETRY_AFTER_S]];
  if (e instanceof LimitError) return [["Retry-After", String(e.retryAfterS)]];
  return [];
}
