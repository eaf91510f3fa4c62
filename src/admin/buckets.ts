/**
 * A Prometheus histogram's state as plain numbers: cumulative bucket counts
 * are made at scrape time, so an observation is one comparison loop and two
 * additions (prom-client's Histogram also hashes its labels per observation).
 */
export class Buckets {
  /** Upper bounds in seconds, ascending; `+Inf` is implied. */
  readonly bounds: readonly number[];
  /** Observations per bucket, not cumulative; the last is above every bound. */
  readonly counts: Float64Array;
  /** Sum of the observed values, in seconds. */
  sum = 0;
  /** Number of observations. */
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Adds one value, in seconds. */
  observe(seconds: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }

  /** The cumulative count of each bound (`le`), then of `+Inf`. */
  cumulative(): number[] {
    let run = 0;
    return Array.from(this.counts, (c) => (run += c));
  }
}
