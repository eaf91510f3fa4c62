import type { Config } from "../config/schema.ts";
import type { AccessRecord } from "../access-log.ts";
import { AttemptError, ClientGoneError, ProxyError, ShutdownError } from "../errors.ts";
import { requestFraming } from "../http1/framing.ts";
import type { RequestHead } from "../http1/head.ts";
import type { Inflight } from "../inflight.ts";
import type { ClientConnection, StartRequest } from "../engine/client-conn.ts";
import { BodyFeed } from "../engine/body-feed.ts";
import type { SpooledBody } from "../spool/spooler.ts";
import { Spooler } from "../spool/spooler.ts";
import { RequestStream } from "./request-stream.ts";
import type { SpoolStore } from "../spool/store.ts";
import type { SpoolSource, UpstreamBody } from "../transport/exchange.ts";
import type { PeerPool } from "../transport/pool.ts";
import type { PeerAddress } from "../config/address.ts";
import { sendWithHold } from "./hold.ts";
import { firstTry, type Sent, settleFirst } from "./first-try.ts";
import type { RouteTable } from "./routes.ts";
import { expandHeaders } from "./set-headers.ts";
import { hostOf, originForm, pathOf, rewriteTarget } from "./target.ts";
import { Forward } from "./forward.ts";
import type { Peer } from "../upstream/peer.ts";
import { requestFacts } from "./request-facts.ts";
import { clientResponseHead } from "./response-head.ts";
import { tunnel } from "./tunnel.ts";
import { relayResponse } from "./relay-response.ts";
import { failToProxy } from "./fail.ts";
import { RequestRecord } from "./request-record.ts";
import { GoneSignal } from "./gone.ts";
import { holdEnded } from "./hold-episodes.ts";
import { admitRate } from "../limits/admit-rate.ts";

/** What the request lifecycle needs, built once at start-up. */
export interface ProxyDeps {
  config: Config;
  store: SpoolStore;
  /** The `--route` table: each request's group and limits. */
  routes: RouteTable;
  inflight: Inflight;
  /** The keepalive pool of a peer. */
  poolFor(peer: PeerAddress): PeerPool;
  /** Opens a spool file for a replay. */
  openSpool(path: string): Promise<SpoolSource>;
  /** The `--offline-page` contents, if one was given. */
  offlinePage?: Uint8Array;
  /** Receives each finished request (the access log). */
  onDone(record: AccessRecord): void;
  /** Reports a bug (an unexpected exception), with its stack. */
  onBug(id: string, error: unknown): void;
  /** Receives what a generic 5xx body leaves out (failure-log.ts): the request id, its status, the detail. */
  onFailure(id: string, status: number, detail: string): void;
  /** The listener's scheme: `https` on a TLS one (`X-Forwarded-Proto`, `$scheme`). */
  scheme: "http" | "https";
}

// Shared by every request without a body: never changed.
const NO_BODY: SpooledBody = Object.freeze({ size: 0 });
const NOTHING_TO_SEND: UpstreamBody = Object.freeze({ kind: "none" });
const EMPTY = new Uint8Array(0);

/**
 * The request lifecycle, in order (Pingora's phases): check the head (400,
 * 501, 417, 413) -> `--limit-req` (429, or a delay) -> receive and spool the body (413, 408, 507) -> send it to
 * a peer, holding and replaying while none can be reached -> relay the
 * response (or a tunnel after 101), or 502/504 and the offline page -> remove
 * the spool file and log. {@link failToProxy} is the one place a failure
 * becomes a status.
 */
export function createProxyHandler(d: ProxyDeps): StartRequest {
  return (conn, head) => {
    void handle(d, conn, head);
  };
}

