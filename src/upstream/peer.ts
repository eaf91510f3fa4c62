import type { PeerAddress } from "../config/address.ts";
import type { PeerSpec } from "../config/upstream-flags.ts";
import type { PeerView } from "./types.ts";
import { event } from "../log/events.ts";

/**
 * One peer of a group and its health. `available()` is the one question
 * selection asks; passive health (nginx `max_fails`/`fail_timeout`), active
 * health checks and `down` all hide behind it.
 */
export class Peer implements PeerView {
  readonly key: string;
  /** The name of its group, for the event log. */
  readonly group: string;
  readonly weight: number;
  readonly address: PeerAddress;
  readonly backup: boolean;
  readonly #down: boolean;
  readonly #maxFails: number;
  readonly #failTimeoutMs: number;
  inflight = 0;
  /** Set by active health checks; a peer starts healthy. */
  healthy = true;
  #failures: number[] = [];
  /** While non-zero the peer failed `max-fails` times; it is left out until this epoch ms. */
  #outUntil = 0;
  #trialInFlight = false;
  /**
   * `--workers`: told when this worker's own failures send the peer out, or
   * its trial brings it back, so the primary can tell the other workers.
   */
  onPassiveChange: ((peer: Peer) => void) | undefined = undefined;

  constructor(spec: PeerSpec) {
    this.address = spec.address;
    this.key = spec.address.key;
    this.group = spec.group;
    this.weight = spec.weight;
    this.backup = spec.backup;
    this.#down = spec.down;
    this.#maxFails = spec.maxFails;
    this.#failTimeoutMs = spec.failTimeoutMs;
  }

  /**
   * Whether the peer may take a request at `now` (epoch ms). After
   * `fail-timeout` a failed peer is offered exactly one request, as nginx
   * does; it is back for good only when that one succeeds.
   */
  available(now: number): boolean {
    if (this.#down || !this.healthy) return false;
    if (this.#outUntil === 0) return true;
    return now >= this.#outUntil && !this.#trialInFlight;
  }

  /** Configured `down`: never selected. */
  get down(): boolean {
    return this.#down;
  }

  /** Epoch ms at which a passively failed peer may be tried again; 0 when it is not out. */
  get outUntil(): number {
    return this.#outUntil;
  }

  /**
   * Takes another worker's passive verdict (`--workers`): out until `until`
   * (epoch ms), or back when 0. No event: the worker that judged logged it.
   */
  shareOut(until: number): void {
    this.#outUntil = until;
    this.#failures = [];
    this.#trialInFlight = false;
  }

  /** Marks a request sent; pair with {@link end}. */
  start(): void {
    this.inflight++;
    if (this.#outUntil !== 0) this.#trialInFlight = true;
  }

  /** Marks a request finished, its response relayed or abandoned. */
  end(): void {
    this.inflight--;
    // A trial abandoned before it was judged (the client left) must not keep
    // the peer out for good.
    this.#trialInFlight = false;
  }

  /**
   * Records how an attempt went, at its response head or failure; `ok` false
   * counts a failure (nginx counts errors, timeouts and listed 5xx). Leaving
   * and coming back are `peer-down` and `peer-up` events (source `passive`).
   * @param why the failure's kind (`refused`) or the response status, for the event log
   * @param request the request the attempt was for: its id goes in the event
   */
  report(ok: boolean, now: number, why?: string | number, request?: { readonly id: string }): void {
    this.#trialInFlight = false;
    if (ok) {
      this.#failures.length = 0;
      if (this.#outUntil === 0) return;
      this.#outUntil = 0;
      event("peer-up", { group: this.group, peer: this.key, source: "passive", reason: reasonOf(why), id: request?.id });
      this.onPassiveChange?.(this);
      return;
    }
    if (this.#maxFails === 0) return;
    this.#failures = this.#failures.filter((t) => now - t < this.#failTimeoutMs);
    this.#failures.push(now);
    // A failed trial request sends the peer out again at once.
    if (this.#failures.length >= this.#maxFails || this.#outUntil !== 0) {
      const fails = this.#failures.length;
      const was = this.#outUntil;
      this.#outUntil = now + this.#failTimeoutMs;
      this.#failures = [];
      this.onPassiveChange?.(this);
      if (was !== 0) return;
      event("peer-down", {
        group: this.group,
        peer: this.key,
        source: "passive",
        reason: reasonOf(why),
        fails,
        until: new Date(this.#outUntil).toISOString(),
        id: request?.id,
      });
    }
  }
}

/** An attempt's outcome as an event's reason: `refused`, `status 502`. */
function reasonOf(why: string | number | undefined): string | undefined {
  return typeof why === "number" ? `status ${why}` : why;
}
