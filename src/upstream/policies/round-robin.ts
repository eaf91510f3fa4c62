import type { PeerView, SelectContext, SelectionPolicy } from "../types.ts";

/**
 * Smooth weighted round-robin, nginx's default balancing
 * (`ngx_http_upstream_get_peer`): on every pick each candidate's current
 * weight grows by its weight, the largest wins (the first in `all` order on
 * ties) and loses the total of the candidates' weights. Weights 3:2:1 give
 * the sequence a b a c b a: exact proportions over every cycle of
 * sum(weights) picks, with the heavy peer's turns spread out rather than
 * bunched.
 *
 * Only candidates take part in a pick, so a peer that is unavailable keeps
 * its current weight untouched until it returns, as in nginx, where failed
 * and `down` peers are skipped before the weights are added.
 */
export class RoundRobinPolicy implements SelectionPolicy {
  /** nginx `current_weight` per peer key; a peer never seen starts at 0. */
  readonly #current = new Map<string, number>();

  /**
   * @param all the tier in configuration order, which fixes tie order
   * @param candidates the non-empty subset of `all` that may be picked
   * @returns one of `candidates`
   */
  select(all: readonly PeerView[], candidates: readonly PeerView[], _ctx?: SelectContext): PeerView {
    if (candidates.length === 1) return candidates[0];
    // Walk `all` rather than `candidates` so ties go by configuration order
    // whatever order the caller filtered the candidates in.
    const byKey = candidates === all ? undefined : new Map(candidates.map((c) => [c.key, c]));
    let best: PeerView | undefined;
    let bestWeight = -Infinity;
    let total = 0;
    for (const p of all) {
      const c = byKey ? byKey.get(p.key) : p;
      if (!c) continue;
      const w = (this.#current.get(c.key) ?? 0) + c.weight;
      this.#current.set(c.key, w);
      total += c.weight;
      if (w > bestWeight) {
        best = c;
        bestWeight = w;
      }
    }
    // Only reachable if the caller broke the contract (a candidate missing from `all`).
    if (!best) return candidates[0];
    this.#current.set(best.key, bestWeight - total);
    if (this.#current.size > all.length) this.#forgetRemoved(all);
    return best;
  }

  /** Drops the state of peers no longer in the tier, so removed peers do not accumulate. */
  #forgetRemoved(all: readonly PeerView[]): void {
    const keep = new Set(all.map((p) => p.key));
    for (const key of this.#current.keys()) if (!keep.has(key)) this.#current.delete(key);
  }
}
