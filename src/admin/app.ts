/**
 * The admin endpoint as a Hono app: `/` the status page, `/status.json`,
 * `/metrics` (Prometheus), `/stub_status` (nginx's format). The same app
 * answers on `--admin-listen` (the runtime's own HTTP server) and under
 * `--admin-path` on the proxy's listeners (admin-path.ts).
 *
 * @module
 */
import { Hono } from "hono";
import { METRICS_CONTENT_TYPE } from "./metrics.ts";
import { statusPage } from "./page.ts";
import type { StatusSnapshot } from "./state.ts";
import { stubStatus } from "./stub-status.ts";

/**
 * Where the app reads its figures: one process's own state (view.ts), or
 * with `--workers` the sum over every worker (src/workers/merge.ts).
 */
export interface AdminView {
  /** Everything `/status.json` says, read now. */
  snapshot(): Promise<StatusSnapshot>;
  /** The Prometheus exposition text, read now. */
  metrics(): Promise<string>;
}

// Figures change every request: a cache must not keep them.
const NO_STORE = { "Cache-Control": "no-store" };

/**
 * Builds the app.
 * @param base the prefix every route is under: `` on the admin port, the `--admin-path` on a proxy listener
 */
export function adminApp(view: AdminView, base: string): Hono {
  // Not strict: `/_holdfast/` is the page as `/_holdfast` is, as `/metrics/` is `/metrics`.
  const app = base ? new Hono({ strict: false }).basePath(base) : new Hono({ strict: false });
  app.get("/", async (c) => c.html(statusPage(await view.snapshot(), base), 200, NO_STORE));
  app.get("/status.json", async (c) => c.json(await view.snapshot(), 200, NO_STORE));
  app.get("/metrics", async (c) => c.body(await view.metrics(), 200, { ...NO_STORE, "Content-Type": METRICS_CONTENT_TYPE }));
  app.get("/stub_status", async (c) => c.text(stubStatus(await view.snapshot()), 200, NO_STORE));
  app.notFound((c) => c.text("404 Not Found: the admin endpoint has /, /status.json, /metrics and /stub_status\n", 404));
  return app;
}
