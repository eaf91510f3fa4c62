import { Hono } from "hono";
import type { ConnInfo } from "../runtime/index.ts";

/** Bindings the runtime adapter hands Hono with each request. */
export type Env = { Bindings: { conn: ConnInfo } };

/**
 * The Hono application: every method and path goes to the proxy handler.
 * Routes (per-path upstream groups, a status endpoint) are added here by
 * later issues.
 */
export function createApp(proxy: (req: Request, conn: ConnInfo) => Promise<Response>): Hono<Env> {
  const app = new Hono<Env>();
  app.all("*", (c) => proxy(c.req.raw, c.env.conn));
  return app;
}
