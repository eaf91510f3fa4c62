import type { PeerAddress } from "../config/address.ts";
import type { RequestHead, ResponseHead } from "../http1/head.ts";
import type { ClientConnection } from "../engine/client-conn.ts";
import type { SpoolSource, UpstreamBody } from "../transport/exchange.ts";
import type { PeerPool } from "../transport/pool.ts";
import type { AttemptInput } from "./attempt.ts";
import type { ClientSignal } from "./gone.ts";
import type { ProxyDeps } from "./handler.ts";
import { forwardHead } from "./forward-head.ts";
import { clientResponseHead } from "./response-head.ts";
import type { Route } from "./routes.ts";

const INTERIM = { passChunked: false, keepLength: false, close: false, upgrade: false } as const;

/**
 * What each attempt of one request needs ({@link AttemptInput}): one object
 * per request whose methods build the peer's head and pass 103 Early Hints
 * on, instead of a closure apiece (small GETs are measured per allocation,
 * bench/README.md).
 */
export class Forward implements AttemptInput {
  readonly method: string;
  readonly poolFor: (peer: PeerAddress) => PeerPool;
  readonly openSpool: (path: string) => Promise<SpoolSource>;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly sendTimeoutMs: number;
  readonly maxResponseHeadBytes: number;
  /** `https` on a TLS listener: what `X-Forwarded-Proto` says. */
  readonly scheme: "http" | "https";

  /**
   * @param route the request's route: its timeouts (`--route` options, else the global flags) and `set-header` names
   * @param target the origin-form target to send instead of the client's (a route's `strip-prefix` or `rewrite=`)
   * @param bodyBytes the forwarded `Content-Length`, or undefined for a request without a body
   * @param upgrade whether `Connection: upgrade` and `Upgrade` are kept (RFC 9110 §7.8: the client asked for a switch)
   * @param extra the route's `set-header` fields for this request, variables expanded (`expandHeaders` in routes.ts)
   * @param connection the client's `Connection` tokens, dropped as hop-by-hop (RFC 9110 §7.6.1)
   */
  constructor(
    d: ProxyDeps,
    readonly route: Route,
    readonly conn: ClientConnection,
    readonly head: RequestHead,
    readonly target: string | undefined,
    readonly body: UpstreamBody,
    readonly bodyBytes: number | undefined,
    readonly upgrade: boolean,
    readonly connection: ReadonlySet<string> | undefined,
    readonly clientSignal: ClientSignal,
    readonly extra?: readonly [string, string][],
  ) {
    this.method = head.method;
    this.poolFor = d.poolFor;
    this.openSpool = d.openSpool;
    this.connectTimeoutMs = route.connectTimeoutMs;
    this.readTimeoutMs = route.readTimeoutMs;
    this.sendTimeoutMs = route.sendTimeoutMs;
    this.maxResponseHeadBytes = d.config.maxResponseHeaderBytes;
    this.scheme = d.scheme;
  }

  /** See {@link AttemptInput.headFor}: a request without `Host` (HTTP/1.0) gets the peer's address. */
  headFor(peer: PeerAddress): Uint8Array {
    return forwardHead(this.head, {
      clientAddress: this.conn.clientAddress,
      proto: this.scheme,
      fallbackHost: peer.socketPath ? "localhost" : peer.key,
      target: this.target,
      replace: this.route.replaces,
      extra: this.extra,
      bodyBytes: this.bodyBytes,
      chunked: this.body.kind === "stream" && this.body.stream.chunked,
      upgrade: this.upgrade,
      connection: this.connection,
    });
  }

  /** See {@link AttemptInput.onInterim}: an HTTP/1.0 client gets no 1xx (RFC 9110 §15.2). */
  onInterim(h: ResponseHead): void {
    if (this.head.minor === 1) this.conn.writeHead(clientResponseHead(h, INTERIM), false);
  }
}
