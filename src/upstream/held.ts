/**
 * The requests of one group that are held: waiting for any of its peers to
 * come back. They are woken together (a hold prober's answer, a health check
 * putting a peer back), and whoever probes the group for them learns when
 * the first starts waiting and the last stops, so it runs only while
 * someone is held.
 *
 * @module
 */

/** The part of a client's "gone" signal a wait listens to (`AbortSignal`'s shape). */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", fn: () => void, opts?: { once?: boolean }): void;
  removeEventListener(type: "abort", fn: () => void): void;
}

// setTimeout fires at once past 2^31 - 1 ms (about 24.8 days): a longer --hold would spin.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One waiting request: its timer, and how to end its wait. */
interface Waiter {
  timer: ReturnType<typeof setTimeout>;
  resolve(): void;
}

/** The held requests of one group. */
export class HeldRequests {
  readonly #waiters = new Set<Waiter>();
  /**
   * Told `true` when the first request starts waiting and `false` when the
   * last one stops (woken, timed out, or its client left): the group's hold
   * prober (hold-prober.ts) runs in between.
   */
  onBusy: ((busy: boolean) => void) | undefined;

  /** Requests waiting now. */
  get count(): number {
    return this.#waiters.size;
  }

  /**
   * Waits until {@link wakeAll}, or `ms` (the rest of the request's `--hold`).
   * @throws `signal.reason` when the client leaves meanwhile (the wait ends at once)
   */
  wait(ms: number, signal: AbortLike): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        timer: setTimeout(() => w.resolve(), Math.min(ms, MAX_TIMER_MS)),
        resolve: () => {
          signal.removeEventListener("abort", onAbort);
          this.#remove(w);
          resolve();
        },
      };
      const onAbort = () => {
        this.#remove(w);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.add(w);
      if (this.#waiters.size === 1) this.onBusy?.(true);
    });
  }

  /** Ends every wait now: a peer may be back. Requests that start waiting afterwards wait for the next call. */
  wakeAll(): void {
    for (const w of [...this.#waiters]) w.resolve();
  }

  #remove(w: Waiter): void {
    clearTimeout(w.timer);
    if (!this.#waiters.delete(w)) return;
    if (this.#waiters.size === 0) this.onBusy?.(false);
  }
}
