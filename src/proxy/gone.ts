/**
 * How the request lifecycle learns that its client left: the shape of
 * `AbortSignal`'s listeners, plus the slot of the exchange to cancel.
 */
export interface ClientSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  /**
   * The peer exchange working for the client now: cancelled first when the
   * client leaves. A slot rather than a listener, so a request that is not
   * held makes no closure for it.
   */
  exchange: { cancel(): void } | undefined;
  addEventListener(type: "abort", fn: () => void, opts?: { once?: boolean }): void;
  removeEventListener(type: "abort", fn: () => void): void;
}

/**
 * A per-request "the client left" signal. An `AbortController` with its
 * EventTarget cost about 5% of a small GET's CPU time in the profile
 * (bench/get.ts --profile); this is a plain array of callbacks.
 */
export class GoneSignal implements ClientSignal {
  aborted = false;
  reason: unknown = undefined;
  exchange: { cancel(): void } | undefined = undefined;
  #fns: (() => void)[] = [];

  /** Calls `fn` once when the client leaves (listeners fire once whatever `opts` says). */
  addEventListener(_type: "abort", fn: () => void, _opts?: { once?: boolean }): void {
    this.#fns.push(fn);
  }

  removeEventListener(_type: "abort", fn: () => void): void {
    const i = this.#fns.indexOf(fn);
    if (i >= 0) this.#fns.splice(i, 1);
  }

  /** Marks the client gone with `reason` and calls every listener once. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.exchange?.cancel();
    this.exchange = undefined;
    const fns = this.#fns;
    this.#fns = [];
    for (const fn of fns) fn();
  }
}
