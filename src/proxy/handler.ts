import type { Config } from "../config/schema.ts";
import { AttemptError, errorResponse, ProxyError } from "../errors.ts";
import { upstreamRequestHeaders } from "../headers.ts";
import type { AccessRecord } from "../access-log.ts";
import type { Inflight } from "../inflight.ts";
import { receiveBody, type SpooledBody } from "../spool/receive.ts";
import type { SpoolStore } from "../spool/store.ts";
import type { Group } from "../upstream/group.ts";
import type { ConnInfo, Runtime, UpstreamBody } from "../../runtime/index.ts";
import { type AttemptRecord, sendWithHold } from "./hold.ts";
import { relayResponse } from "./relay.ts";

/** What the request lifecycle needs, built once at start-up. */
export interface ProxyDeps {
  rt: Runtime;
  config: Config;
  store: SpoolStore;
  /** The group the default route sends to. */
  group: Group;
  inflight: Inflight;
  /** The `--offline-page` contents, if one was given. */
  offlinePage?: Uint8Array;
  /** Receives each finished request (the access log). */
  onDone(record: AccessRecord): void;
}

let counter = 0;
/** A request id that is short, unique in this process, and safe in a file name. */
function newRequestId(): string {
  counter = (counter + 1) % 0x100000;
  return Date.now().toString(36) + counter.toString(36).padStart(4, "0");
}

/**
 * The request lifecycle, in order: receive and spool the body (413, 408, 507)
 * -> send it to a peer, holding and replaying while none can be reached ->
 * relay the response (or 502/504, or the offline page) -> remove the spool
 * file and log.
 */
export function createProxyHandler(d: ProxyDeps): (req: Request, conn: ConnInfo) => Promise<Response> {
  const c = d.config;
  return async (req, conn) => {
    const finished = d.inflight.begin();
    const url = new URL(req.url);
    const rec: AccessRecord = {
      id: newRequestId(),
      startedAt: Date.now(),
      clientAddress: conn.clientAddress,
      method: req.method,
      target: url.pathname + url.search,
      status: 0,
      bodyBytes: 0,
      sentBytes: 0,
      attempts: [] as AttemptRecord[],
      heldMs: 0,
    };
    let body: SpooledBody | undefined;
    const release = () => {
      if (body?.path) d.store.remove(body.path);
      finished();
    };
    const log = (status: number) => {
      rec.status = status;
      d.onDone(rec);
    };
    // holdfast's own timers bound this request from here on.
    conn.holdOpen();
    try {
      body = await receiveBody(req, {
        bufferBytes: c.bodyBufferBytes,
        maxBodyBytes: c.maxBodyBytes,
        clientBodyTimeoutMs: c.clientBodyTimeoutMs,
        store: d.store,
        requestId: rec.id,
        writeBodyToFile: d.rt.spoolRequestBody,
      });
    } catch (e) {
      release();
      const err = e instanceof ProxyError ? e : new ProxyError(400, String(e));
      log(err.status);
      // No "Connection: close": the rest of the body is being drained
      // (lingering close), and closing now would reset the client mid-upload.
      return errorResponse(err.status, err.message);
    }
    rec.bodyBytes = body.size;
    const hasBody = req.headers.has("content-length") || req.headers.has("transfer-encoding");
    const sendBody: UpstreamBody = body.path
      ? { kind: "file", path: body.path, size: body.size }
      : hasBody && req.method !== "GET" && req.method !== "HEAD"
      ? { kind: "bytes", bytes: body.bytes! }
      : { kind: "none" };
    const bodyEndedAt = Date.now();
    let res: Response;
    let peerDone = () => {};
    try {
      const ctx = { clientAddress: conn.clientAddress, target: rec.target, headers: req.headers };
      const sent = await sendWithHold(d.rt, d.group, ctx, {
        method: req.method,
        target: rec.target,
        headers: upstreamRequestHeaders(req.headers, { clientAddress: conn.clientAddress, proto: url.protocol.slice(0, -1) }, sendBody.kind === "none" ? undefined : body.size),
        body: sendBody,
        connectTimeoutMs: c.connectTimeoutMs,
        readTimeoutMs: c.readTimeoutMs,
        sendTimeoutMs: c.sendTimeoutMs,
        keepaliveIdle: c.keepalive,
        clientSignal: req.signal,
      }, { holdMs: c.holdMs, next: c.nextUpstream, tries: c.nextUpstreamTries, timeoutMs: c.nextUpstreamTimeoutMs }, rec.attempts);
      res = sent.response;
      peerDone = () => sent.peer.end();
    } catch (e) {
      rec.heldMs = Date.now() - bodyEndedAt;
      release();
      if (!(e instanceof AttemptError)) {
        if (req.signal.aborted) {
          log(499);
          return errorResponse(499, "Client closed the connection", true);
        }
        // A bug, not an upstream failure: say so, and still answer.
        process.stderr.write(`holdfast: request ${rec.id}: ${(e as Error).stack ?? e}\n`);
        log(500);
        return errorResponse(500, "Internal error in holdfast");
      }
      log(d.offlinePage ? (c.offlineStatus ?? e.status) : e.status);
      return d.offlinePage
        ? new Response(d.offlinePage as Uint8Array<ArrayBuffer>, { status: c.offlineStatus ?? e.status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } })
        : errorResponse(e.status, e.message);
    }
    rec.heldMs = Date.now() - bodyEndedAt - (rec.attempts.at(-1)?.ms ?? 0);
    return await relayResponse(res, c.readTimeoutMs, req.method === "HEAD", (outcome, bytes, status) => {
      rec.sentBytes = bytes;
      peerDone();
      release();
      log(outcome === "client-gone" ? 499 : status);
    });
  };
}
