/**
 * The admin endpoint's life: its state, its app on `--admin-listen` (the
 * runtime's own HTTP server: the figures are small and few ask for them,
 * so holdfast's own engine is kept for the proxy), its wrapper for
 * `--admin-path`, and the per-request hook that feeds it. server.ts makes
 * one when either flag is given, and nothing of this otherwise.
 *
 * @module
 */
import type { Runtime, Server } from "../../runtime/index.ts";
import type { StartRequest } from "../engine/client-conn.ts";
import type { AccessRecord } from "../access-log.ts";
import { serveAdminOnPath } from "./admin-path.ts";
import { adminApp, type AdminView } from "./app.ts";
import type { AdminListen } from "./flags.ts";
import { type AdminSources, AdminState } from "./state.ts";
import { type LocalView, localView } from "./view.ts";

/** `--admin-listen` and `--admin-path` as the config holds them. */
export interface AdminConfig {
  listen?: AdminListen;
  path?: string;
}

// The status page polls every second; a dashboard's scrape interval is longer.
const ADMIN_IDLE_TIMEOUT_MS = 75_000;

/** The admin endpoint of one holdfast process. */
export class AdminEndpoint {
  readonly state: AdminState;
  /** This process's own figures. */
  readonly local: LocalView;
  /** What the pages show: {@link local}, or with `--workers` the sum over all workers (set before {@link wrap}). */
  view: AdminView;
  #server: Server | undefined;

  constructor(readonly config: AdminConfig, sources: AdminSources) {
    this.state = new AdminState(sources);
    this.view = this.local = localView(this.state);
  }

  /**
   * The access-log hook with the admin endpoint's counting in front: the
   * lifecycle's `onDone` becomes this.
   * @param label counts the requests under this route label instead of their route's
   */
  feed(next: (r: AccessRecord) => void, label?: string): (r: AccessRecord) => void {
    const state = this.state;
    return (r) => {
      state.done(r, Date.now(), label);
      next(r);
    };
  }

  /** A proxy listener's request start, answering under `--admin-path` (unchanged without it). */
  wrap(start: StartRequest, log: (r: AccessRecord) => void): StartRequest {
    const prefix = this.config.path;
    if (prefix === undefined) return start;
    // Read at each request: a worker of --workers sets the view after its listeners are up.
    const app = adminApp({ snapshot: () => this.view.snapshot(), metrics: () => this.view.metrics() }, prefix);
    return serveAdminOnPath(start, prefix, (req) => app.fetch(req), this.feed(log, "admin"));
  }

  /**
   * Starts the `--admin-listen` server, if asked for.
   * @returns the bound port, or undefined without `--admin-listen`
   * @throws Error naming the flag and the address when it cannot be bound
   */
  async listen(rt: Runtime): Promise<number | undefined> {
    const at = this.config.listen;
    if (!at) return undefined;
    this.#server = await serveAdmin(rt, at, this.view);
    return this.#server.port;
  }

  /** Stops the `--admin-listen` server (shutdown); its open responses finish. */
  close(): void {
    void this.#server?.close();
    this.#server = undefined;
  }
}

/**
 * Serves the admin app on `--admin-listen` with the runtime's own HTTP server.
 * @throws Error naming the flag and the address when it cannot be bound
 */
export async function serveAdmin(rt: Runtime, at: AdminListen, view: AdminView): Promise<Server> {
  const app = adminApp(view, "");
  try {
    return await rt.serve({
      hostname: at.host,
      port: at.port,
      idleTimeoutMs: ADMIN_IDLE_TIMEOUT_MS,
      handler: (req) => app.fetch(req),
    });
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(`cannot listen on --admin-listen ${at.host}:${at.port}: ${(e as Error).message}${code ? ` (${code})` : ""}`);
  }
}
