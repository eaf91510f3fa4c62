import type { GroupSpec } from "../config/schema.ts";
import { type AbortLike, HeldRequests } from "./held.ts";
import { Peer } from "./peer.ts";
import { createPolicy } from "./policies/index.ts";
import type { SelectContext, SelectionPolicy } from "./types.ts";

// A `now` for Group.#pick that means "whatever passive and active health say".
const IGNORE_HEALTH = -1;

function usable(p: Peer, exclude: ReadonlySet<Peer>, now: number): boolean {
  return (now === IGNORE_HEALTH ? !p.down : p.available(now)) && !exclude.has(p);
}

/**
 * An upstream group (nginx `upstream NAME { ... }`): its peers, split into
 * primaries and backups, and its selection policy. Held requests wait on
 * {@link waitForPeer} to learn that a peer may be back.
 */
export class Group {
  readonly name: string;
  readonly peers: Peer[];
  readonly #tiers: Peer[][];
  readonly #policy: SelectionPolicy;
  /** The requests waiting for a peer of this group (the hold prober watches them). */
  readonly held: HeldRequests = new HeldRequests();

  constructor(spec: GroupSpec) {
    this.name = spec.name;
    this.peers = spec.peers.map((p) => new Peer(p));
    this.#tiers = [this.peers.filter((p) => !p.backup), this.peers.filter((p) => p.backup)];
    this.#policy = createPolicy(spec.policy);
  }

  /**
   * Picks a peer for a request: from the primaries available now, else from
   * the backups (nginx `backup`), never one in `exclude` (peers this request
   * already failed on, `proxy_next_upstream`).
   * @returns the peer, or undefined when none may take the request now
   */
  select(ctx: SelectContext, exclude: ReadonlySet<Peer>): Peer | undefined {
    return this.#pick(ctx, exclude, Date.now());
  }

  /**
   * Like {@link select} but deaf to passive and active health, only `down`
   * counts: a held request woken by the hold prober goes to the peer that
   * answered it at once, not only once its fail-timeout or health check says so.
   */
  selectIgnoringHealth(ctx: SelectContext, exclude: ReadonlySet<Peer>): Peer | undefined {
    return this.#pick(ctx, exclude, IGNORE_HEALTH);
  }

  /** `now` is the time health is judged at, or {@link IGNORE_HEALTH}. */
  #pick(ctx: SelectContext, exclude: ReadonlySet<Peer>, now: number): Peer | undefined {
    for (const tier of this.#tiers) {
      // Usually every peer is usable: then the tier itself is the candidate
      // list, and nothing is allocated per request (not even a predicate).
      let all = tier.length > 0;
      for (let i = 0; i < tier.length && all; i++) all = usable(tier[i], exclude, now);
      if (all) return this.#policy.select(tier, tier, ctx) as Peer;
      const candidates = tier.filter((p) => usable(p, exclude, now));
      if (candidates.length) return this.#policy.select(tier, candidates, ctx) as Peer;
    }
    return undefined;
  }

  /** Whether {@link select} would find a peer, without moving the policy's state. */
  hasCandidate(exclude: ReadonlySet<Peer>): boolean {
    const now = Date.now();
    return this.peers.some((p) => p.available(now) && !exclude.has(p));
  }

  /** Wakes every held request: a peer answered a hold probe, or a health check put one back. */
  notify(): void {
    this.held.wakeAll();
  }

  /**
   * Waits until a peer may be back: a hold probe got an answer or a health
   * check put a peer back ({@link notify}), or `ms` passed (the rest of the
   * request's `--hold`). A peer's `fail-timeout` ending does not wake held
   * requests: the prober says when it answers, so a held POST is not sent
   * to a peer that is still starting.
   * @throws `signal.reason` when the client leaves meanwhile
   */
  waitForPeer(ms: number, signal: AbortLike): Promise<void> {
    return this.held.wait(ms, signal);
  }
}
