import type { Runtime } from "../runtime/index.ts";
import type { Listener, Socket } from "../runtime/socket-types.ts";
import { formatAccessLine } from "./access-log.ts";
import type { PeerAddress } from "./config/address.ts";
import type { Config } from "./config/schema.ts";
import { ClientConnection, type ClientLimits } from "./engine/client-conn.ts";
import { Inflight } from "./inflight.ts";
import { RouteTable } from "./proxy/routes.ts";
import { createProxyHandler } from "./proxy/handler.ts";
import { SpoolStore } from "./spool/store.ts";
import { PeerPool } from "./transport/pool.ts";
import { Group } from "./upstream/group.ts";
import { HealthChecker } from "./upstream/health.ts";

// How long shutdown waits for written responses to drain after the last
// request finished.
const FLUSH_GRACE_MS = 2000;
// nginx's keepalive_timeout inside an upstream block defaults to 60s.
const PEER_IDLE_TIMEOUT_MS = 60_000;

/** A running proxy. */
export interface RunningProxy {
  port: number;
  /**
   * Graceful stop: closes the listener and idle client connections, lets
   * in-flight requests finish for up to `--shutdown-timeout` ms, then removes
   * every spool file left.
   * @returns whether every in-flight request finished in time
   */
  shutdown(): Promise<boolean>;
}

/**
 * Starts holdfast with a validated config: removes stale spool files, loads
 * the offline page, binds the listener, and serves each client connection
 * with holdfast's own HTTP/1.1 engine.
 * @throws when a spool directory cannot be created, the offline page cannot
 *   be read, or the address cannot be bound
 */
export async function startProxy(rt: Runtime, config: Config, log: (line: string) => void): Promise<RunningProxy> {
  const store = new SpoolStore(rt, config.spoolDirs, config.spoolReserveBytes);
  for (const p of store.removeStale()) log(`holdfast: removed stale spool file ${p}`);
  const offlinePage = config.offlinePagePath ? rt.files.readFile(config.offlinePagePath) : undefined;
  const inflight = new Inflight();
  const groups = config.groups.map((g) => new Group(g));
  // The default route uses group "default", else the first group given.
  const group = groups.find((g) => g.name === "default") ?? groups[0];
  const pools = new Map<string, PeerPool>();
  const poolFor = (peer: PeerAddress): PeerPool => {
    let p = pools.get(peer.key);
    if (!p) {
      const addr = peer.socketPath ? { path: peer.socketPath } : { host: peer.host, port: peer.port };
      p = new PeerPool(rt.sockets, addr, {
        maxIdle: config.keepalive,
        maxRequests: config.keepaliveRequests,
        idleTimeoutMs: PEER_IDLE_TIMEOUT_MS,
      });
      pools.set(peer.key, p);
    }
    return p;
  };
  const checkers = config.groups.flatMap((g, i) => (g.health ? [new HealthChecker(rt, groups[i], g.health, log)] : []));
  for (const c of checkers) c.start();
  const routes = new RouteTable(config, new Map(groups.map((g) => [g.name, g])), group);
  const start = createProxyHandler({
    config,
    store,
    routes,
    inflight,
    poolFor,
    openSpool: (path) => rt.files.openReader(path),
    offlinePage,
    onDone: config.accessLog ? (r) => log(formatAccessLine(r, Date.now())) : () => {},
    onBug: (id, e) => rt.stderr(`holdfast: request ${id}: ${(e as Error).stack ?? e}\n`),
  });
  const limits: ClientLimits = {
    maxHeadBytes: config.maxHeaderBytes,
    headerTimeoutMs: config.clientHeaderTimeoutMs,
    keepaliveTimeoutMs: config.keepaliveTimeoutMs,
    keepaliveRequests: config.keepaliveRequests,
  };
  const conns = new Set<ClientConnection>();
  const onParseError = () => {};
  const onAccept = (socket: Socket) => {
    const conn = new ClientConnection(socket, limits, start, onParseError);
    conns.add(conn);
    conn.onClosed = () => conns.delete(conn);
  };
  let listener: Listener;
  try {
    listener = await rt.sockets.listen({ host: config.listen.host, port: config.listen.port }, onAccept);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === "EADDRINUSE" ? "address in use (EADDRINUSE)" : code ? `${(e as Error).message} (${code})` : (e as Error).message;
    throw new Error(`cannot listen on ${config.listen.host}:${config.listen.port}: ${why}`);
  }
  return {
    port: listener.port,
    async shutdown() {
      listener.close();
      for (const c of checkers) c.stop();
      // Every response from now on says Connection: close (nginx's graceful quit).
      limits.keepaliveRequests = 0;
      for (const c of conns) c.closeIfIdle();
      const clean = await inflight.idle(config.shutdownTimeoutMs);
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
