import type { ClientConnection } from "../engine/client-conn.ts";
import { AttemptError } from "../errors.ts";
import type { RequestHead } from "../http1/head.ts";
import { ResponseSpool } from "../spool/response-spool.ts";
import type { BodyTarget, Exchange, RelayOutcome } from "../transport/exchange.ts";
import { planCompression, relayCompressed } from "./compress-response.ts";
import type { GoneSignal } from "./gone.ts";
import type { ProxyDeps } from "./handler.ts";
import type { RequestRecord } from "./request-record.ts";
import type { RequestStream } from "./request-stream.ts";
import { clientResponseHead } from "./response-head.ts";
import type { Route } from "./routes.ts";
import type { Peer } from "../upstream/peer.ts";
import { asksUnbuffered } from "./unbuffered.ts";

/** Gathers a small response body after its head, in one buffer. */
class Collector implements BodyTarget {
  onDrain: (() => void) | undefined;
  constructor(readonly into: Uint8Array, public at: number) {}
  write(b: Uint8Array): boolean {
    this.into.set(b, this.at);
    this.at += b.byteLength;
    return true;
  }
}

// Responses up to this size with a Content-Length are read whole before the head goes out.
const WHOLE_BODY_BYTES = 256 * 1024;

/** How a relay ended, for the lifecycle to finish the client connection and the log line. */
export interface Relayed {
  outcome: RelayOutcome;
  /** Body bytes sent to the client (encoded bytes when compressed), for `$body_bytes_sent`. */
  sent: number;
  /** Whether the client connection may take another request after this response. */
  keepAlive: boolean;
  /** Whether `peer.end()` was called already: a buffered response was in before the client had it. */
  peerEnded: boolean;
}

/**
 * Relays a final response (not a 101) to the client, choosing the way:
 * - compressed (`--compress`, compress-response.ts), streamed;
 * - a small `Content-Length` body that came with its head: one write;
 * - unbuffered (nginx `proxy_buffering off`: `buffer-response=off`, SSE,
 *   `X-Accel-Buffering: no`): each peer read at once, at the client's pace;
 * - a small body read whole first, so a peer that breaks off still gets the
 *   client a 502 or 504 instead of a cut-off body;
 * - buffered (`proxy_buffering on`, response-spool.ts): the peer is read at its own speed into
 *   a {@link ResponseSpool}, and `peer.end()` is called once the body is in
 *   (least-conn stops counting the peer while the client is still served).
 *
 * @param stream a request body still streaming (`buffer-request=off`): if incomplete, the connection closes after
 * @throws {AttemptError} read-timeout (504) or reset (502) when a small body
 *   read whole broke off before any byte reached the client
 */
export async function relayResponse(
  d: ProxyDeps,
  conn: ClientConnection,
  route: Route,
  head: RequestHead,
  ex: Exchange,
  gone: GoneSignal,
  rec: RequestRecord,
  stream: RequestStream | undefined,
  peer: Peer,
): Promise<Relayed> {
  const c = d.config;
  const res = ex.head!;
  const f = ex.framing;
  const dechunk = f.kind === "chunked" && head.minor === 0;
  // A streamed body the peer answered before its end: the rest is not read, the connection closes.
  const keepAlive = head.minor === 1 && !conn.lastRequest && f.kind !== "close" && !dechunk && (!stream || stream.complete);
  // --compress: nothing per request when off.
  const zip = c.compress && planCompression(c.compress, head, res, f);
  const toClient = {
    passChunked: f.kind === "chunked" && !dechunk,
    keepLength: f.kind !== "chunked",
    close: !keepAlive,
    upgrade: false,
    connection: ex.connection,
    hide: route.hides,
    edit: zip && !zip.coding ? zip.edit() : undefined,
  };
  // The exchange stays in gone.exchange from the attempt: a client that leaves cancels the relay.
  const small = f.kind === "length" && f.bytes > 0 && f.bytes <= WHOLE_BODY_BYTES;
  let outcome: RelayOutcome = "complete";
  let peerEnded = false;
  if (zip && zip.coding) {
    // A whole small body is compressed in one call; a streamed one is buffered after the compressor.
    const spool = !small && route.bufferResponse && !asksUnbuffered(res) ? newSpool(d, conn, rec) : undefined;
    if (spool) spool.onFail = () => ex.cancel("upstream-error");
    try {
      const r = await relayCompressed(zip, ex, conn, toClient, gone, route.readTimeoutMs, spool);
      outcome = r.outcome;
      if (spool && outcome === "complete") {
        peer.end();
        peerEnded = true;
        outcome = await drain(d, spool, gone, rec);
      }
      gone.exchange = undefined;
      return { outcome, sent: r.sent, keepAlive, peerEnded };
    } finally {
      await spool?.close();
    }
  }
  if (small && ex.collect()) {
    // Usually a small body came with the head: head and body leave in one write, no promise, no wait.
    conn.writeHead(clientResponseHead(res, toClient, ex.bodyBuf, ex.bodyStart, ex.bodyEnd));
  } else if (!route.bufferResponse || asksUnbuffered(res) || f.kind === "none" || (f.kind === "length" && f.bytes === 0)) {
    conn.writeHead(clientResponseHead(res, toClient));
    outcome = await ex.relay(conn, dechunk);
  } else if (small) {
    const whole = new Collector(new Uint8Array(f.bytes), 0);
    outcome = await ex.relay(whole, false);
    if (outcome === "read-timeout") {
      throw new AttemptError("read-timeout", `The peer stopped sending its response body for --read-timeout ${route.readTimeoutMs} ms`);
    }
    if (outcome === "upstream-error") throw new AttemptError("reset", "The peer broke off its response body");
    if (outcome === "complete") conn.writeHead(clientResponseHead(res, toClient, whole.into, 0, f.bytes));
  } else {
    const spool = newSpool(d, conn, rec);
    conn.writeHead(clientResponseHead(res, toClient));
    try {
      spool.onFail = () => ex.cancel("upstream-error");
      outcome = await ex.relay(spool, dechunk);
      if (outcome === "complete") {
        peer.end();
        peerEnded = true;
        outcome = await drain(d, spool, gone, rec);
      }
    } finally {
      await spool.close();
    }
  }
  gone.exchange = undefined;
  return { outcome, sent: ex.relayed, keepAlive, peerEnded };
}

/** A response spool in front of `conn`, with the `--response-buffer` and `--max-temp-file-size` limits. */
function newSpool(d: ProxyDeps, conn: ClientConnection, rec: RequestRecord): ResponseSpool {
  const c = d.config;
  return new ResponseSpool(conn, {
    memoryBytes: c.responseBufferBytes,
    maxFileBytes: c.maxTempFileBytes,
    store: d.store,
    openReader: d.openSpool,
    requestId: rec.id,
  });
}

/** Serves the rest of a buffered response to the client (the spill file is closed by the caller). */
async function drain(d: ProxyDeps, spool: ResponseSpool, gone: GoneSignal, rec: RequestRecord): Promise<RelayOutcome> {
  gone.exchange = spool;
  if (await spool.finish()) return "complete";
  if (spool.error) d.onBug(rec.id, spool.error);
  return gone.aborted ? "client-gone" : "upstream-error";
}