async function handle(d: ProxyDeps, conn: ClientConnection, head: RequestHead): Promise<void> {
  const c = d.config;
  const rec = new RequestRecord(conn.clientAddress, head.method, head.target, head);
  d.inflight.begin(rec);
  const gone = new GoneSignal();
  // A shutdown that ran out of time ends the request with its own error (503), anything else is the client leaving.
  conn.onGone = (e) => gone.abort(e instanceof ShutdownError ? e : new ClientGoneError());
  let spooler: Spooler | undefined;
  let bodyEndedAt = Date.now();
  // least-conn counts a peer's request until its response is relayed.
  let servedBy: Peer | undefined;
  let stream: RequestStream | undefined;
  try {
    const facts = requestFacts(head);
    conn.closeRequested = facts.close;
    // RFC 9110 §9.3.6: CONNECT asks a forward proxy for a tunnel; a reverse proxy has no such service to offer.
    if (head.method === "CONNECT") throw new ProxyError(501, "holdfast is a reverse proxy: CONNECT is not supported");
    let route = d.routes.single;
    let target: string | undefined;
    // Read once, for a virtual host's routes or a set-header's $host.
    let host: string | undefined;
    if (!route) {
      const origin = originForm(head.target);
      if (d.routes.byHost) host = hostOf(head);
      route = d.routes.match(host, pathOf(origin));
      if (!route) throw new ProxyError(404, `No --route matches ${head.target}`);
      if (route.replacePrefix !== undefined) target = rewriteTarget(route, origin);
    }
    rec.route = route;
    const framing = requestFraming(head);
    if (facts.expect !== undefined && facts.expect !== "100-continue") {
      throw new ProxyError(417, `Cannot meet the expectation "${facts.expect}"`);
    }
    const declared = framing.kind === "length" ? framing.bytes : undefined;
    if (declared !== undefined) rec.declaredBytes = declared;
    if (route.maxBodyBytes > 0 && declared !== undefined && declared > route.maxBodyBytes) {
      throw new ProxyError(
        413,
        `Request body of ${declared} bytes is larger than ${route.text ? "the route's max-body" : "--max-body"} ${route.maxBodyBytes}`,
      );
    }
    // nginx limit_req: once, before the body is read; holds and replays below never come back here.
    if (route.limitReq) await admitRate(route.limitReq, conn, head, framing.kind === "none", gone);
    let body: SpooledBody = NO_BODY;
    let sendBody: UpstreamBody = NOTHING_TO_SEND;
    let bodyBytes = framing.kind === "none" ? undefined : 0;
    const hasBody = framing.kind === "chunked" || (framing.kind === "length" && framing.bytes > 0);
    if (hasBody && !route.bufferRequest) {
      // nginx proxy_request_buffering off: the body goes to the peer as it
      // arrives, so the request is held only until its first byte is sent.
      rec.body = stream = new RequestStream(framing.kind === "chunked", route.maxBodyBytes);
      if (facts.expect === "100-continue" && head.minor === 1) conn.sendContinue();
      const s = stream;
      conn.readBody(new BodyFeed(framing, s, route.clientBodyTimeoutMs, c.maxHeaderBytes)).then(() => s.end(), (e) => s.fail(e));
      sendBody = { kind: "stream", stream };
      bodyBytes = declared;
    } else if (hasBody) {
      rec.body = spooler = new Spooler({
        bufferBytes: c.bodyBufferBytes,
        maxBodyBytes: route.maxBodyBytes,
        store: d.store,
        requestId: rec.id,
        declared,
      });
      // holdfast reads the body whatever the upstream does, so it answers 100 itself (RFC 9110 §10.1.1).
      if (facts.expect === "100-continue" && head.minor === 1) conn.sendContinue();
      await conn.readBody(new BodyFeed(framing, spooler, route.clientBodyTimeoutMs, c.maxHeaderBytes));
      body = await spooler.finish();
      sendBody = body.path ? { kind: "file", path: body.path, size: body.size } : { kind: "bytes", bytes: body.bytes ?? EMPTY };
      bodyBytes = body.size;
    }
    rec.bodyBytes = body.size;
    rec.bodyEndedAt = bodyEndedAt = Date.now();
    // websocket=off: the handshake goes as a plain request (nginx without proxy_set_header Upgrade).
    const upgrade = facts.upgrade && route.websocket;
    const extra = route.setHeaders &&
      expandHeaders(route.setHeaders, {
        remoteAddr: conn.clientAddress,
        host: (d.routes.byHost ? host : hostOf(head)) ?? "",
        scheme: d.scheme,
        requestId: rec.id,
      });
    const ctx = { clientAddress: conn.clientAddress, target: head.target, headers: facts.headers };
    const fwd = new Forward(d, route, conn, head, target, sendBody, bodyBytes, upgrade, facts.connection, gone, extra);
    const rules = route.rules;
    // The usual request is answered by its first try: one await, not the hold's three.
    const first = firstTry(route.group, ctx, fwd);
    let sent: Sent | undefined;
    if (first?.exchange) {
      try {
        await first.exchange.response();
        sent = settleFirst(first, fwd, rules, rec);
      } catch {
        // sendWithHold takes the failure as its first attempt's.
      }
    }
    sent ??= await sendWithHold(route.group, ctx, fwd, rules, rec, first);
    if (rec.heldSince) holdEnded(rec);
    rec.heldMs = Date.now() - bodyEndedAt - (rec.attempts.at(-1)?.ms ?? 0);
    servedBy = sent.peer;
    const ex = sent.exchange;
    const res = ex.head!;
    rec.status = res.status;
    if (res.status === 101) {
      if (!upgrade) {
        ex.cancel("upstream-error");
        throw new AttemptError("invalid-response", "The peer switched protocols on a request that asked for no upgrade");
      }
      const totals = await tunnel(
        conn,
        ex,
        clientResponseHead(res, { passChunked: false, keepLength: false, close: false, upgrade: true }),
        c.tunnelIdleTimeoutMs,
      );
      rec.sentBytes = totals.down;
      rec.bodyBytes += totals.up;
      return;
    }
    const r = await relayResponse(d, conn, route, head, ex, gone, rec, stream, sent.peer);
    if (r.peerEnded) servedBy = undefined;
    rec.sentBytes = r.sent;
    if (r.outcome === "complete") conn.finish(r.keepAlive);
    else if (r.outcome === "client-gone") rec.status = 499;
    // A body cut short must not look complete: the client sees the connection close.
    else conn.abort();
  } catch (e) {
    if (rec.heldSince) holdEnded(rec, e);
    rec.heldMs ||= rec.attempts.length ? Date.now() - bodyEndedAt : 0;
    // A streamed body that failed (the client left, 408, 413) is why its try failed.
    rec.status = failToProxy(d, conn, rec, stream?.error ?? (gone.reason instanceof ShutdownError ? gone.reason : e));
  } finally {
    gone.exchange = undefined;
    servedBy?.end();
    if (spooler) await spooler.abort();
    if (stream) rec.bodyBytes = stream.size;
    d.inflight.end(rec);
    d.onDone(rec);
  }
}
