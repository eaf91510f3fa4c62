/** Counts requests in progress, so shutdown can wait for them (nginx's graceful quit). */
export class Inflight {
  #count = 0;
  #waiters: (() => void)[] = [];

  /** Number of requests not yet finished. */
  get count(): number {
    return this.#count;
  }

  /** Marks a request started; call {@link end} once when it finishes. */
  begin(): void {
    this.#count++;
  }

  /** Marks a request finished (one call per {@link begin}; no closure per request). */
  end(): void {
    if (--this.#count === 0) { for (const w of this.#waiters.splice(0)) w(); }
  }

  /** Resolves true when none are left, or false after `timeoutMs` ms. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.#count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.#waiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }
}
