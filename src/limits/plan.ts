/**
 * What `holdfast --check` says of the limits (nginx `-t` prints nothing of
 * them; holdfast's plan names every zone).
 *
 * @module
 */
import type { LimitConnSpec, LimitReqSpec } from "./flags.ts";
import { MAX_KEYS } from "./limit-req.ts";

/** The plan's lines for `--limit-req`, each route's `limit-req=`, and `--limit-conn`; none when no limit is set. */
export function limitPlan(
  c: { limitReq?: LimitReqSpec; limitConn?: LimitConnSpec; routes: { text: string; options: { limitReq?: LimitReqSpec | null } }[] },
): string[] {
  const lines: string[] = [];
  if (c.limitReq) lines.push(`limit requests ${describeReq(c.limitReq)}`);
  for (const r of c.routes) {
    const l = r.options.limitReq;
    if (l === null) lines.push(`  but not on route ${r.text}`);
    else if (l) lines.push(`limit requests on route ${r.text} ${describeReq(l)}`);
  }
  if (c.limitConn) lines.push(`limit each client address to ${c.limitConn.max} open connections, answering ${c.limitConn.status} past it`);
  return lines;
}

function describeReq(s: LimitReqSpec): string {
  const key = s.key.kind === "ip" ? "client address" : `${s.key.name} value (not limited without one)`;
  const burst = s.burst === 0 ? "no burst" : `a burst of ${s.burst}${s.nodelay ? " passed at once" : " delayed to the rate"}`;
  return `to ${s.ratePerS}r/s per ${key}, ${burst}, then 429; at most ${MAX_KEYS} keys remembered`;
}
