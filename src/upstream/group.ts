import type { GroupSpec } from "../config/schema.ts";
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
 * {@link changed} to learn that a peer may be back.
 */
export class Group {
  readonly name: string;
  readonly peers: Peer[];
  readonly #tiers: Peer[][];
  readonly #policy: SelectionPolicy;
  #waiters: (() => void)[] = [];

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
   * counts: a held request with no available peer still probes them, so a
   * peer that comes back is used within the backoff, not only once its
   * fail-timeout or health check says so.
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

  /** Wakes every held request: a peer's health changed. */
  notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /**
   * Resolves after `ms`, or earlier when a health check brings a peer back or
   * a left-out peer's `fail-timeout` ends, so a held request goes out at once.
   */
  changed(ms: number): Promise<void> {
    const now = Date.now();
    const nextReturn = Math.min(...this.peers.map((p) => (p.outUntil > now ? p.outUntil - now : Infinity)));
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        resolve();
      }, Math.min(ms, nextReturn));
      this.#waiters.push(done);
    });
  }
}
