import type { AccessRecord } from "../access-log.ts";

/** Formats an access record as the access log would, `now` being when it finished (epoch ms). */
export type AccessFormatter = (record: AccessRecord, now: number) => string;

/**
 * The last `capacity` finished requests, for the status page's access-log
 * tail. It keeps the records and formats them when the page asks, so a
 * request costs a slot write, not a formatted line, when the access log
 * itself is off.
 */
export class AccessTail {
  readonly #records: (AccessRecord | undefined)[];
  readonly #doneAt: Float64Array;
  #next = 0;

  /** @param capacity lines kept, at least 1 */
  constructor(readonly capacity: number, readonly format: AccessFormatter) {
    this.#records = new Array(Math.max(1, capacity));
    this.#doneAt = new Float64Array(Math.max(1, capacity));
  }

  /** Keeps a finished request, dropping the oldest when full. */
  push(record: AccessRecord, doneAt: number): void {
    const i = this.#next++ % this.#records.length;
    this.#records[i] = record;
    this.#doneAt[i] = doneAt;
  }

  /** The kept requests as access-log lines, oldest first. */
  lines(): string[] {
    const n = this.#records.length;
    const out: string[] = [];
    for (let k = Math.max(0, this.#next - n); k < this.#next; k++) {
      const i = k % n;
      out.push(this.format(this.#records[i]!, this.#doneAt[i]));
    }
    return out;
  }
}
