/**
 * The admin endpoint as a Hono app: `/` the status page, `/status.json`,
 * `/metrics` (Prometheus), `/stub_status` (nginx's format). The same app
 * answers on `--admin-listen` (the runtime's own HTTP server) and under
 * `--admin-path` on the proxy's listeners (admin-path.ts).
 *
 * @module
 */
import { Hono } from "hono";
import { METRICS_CONTENT_TYPE, MetricsRegistry } from "./metrics.ts";
import { statusPage } from "./page.ts";
import type { AdminState } from "./state.ts";
import { stubStatus } from "./stub-status.ts";

// Figures change every request: a cache must not keep them.
const NO_STORE = { "Cache-Control": "no-store" };

/**
 * Builds the app.
 * @param base the prefix every route is under: `` on the admin port, the `--admin-path` on a proxy listener
 */
export function adminApp(state: AdminState, base: string): Hono {
  const metrics = new MetricsRegistry(state);
  // Not strict: `/_holdfast/` is the page as `/_holdfast` is, as `/metrics/` is `/metrics`.
  const app = base ? new Hono({ strict: false }).basePath(base) : new Hono({ strict: false });
  app.get("/", (c) => c.html(statusPage(state.snapshot(), base), 200, NO_STORE));
  app.get("/status.json", (c) => c.json(state.snapshot(), 200, NO_STORE));
  app.get("/metrics", async (c) => c.body(await metrics.text(), 200, { ...NO_STORE, "Content-Type": METRICS_CONTENT_TYPE }));
  app.get("/stub_status", (c) => c.text(stubStatus(state), 200, NO_STORE));
  app.notFound((c) => c.text("404 Not Found: the admin endpoint has /, /status.json, /metrics and /stub_status\n", 404));
  return app;
}
