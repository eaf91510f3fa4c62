import type { Runtime } from "../runtime/index.ts";
import type { ClientTls, Listener, ListenOptions, Socket } from "../runtime/socket-types.ts";
import { accessLineFormatter } from "./access-log.ts";
import { accessLogParseErrors } from "./log/parse-errors.ts";
import type { PeerAddress } from "./config/address.ts";
import type { Config } from "./config/schema.ts";
import type { ListenSpec } from "./config/tls-flags.ts";
import { ClientConnection, type ClientLimits, type OnParseError, type StartRequest } from "./engine/client-conn.ts";
import { Inflight } from "./inflight.ts";
import { ShutdownError } from "./errors.ts";
import { interruptRequest } from "./engine/interrupt.ts";
import { failureLine } from "./failure-log.ts";
import { loadOfflinePage } from "./offline-page.ts";
import { RouteTable } from "./proxy/routes.ts";
import { createProxyHandler, type ProxyDeps } from "./proxy/handler.ts";
import { openSpoolStore } from "./spool/open-store.ts";
import { loadCaBundle, loadCertificates } from "./tls/load.ts";
import { redirectToHttps } from "./tls/redirect.ts";
import { AdminEndpoint } from "./admin/endpoint.ts";
import { ConnLimiter } from "./limits/limit-conn.ts";
import { VERSION } from "./version.ts";
import { withWorker } from "./workers/log-tag.ts";
import { tagRequestIds } from "./proxy/request-record.ts";
import { PeerPool } from "./transport/pool.ts";
import { Group } from "./upstream/group.ts";
import type { Peer } from "./upstream/peer.ts";
import { HealthChecker } from "./upstream/health.ts";
import { HoldProber } from "./upstream/hold-prober.ts";
import { probePeer } from "./upstream/probe.ts";

// How long shutdown waits for written responses to drain after the last
// request finished.
const FLUSH_GRACE_MS = 2000;
// How long requests cut off at the end of --shutdown-timeout get to send their 503.
const INTERRUPT_GRACE_MS = 1000;
// nginx's keepalive_timeout inside an upstream block defaults to 60s.
const PEER_IDLE_TIMEOUT_MS = 60_000;

/** A running proxy. */
export interface RunningProxy {
  /** The bound port of each `--listen`, in the order given. */
  ports: number[];
  /** The first `--listen`'s port. */
  port: number;
  /**
   * Graceful stop: closes the listeners and idle client connections, lets
   * in-flight requests finish for up to `--shutdown-timeout` ms, answers
   * those still unanswered then with 503 and `Retry-After` (or the offline
   * page), then removes every spool file left.
   * @returns whether every in-flight request finished in time
   */
  shutdown(): Promise<boolean>;
  /**
   * Re-reads `--tls-cert`, `--tls-key` and `--upstream-ca` (SIGHUP): the TLS
   * listeners serve the new certificates to connections accepted from now on
   * and new peer connections trust the new CAs; open connections and held
   * requests go on. When a file cannot be read or used, everything stays as
   * it was. `--offline-page` is re-read on its own: a broken one keeps the
   * page in use, and does not stop the certificates from being reloaded.
   * @returns log lines: what was loaded, or why nothing was
   */
  reload(): string[];
  /** The upstream groups, whose peers a worker's health news changes (src/workers/worker.ts). */
  groups: readonly Group[];
  /** The admin endpoint, when `--admin-listen` or `--admin-path` is given. */
  admin: AdminEndpoint | undefined;
}

/**
 * How a worker of `--workers` (src/workers/) differs from a lone holdfast:
 * its listeners are bound with SO_REUSEPORT next to the other workers', the
 * primary runs the active health checks and `--admin-listen`, and its
 * access-log lines and request ids name it.
 */
export interface WorkerRole {
  /** 1 to N. */
  index: number;
}

/**
 * Starts holdfast with a validated config: removes stale spool files, loads
 * the offline page and the TLS files, binds the listeners, and serves each
 * client connection with holdfast's own HTTP/1.1 engine.
 * @throws when a spool directory cannot be created, the offline page or a TLS
 *   file cannot be read or used, or an address cannot be bound
 */
