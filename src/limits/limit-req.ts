/**
 * A `--limit-req` zone (nginx `limit_req_zone` + `limit_req`): one leaky
 * bucket per key, in a table capped at {@link MAX_KEYS} keys.
 *
 * @module
 */
import { ascii, fieldValue, findField, type RequestHead } from "../http1/head.ts";
import { admit, type BucketState, freshBucket } from "./bucket.ts";
import type { LimitReqSpec } from "./flags.ts";

/**
 * Keys a zone remembers. nginx sizes a zone in bytes (`zone=one:1m` holds
 * about 16 000 addresses); holdfast counts keys. When the table is full the
 * key used least recently is forgotten (nginx also expires its least recently
 * used node first), so the table never grows past this: about 1 MB.
 */
export const MAX_KEYS = 10_000;

/** The verdict on one request: go now, go after `delayMs`, or refused (429) with `Retry-After: retryAfterS`. */
export type RateVerdict = { pass: true; delayMs: number } | { pass: false; retryAfterS: number };

const NOW: RateVerdict = Object.freeze({ pass: true, delayMs: 0 });

/** One zone: the buckets of its keys, least recently used first. */
export class RateLimiter {
  readonly #buckets = new Map<string, BucketState>();
  readonly #rateMilli: number;
  readonly #burstMilli: number;
  readonly #field: Uint8Array | undefined;
  /** Requests refused since start (`holdfast_limit_refused_total`). */
  refused = 0;

  /** @param maxKeys the table's cap (tests use a small one) */
  constructor(readonly spec: LimitReqSpec, readonly maxKeys = MAX_KEYS) {
    this.#rateMilli = spec.ratePerS * 1000;
    this.#burstMilli = spec.burst * 1000;
    this.#field = spec.key.kind === "header" ? ascii(spec.key.name) : undefined;
  }

  /** Keys remembered now (at most {@link maxKeys}). */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * The request's key: the client's address, or the first value of the
   * keyed field; undefined when that field is missing or empty, and the
   * request is then not limited (nginx skips an empty key).
   */
  keyOf(clientAddress: string, head: RequestHead): string | undefined {
    if (!this.#field) return clientAddress;
    const i = findField(head, this.#field);
    return i < 0 ? undefined : fieldValue(head, i) || undefined;
  }

  /**
   * Admits a request with this key now: the first of a key passes, the rest
   * by the bucket (bucket.ts). With `nodelay` a request within the burst
   * passes at once; without, it waits until the rate lets it go.
   * @param nowMs the request's arrival, ms
   */
  check(key: string, nowMs: number): RateVerdict {
    const b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= this.maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!);
      this.#buckets.set(key, freshBucket(nowMs));
      return NOW;
    }
    const r = admit(b, nowMs, this.#rateMilli, this.#burstMilli);
    if (r < 0) {
      this.refused++;
      return { pass: false, retryAfterS: Math.ceil(-r / 1000) };
    }
    // Least recently used first: a Map keeps insertion order.
    this.#buckets.delete(key);
    this.#buckets.set(key, b);
    return r === 0 || this.spec.nodelay ? NOW : { pass: true, delayMs: Math.ceil(r) };
  }
}
