import type { RequestRecord } from "./proxy/request-record.ts";

/**
 * Counts requests in progress, so shutdown can wait for them (nginx's
 * graceful quit), and, once {@link track} was called (the admin endpoint),
 * keeps their records for the status page.
 */
export class Inflight {
  #count = 0;
  #waiters: (() => void)[] = [];
  // Made only by track(): without the admin endpoint a request costs a counter, not a Set entry.
  #live: Set<RequestRecord> | undefined;

  /** Number of requests not yet finished. */
  get count(): number {
    return this.#count;
  }

  /** Keeps the records of the requests in progress from now on. @returns the live set (read, do not change) */
  track(): ReadonlySet<RequestRecord> {
    return this.#live ??= new Set();
  }

  /** Marks a request started; call {@link end} once when it finishes. */
  begin(rec: RequestRecord): void {
    this.#count++;
    this.#live?.add(rec);
  }

  /** Marks a request finished (one call per {@link begin}; no closure per request). */
  end(rec: RequestRecord): void {
    this.#live?.delete(rec);
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
