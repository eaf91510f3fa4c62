/**
 * `--admin-path /_holdfast`: the proxy's own listeners answer requests under
 * that prefix with the admin app instead of proxying them (nginx's
 * `location /_holdfast { stub_status; }` in the proxied `server`). Only a
 * listener started with the flag is wrapped: without it, a request pays
 * nothing for this.
 *
 * @module
 */
import type { AccessRecord } from "../access-log.ts";
import type { ClientConnection, StartRequest } from "../engine/client-conn.ts";
import { requestFraming } from "../http1/framing.ts";
import type { RequestHead } from "../http1/head.ts";
import { reasonOf } from "../http1/reasons.ts";
import { requestFacts } from "../proxy/request-facts.ts";
import { RequestRecord } from "../proxy/request-record.ts";
import { ownResponseHead } from "../proxy/response-head.ts";
import { originForm } from "../proxy/target.ts";

/** What answers an admin request: the admin app's `fetch`. */
export type AdminFetch = (req: Request) => Response | Promise<Response>;

const ENC = new TextEncoder();

/** Whether origin-form `target` is `prefix` or below it: `/_holdfast`, `/_holdfast/metrics`, `/_holdfast?x`, not `/_holdfastx`. */
export function underPrefix(target: string, prefix: string): boolean {
  if (!target.startsWith(prefix)) return false;
  const next = target.charCodeAt(prefix.length);
  return Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */;
}

/**
 * Wraps a listener's request start: requests under `prefix` go to `app`,
 * the rest to `proxy`. Only GET and HEAD are answered (405 otherwise); a
 * request with a body gets its answer and a lingering close, as the proxy's
 * own early answers do. Each is logged through `onDone`.
 */
export function serveAdminOnPath(proxy: StartRequest, prefix: string, app: AdminFetch, onDone: (r: AccessRecord) => void): StartRequest {
  return (conn: ClientConnection, head: RequestHead) => {
    const target = originForm(head.target);
    if (!underPrefix(target, prefix)) return proxy(conn, head);
    void answer(conn, head, target, app).then((rec) => onDone(rec));
  };
}

const NOT_ALLOWED = ENC.encode("405 Method Not Allowed: the admin endpoint answers GET and HEAD without a body\n");

async function answer(conn: ClientConnection, head: RequestHead, target: string, app: AdminFetch): Promise<RequestRecord> {
  const rec = new RequestRecord(conn.clientAddress, head.method, head.target);
  let status: number;
  let body: Uint8Array;
  const fields: [string, string][] = [];
  try {
    conn.closeRequested = requestFacts(head).close;
    if ((head.method !== "GET" && head.method !== "HEAD") || requestFraming(head).kind !== "none") {
      rec.status = 405;
      rec.sentBytes = NOT_ALLOWED.byteLength;
      conn.respondAndClose(405, "Method Not Allowed", NOT_ALLOWED, [["Allow", "GET, HEAD"]]);
      return rec;
    }
    // HEAD is answered as GET without the body, so its Content-Length is the GET's (RFC 9110 §9.3.2).
    const res = await app(new Request(`http://admin${target}`));
    status = res.status;
    body = new Uint8Array(await res.arrayBuffer());
    res.headers.forEach((v, k) => k !== "content-length" && fields.push([k, v]));
  } catch (e) {
    // A head the engine accepted but the lifecycle refuses (two Host fields, a bad Content-Length).
    const msg = ENC.encode(`400 ${(e as Error).message}\n`);
    rec.status = 400;
    rec.sentBytes = msg.byteLength;
    conn.respondAndClose(400, reasonOf(400), msg);
    return rec;
  }
  rec.status = conn.closed ? 499 : status;
  if (conn.closed) return rec;
  const keepAlive = head.minor === 1 && !conn.lastRequest;
  fields.push(["Content-Length", String(body.byteLength)]);
  if (!keepAlive) fields.push(["Connection", "close"]);
  conn.writeHead(ownResponseHead(status, reasonOf(status), fields));
  if (head.method !== "HEAD" && body.byteLength > 0) {
    conn.write(body);
    rec.sentBytes = body.byteLength;
  }
  conn.finish(keepAlive);
  return rec;
}
