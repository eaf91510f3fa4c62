import type { PeerView, SelectContext, SelectionPolicy } from "../types.ts";
import { RoundRobinPolicy } from "./round-robin.ts";

/**
 * Whether `a` is less loaded than `b` relative to weight:
 * inflight_a / weight_a < inflight_b / weight_b, compared as
 * inflight_a * weight_b < inflight_b * weight_a to stay in integers, as
 * nginx's `least_conn` does.
 */
export function fewerInflight(a: PeerView, b: PeerView): boolean {
  return a.inflight * b.weight < b.inflight * a.weight;
}

/**
 * nginx `least_conn`: the candidate with the fewest in-flight requests
 * relative to its weight; when several tie (an idle group, say) smooth
 * weighted round-robin among the tied ones, so ties rotate in weight
 * proportion instead of always landing on the first peer.
 *
 * The round-robin state is shared across picks, as nginx's least_conn shares
 * the peers' current weights with the round-robin module.
 */
export class LeastConnPolicy implements SelectionPolicy {
  readonly #rr = new RoundRobinPolicy();

  /**
   * @param all the tier in configuration order
   * @param candidates the non-empty subset of `all` that may be picked
   * @returns one of `candidates`
   */
  select(all: readonly PeerView[], candidates: readonly PeerView[], _ctx?: SelectContext): PeerView {
    let best = candidates[0];
    let tied = [best];
    for (let i = 1; i < candidates.length; i++) {
      const p = candidates[i];
      if (fewerInflight(p, best)) {
        best = p;
        tied = [p];
      } else if (!fewerInflight(best, p)) {
        tied.push(p);
      }
    }
    return tied.length === 1 ? best : this.#rr.select(all, tied);
  }
}
