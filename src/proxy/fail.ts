import { AttemptError, ClientGoneError, ProxyError } from "../errors.ts";
import type { ClientConnection } from "../engine/client-conn.ts";
import { ParseError } from "../http1/errors.ts";
import { reasonOf } from "../http1/reasons.ts";
import type { AccessRecord } from "../access-log.ts";
import type { ProxyDeps } from "./handler.ts";
import { ownResponseHead } from "./response-head.ts";

const ENC = new TextEncoder();
const INTERNAL_ERROR = ENC.encode("500 Internal error in holdfast\n");

/**
 * The one place where a failure becomes the client's answer and the logged
 * status: a malformed request 400/501 (and close), an early refusal 408, 413,
 * 417, 507 (with a lingering close), the client gone 499 (nothing sent), an
 * upstream failure 502/504 or the offline page, a bug 500. The body's
 * bytes go in `rec.sentBytes` (nginx `$body_bytes_sent` counts its own pages too).
 * @returns the status for the access log
 */
export function failToProxy(
  d: Pick<ProxyDeps, "config" | "offlinePage" | "onBug">,
  conn: ClientConnection,
  rec: AccessRecord,
  e: unknown,
): number {
  if (e instanceof ClientGoneError || conn.closed) {
    conn.abort();
    return 499;
  }
  if (e instanceof ParseError || e instanceof ProxyError) {
    const body = ENC.encode(`${e.status} ${e.message}\n`);
    conn.respondAndClose(e.status, reasonOf(e.status), body);
    rec.sentBytes = body.byteLength;
    return e.status;
  }
  if (e instanceof AttemptError) {
    const c = d.config;
    const status = d.offlinePage ? (c.offlineStatus ?? e.status) : e.status;
    const body = d.offlinePage ?? ENC.encode(`${e.status} ${e.message}\n`);
    const type = d.offlinePage ? "text/html; charset=utf-8" : "text/plain; charset=utf-8";
    respond(conn, status, type, body, d.offlinePage ? [["Cache-Control", "no-store"]] : []);
    rec.sentBytes = body.byteLength;
    return status;
  }
  d.onBug(rec.id, e);
  conn.respondAndClose(500, reasonOf(500), INTERNAL_ERROR);
  rec.sentBytes = INTERNAL_ERROR.byteLength;
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
