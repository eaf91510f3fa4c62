/**
 * nginx's leaky bucket (`ngx_http_limit_req_module`), as arithmetic on one
 * key's state. Units as nginx keeps them: `excess` in thousandths of a
 * request, the rate in thousandths of a request per second, times in ms.
 *
 * @module
 */

/** One key's bucket: what is left of earlier requests, and when it was last admitted. */
export interface BucketState {
  /** Requests admitted beyond the rate and not yet leaked, in thousandths of a request. */
  excess: number;
  /** When the last admitted request came, ms since the epoch (or any clock). */
  lastMs: number;
}

/**
 * Admits one request into a bucket (nginx `ngx_http_limit_req_lookup`): the
 * excess leaks at `rateMilli` per second since `lastMs`, the request adds one
 * (1000), and the sum is floored at 0; past `burstMilli` it is refused and the state is left as it was
 * (a refused request does not fill the bucket, as in nginx).
 * @param state the key's bucket, changed in place when the request is admitted
 * @param nowMs the request's arrival
 * @param rateMilli the rate, in thousandths of a request per second (10r/s = 10 000)
 * @param burstMilli the burst, in thousandths of a request (burst=5 = 5000)
 * @returns the delay before the request may go on, in ms (0: at once; the
 *   caller ignores it with `nodelay`), or a negative number: minus the ms
 *   until this request would be admitted (a refusal)
 */
export function admit(state: BucketState, nowMs: number, rateMilli: number, burstMilli: number): number {
  // A clock that went back counts as no time passed (nginx takes the absolute value; holdfast leaks nothing).
  const elapsed = nowMs > state.lastMs ? nowMs - state.lastMs : 0;
  // Leaked and refilled in one step, then floored, as nginx does: a key idle for one interval passes with burst=0.
  const sum = state.excess - (rateMilli * elapsed) / 1000 + 1000;
  const excess = sum > 0 ? sum : 0;
  if (excess > burstMilli) {
    // The request fits once the excess has leaked to `burstMilli - 1000`; never less than 1 ms.
    const waitMs = Math.ceil(((excess - burstMilli) * 1000) / rateMilli);
    return -(waitMs > 0 ? waitMs : 1);
  }
  state.excess = excess;
  state.lastMs = nowMs;
  return (excess * 1000) / rateMilli;
}

/**
 * A new key's bucket: its first request passes at once and leaves nothing
 * (nginx creates the node with excess 0).
 */
export function freshBucket(nowMs: number): BucketState {
  return { excess: 0, lastMs: nowMs };
}
