/**
 * `--redirect-https`: the plain-HTTP listeners answer 308 with the request's
 * URL on https (nginx `return 308 https://$host$request_uri;`), except the
 * ACME HTTP-01 challenge path, which is proxied so that an ACME client behind
 * holdfast can renew the certificate (RFC 8555 §8.3).
 *
 * @module
 */
import type { AccessRecord } from "../access-log.ts";
import type { ClientConnection, StartRequest } from "../engine/client-conn.ts";
import { requestFraming } from "../http1/framing.ts";
import type { RequestHead } from "../http1/head.ts";
import { requestFacts } from "../proxy/request-facts.ts";
import { RequestRecord } from "../proxy/request-record.ts";
import { ownResponseHead } from "../proxy/response-head.ts";
import { hostOf, originForm, pathOf } from "../proxy/target.ts";

/** RFC 8555 §8.3: the HTTP-01 challenge is fetched from this path, over plain http. */
export const ACME_CHALLENGE_PATH = "/.well-known/acme-challenge/";

const ENC = new TextEncoder();

/**
 * The URL a request is redirected to: `https://` + its host (no port) + the
 * https listener's port unless 443 + its target in origin form.
 * @returns undefined when the request names no host (an HTTP/1.0 request without `Host`)
 */
export function httpsLocation(head: RequestHead, httpsPort: number): string | undefined {
  const host = hostOf(head);
  if (!host) return undefined;
  const origin = originForm(head.target);
  return `https://${host}${httpsPort === 443 ? "" : `:${httpsPort}`}${origin.startsWith("/") ? origin : "/"}`;
}

/**
 * Wraps a listener's request start: ACME challenges go to `proxy`, every
 * other request gets its 308 here (400 when it names no host), logged through
 * `onDone`. A request with a body gets the answer and a lingering close (its
 * body is read and dropped, as after nginx's early responses); one without
 * keeps its connection.
 * @param httpsPort the port of the first `,tls` listener
 */
export function redirectToHttps(proxy: StartRequest, httpsPort: number, onDone: (r: AccessRecord) => void): StartRequest {
  return (conn: ClientConnection, head: RequestHead) => {
    if (pathOf(originForm(head.target)).startsWith(ACME_CHALLENGE_PATH)) return proxy(conn, head);
    const rec = new RequestRecord(conn.clientAddress, head.method, head.target, head);
    const location = httpsLocation(head, httpsPort);
    if (location === undefined) {
      rec.status = 400;
      const body = ENC.encode("400 Cannot redirect to https: the request names no host\n");
      rec.sentBytes = body.byteLength;
      conn.respondAndClose(400, "Bad Request", body);
      return onDone(rec);
    }
    const body = ENC.encode(`308 ${location}\n`);
    rec.status = 308;
    rec.sentBytes = body.byteLength;
    if (requestFraming(head).kind !== "none") {
      conn.respondAndClose(308, "Permanent Redirect", body, [["Location", location]]);
      return onDone(rec);
    }
    conn.closeRequested = requestFacts(head).close;
    const keepAlive = head.minor === 1 && !conn.lastRequest;
    const fields: [string, string][] = [
      ["Location", location],
      ["Content-Type", "text/plain; charset=utf-8"],
      ["Content-Length", String(body.byteLength)],
    ];
    if (!keepAlive) fields.push(["Connection", "close"]);
    conn.writeHead(ownResponseHead(308, "Permanent Redirect", fields));
    conn.write(body);
    conn.finish(keepAlive);
    onDone(rec);
  };
}
