import type { PeerAddress } from "../config/address.ts";
import type { PeerSpec } from "../config/upstream-flags.ts";
import type { PeerView } from "./types.ts";

/**
 * One peer of a group and its health. `available()` is the one question
 * selection asks; passive health (nginx `max_fails`/`fail_timeout`), active
 * health checks and `down` all hide behind it.
 */
export class Peer implements PeerView {
  readonly key: string;
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

  constructor(spec: PeerSpec) {
    this.address = spec.address;
    this.key = spec.address.key;
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
   * counts a failure (nginx counts errors, timeouts and listed 5xx).
   */
  report(ok: boolean, now: number): void {
    this.#trialInFlight = false;
    if (ok) {
      this.#failures = [];
      this.#outUntil = 0;
      return;
    }
    if (this.#maxFails === 0) return;
    this.#failures = this.#failures.filter((t) => now - t < this.#failTimeoutMs);
    this.#failures.push(now);
    // A failed trial request sends the peer out again at once.
    if (this.#failures.length >= this.#maxFails || this.#outUntil !== 0) {
      this.#outUntil = now + this.#failTimeoutMs;
      this.#failures = [];
    }
  }
}
