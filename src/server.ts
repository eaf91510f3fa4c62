import { readFileSync } from "node:fs";
import type { Runtime } from "../runtime/index.ts";
import { formatAccessLine } from "./access-log.ts";
import { createApp } from "./app.ts";
import type { Config } from "./config/schema.ts";
import { Inflight } from "./inflight.ts";
import { createProxyHandler } from "./proxy/handler.ts";
import { SpoolStore } from "./spool/store.ts";
import { Group } from "./upstream/group.ts";
import { HealthChecker } from "./upstream/health.ts";

// How long shutdown waits for written responses to drain after the last
// request finished.
const FLUSH_GRACE_MS = 2000;

/** A running proxy. */
export interface RunningProxy {
  port: number;
  /**
   * Graceful stop: closes the listener, lets in-flight requests finish for up
   * to `--shutdown-timeout` ms, then removes every spool file left.
   * @returns whether every in-flight request finished in time
   */
  shutdown(): Promise<boolean>;
}

/**
 * Starts holdfast with a validated config: removes stale spool files, loads
 * the offline page, binds the listener.
 * @throws when a spool directory cannot be created, the offline page cannot
 *   be read, or the address cannot be bound
 */
export async function startProxy(rt: Runtime, config: Config, log: (line: string) => void): Promise<RunningProxy> {
  const store = new SpoolStore(rt, config.spoolDirs, config.spoolReserveBytes);
  for (const p of store.removeStale()) log(`holdfast: removed stale spool file ${p}`);
  const offlinePage = config.offlinePagePath ? readFileSync(config.offlinePagePath) : undefined;
  const inflight = new Inflight();
  const groups = config.groups.map((g) => new Group(g));
  // The default route uses group "default", else the first group given.
  const group = groups.find((g) => g.name === "default") ?? groups[0];
  const checkers = config.groups.flatMap((g, i) => (g.health ? [new HealthChecker(rt, groups[i], g.health, log)] : []));
  for (const c of checkers) c.start();
  const handler = createProxyHandler({
    rt,
    config,
    store,
    group,
    inflight,
    offlinePage,
    onDone: config.accessLog ? (r) => log(formatAccessLine(r, Date.now())) : () => {},
  });
  const app = createApp(handler);
  const server = await rt.serve({
    hostname: config.listen.host,
    port: config.listen.port,
    idleTimeoutMs: config.keepaliveTimeoutMs,
    handler: (req, conn) => app.fetch(req, { conn }),
  });
  return {
    port: server.port,
    async shutdown() {
      const closed = server.close();
      for (const c of checkers) c.stop();
      const clean = await inflight.idle(config.shutdownTimeoutMs);
      store.removeAll();
      // The last response may still be on its way out of the runtime's
      // buffers; exiting now would cut it. Idle keepalive connections can keep
      // close() pending, hence the bound.
      await Promise.race([closed, new Promise((r) => setTimeout(r, FLUSH_GRACE_MS))]);
      return clean;
    },
  };
}
