import type { PeerView, SelectContext, SelectionPolicy } from "../types.ts";
import { fewerInflight } from "./least-conn.ts";

/**
 * Power of two random choices (nginx `random two least_conn`, Caddy
 * `random_choose 2` with least-requests): draw two distinct candidates
 * uniformly and send to the one with fewer in-flight requests relative to
 * weight, the first drawn on a tie. Nearly as even as least-conn without
 * every balancer instance herding onto the same least-loaded peer.
 *
 * The draw itself ignores weight (as nginx's does when weights are equal);
 * weight only enters the load comparison, so an idle group is spread
 * uniformly.
 */
export class RandomTwoPolicy implements SelectionPolicy {
  readonly #random: () => number;

  /** @param random uniform in [0, 1), injectable for tests; Math.random by default */
  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /**
   * @param _all unused: the draw is over the candidates only
   * @param candidates the non-empty set that may be picked
   * @returns one of `candidates`
   */
  select(_all: readonly PeerView[], candidates: readonly PeerView[], _ctx?: SelectContext): PeerView {
    const n = candidates.length;
    if (n === 1) return candidates[0];
    const i = this.#index(n);
    // Draw the second from the other n-1 so the two are always distinct.
    let j = this.#index(n - 1);
    if (j >= i) j++;
    const a = candidates[i];
    const b = candidates[j];
    return fewerInflight(b, a) ? b : a;
  }

  /** An index in [0, n); clamped because an injected random may return 1. */
  #index(n: number): number {
    return Math.min(n - 1, Math.max(0, Math.floor(this.#random() * n)));
  }
}