export async function startProxy(rt: Runtime, config: Config, log: (line: string) => void, role?: WorkerRole): Promise<RunningProxy> {
  if (role) tagRequestIds(role.index);
  const store = await openSpoolStore(rt, config, (line) => rt.stderr(`holdfast: warning: ${line}\n`));
  for (const p of store.removeStale()) log(`holdfast: removed stale spool file ${p}`);
  const offlinePage = config.offlinePagePath ? loadOfflinePage(rt, config.offlinePagePath) : undefined;
  const loaded = config.certFiles.length > 0 ? loadCertificates(rt, config.certFiles) : undefined;
  for (const line of loaded?.lines ?? []) log(`holdfast: ${line}`);
  const upstreamCa = config.upstreamCaPath ? loadCaBundle(rt, config.upstreamCaPath) : undefined;
  const inflight = new Inflight();
  const groups = config.groups.map((g) => new Group(g));
  // The default route uses group "default", else the first group given.
  const group = groups.find((g) => g.name === "default") ?? groups[0];
  // One per https peer, shared by its pool and its health checks; a reload changes `ca` in place.
  const peerTls = new Map<string, ClientTls>();
  const tlsOf = (peer: PeerAddress): ClientTls | undefined => {
    if (!peer.tls) return undefined;
    const key = `${peer.key} ${peer.tls.name} ${peer.tls.verify}`;
    let t = peerTls.get(key);
    if (!t) peerTls.set(key, t = { serverName: peer.tls.name, ca: upstreamCa, verify: peer.tls.verify });
    return t;
  };
  const pools = new Map<string, PeerPool>();
  const poolFor = (peer: PeerAddress): PeerPool => {
    // An https peer has a pool of its own, even at an address a plain peer also names.
    const key = peer.tls ? `${peer.origin} ${peer.tls.name} ${peer.tls.verify}` : peer.key;
    let p = pools.get(key);
    if (!p) {
      const addr = peer.socketPath ? { path: peer.socketPath } : { host: peer.host, port: peer.port };
      p = new PeerPool(rt.sockets, addr, {
        maxIdle: config.keepalive,
        maxRequests: config.keepaliveRequests,
        idleTimeoutMs: PEER_IDLE_TIMEOUT_MS,
      }, tlsOf(peer));
      pools.set(key, p);
    }
    return p;
  };
  const checkers = role ? [] : config.groups.flatMap((g, i) => (g.health ? [new HealthChecker(rt, groups[i], g.health, tlsOf)] : []));
  for (const c of checkers) c.start();
  const probe = (peer: Peer) => probePeer(rt.sockets, peer.address, tlsOf(peer.address), config.connectTimeoutMs);
  const probers = groups.map((g) => new HoldProber(g, probe, config.holdProbeIntervalMs));
  const routes = new RouteTable(config, new Map(groups.map((g) => [g.name, g])), group);
  const format = withWorker(accessLineFormatter(config.accessLogFormat), config.accessLogFormat, role?.index);
  const logDone: ProxyDeps["onDone"] = config.accessLog ? (r) => log(format(r, Date.now())) : () => {};
  const conns = new Set<ClientConnection>();
  // --admin-listen, --admin-path: without them nothing below costs a request anything.
  const admin = config.admin && new AdminEndpoint(config.admin, {
    live: inflight.track(),
    conns,
    groups,
    store,
    fileSize: (p) => rt.files.size(p),
    format,
    build: { version: VERSION, runtime: rt.name, runtimeVersion: rt.version, platform: rt.platform, pid: rt.pid },
    limitRefusals: config.limitReq || config.limitConn || routes.zones.size
      ? (): { req: number; conn: number } => ({ req: [...routes.zones].reduce((n, z) => n + z.refused, 0), conn: connLimit?.refused ?? 0 })
      : undefined,
  });
  const onDone = admin ? admin.feed(logDone) : logDone;
  const deps: ProxyDeps = {
    config,
    store,
    routes,
    inflight,
    poolFor,
    openSpool: (path) => rt.files.openReader(path),
    offlinePage,
    onDone,
    onBug: (id, e) => rt.stderr(`holdfast: request ${id}: ${(e as Error).stack ?? e}\n`),
    onFailure: (id, status, detail) => rt.stderr(failureLine(id, status, detail)),
    scheme: "http",
  };
  const httpsDeps: ProxyDeps = { ...deps, scheme: "https" };
  // One handler per scheme: what X-Forwarded-Proto says costs nothing per request.
  const startHttp = createProxyHandler(deps);
  const startHttps = loaded ? createProxyHandler(httpsDeps) : startHttp;
  const limits: ClientLimits = {
    maxHeadBytes: config.maxHeaderBytes,
    headerTimeoutMs: config.clientHeaderTimeoutMs,
    keepaliveTimeoutMs: config.keepaliveTimeoutMs,
    keepaliveRequests: config.keepaliveRequests,
  };
  // Parse errors: an access-log line (not through the admin's request counters) and the admin's own count.
  const logParse: OnParseError | undefined = config.accessLog ? accessLogParseErrors(logDone) : undefined;
  const onParseError: OnParseError = admin
    ? (c, status, message, sent) => {
      admin.state.stats.recordParseError(status);
      logParse?.(c, status, message, sent);
    }
    : logParse ?? (() => {});
  const connLimit = config.limitConn && new ConnLimiter(config.limitConn, onDone);
  const accept = (start: StartRequest) => (socket: Socket) => {
    if (admin) admin.state.accepted++;
    if (connLimit) return acceptLimited(socket, start);
    const conn = new ClientConnection(socket, limits, start, onParseError);
    conns.add(conn);
    conn.onClosed = () => conns.delete(conn);
  };
  // --limit-conn: a connection past the limit is not counted, and its first request is refused.
  const acceptLimited = (socket: Socket, start: StartRequest) => {
    const address = socket.remoteAddress;
    const admitted = connLimit!.admit(address);
    const conn = new ClientConnection(socket, limits, admitted ? start : connLimit!.refuse, onParseError);
    conns.add(conn);
    conn.onClosed = () => {
      conns.delete(conn);
      if (admitted) connLimit!.release(address);
    };
  };
  const listeners: { spec: ListenSpec; listener: Listener }[] = [];
  try {
    const httpsPorts: number[] = [];
    // TLS listeners first: --redirect-https names the first one's port.
    for (const spec of [...config.listeners].sort((a, b) => Number(b.tls) - Number(a.tls))) {
      // nginx ssl_handshake_timeout; a head has --client-header-timeout after it.
      const opts: ListenOptions = spec.tls
        ? { tls: { certificates: loaded!.certificates, handshakeTimeoutMs: config.clientHeaderTimeoutMs } }
        : {};
      if (role) opts.reusePort = true;
      let start = spec.tls ? startHttps : config.redirectHttps ? redirectToHttps(startHttp, httpsPorts[0], onDone) : startHttp;
      if (admin) start = admin.wrap(start, logDone);
      const listener = await listen(rt, spec, accept(start), opts);
      if (spec.tls) httpsPorts.push(listener.port);
      listeners.push({ spec, listener });
    }
    const adminPort = role ? undefined : await admin?.listen(rt);
    if (adminPort !== undefined) log(`holdfast: admin endpoint on http://${config.admin!.listen!.host}:${adminPort}/`);
  } catch (e) {
    for (const l of listeners) l.listener.close();
    for (const c of checkers) c.stop();
    throw e;
  }
  const ports = config.listeners.map((spec) => listeners.find((l) => l.spec === spec)!.listener.port);
  return {
    ports,
    port: ports[0],
    groups,
    admin: admin || undefined,
    reload(): string[] {
      const lines: string[] = [];
      if (config.offlinePagePath) {
        try {
          deps.offlinePage = httpsDeps.offlinePage = loadOfflinePage(rt, config.offlinePagePath);
          lines.push(`SIGHUP: reloaded --offline-page ${config.offlinePagePath}`);
        } catch (e) {
          lines.push(`SIGHUP: kept the offline page in use: ${(e as Error).message}`);
        }
      }
      if (config.certFiles.length === 0 && !config.upstreamCaPath) return lines;
      try {
        const next = config.certFiles.length > 0 ? loadCertificates(rt, config.certFiles) : undefined;
        const ca = config.upstreamCaPath ? loadCaBundle(rt, config.upstreamCaPath) : undefined;
        for (const l of listeners) if (next) l.listener.setCertificates?.(next.certificates);
        for (const t of peerTls.values()) t.ca = ca;
        const loadedLines = [...(next?.lines ?? []), ...(ca ? [`CA bundle ${config.upstreamCaPath}`] : [])];
        return [...lines, ...loadedLines.map((l) => `SIGHUP: reloaded ${l}`)];
      } catch (e) {
        return [...lines, `SIGHUP: kept the certificates in use: ${(e as Error).message}`];
      }
    },
    async shutdown() {
      for (const l of listeners) l.listener.close();
      for (const c of checkers) c.stop();
      admin?.close();
      // Every response from now on says Connection: close (nginx's graceful quit).
      limits.keepaliveRequests = 0;
      for (const c of conns) c.closeIfIdle();
      const clean = await inflight.idle(config.shutdownTimeoutMs);
      if (!clean) {
        // Never an empty reply: what is still held or still uploading gets 503 and Retry-After.
        const cutOff = new ShutdownError();
        for (const c of conns) interruptRequest(c, cutOff);
        await inflight.idle(INTERRUPT_GRACE_MS);
      }
      // Held requests are still woken during the drain: only now do the probers stop.
      for (const p of probers) p.stop();
      store.removeAll();
      for (const p of pools.values()) p.closeAll();
      // The last response may still be on its way out of the socket buffers.
      const until = Date.now() + FLUSH_GRACE_MS;
      while (conns.size > 0 && Date.now() < until) {
        for (const c of conns) c.closeIfIdle();
        await new Promise((r) => setTimeout(r, 20));
      }
      return clean;
    },
  };
}

/** Binds one `--listen`. @throws Error naming the flag, the address and why (EADDRINUSE, EACCES) */
async function listen(rt: Runtime, spec: ListenSpec, onAccept: (s: Socket) => void, opts?: ListenOptions): Promise<Listener> {
  try {
    return await rt.sockets.listen({ host: spec.host, port: spec.port }, onAccept, opts);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === "EADDRINUSE"
      ? "address in use (EADDRINUSE): another process, or another holdfast, listens there"
      : code === "EACCES"
      ? "permission denied (EACCES): a port below 1024 needs root or CAP_NET_BIND_SERVICE"
      : code
      ? `${(e as Error).message} (${code})`
      : (e as Error).message;
    throw new Error(`cannot listen on --listen ${spec.host}:${spec.port}${spec.tls ? ",tls" : ""}: ${why}`);
  }
}
