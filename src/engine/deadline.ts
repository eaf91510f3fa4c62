/**
 * One re-armable deadline backed by at most one runtime timer.
 *
 * Per-request timers (`client_header_timeout`, `keepalive_timeout`,
 * `proxy_read_timeout`) move on every read. Creating a timer per move costs
 * more than the request; like nginx's timer tree, this keeps one timer and
 * only re-arms it when it fires early or must fire sooner.
 */
export class Deadline {
  /** Epoch ms when `fire` is due; 0 when disarmed. */
  #at = 0;
  /** Epoch ms the pending runtime timer fires at; 0 when none is pending. */
  #timerAt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #fire: () => void;

  /** @param fire called once each time an armed deadline passes */
  constructor(fire: () => void) {
    this.#fire = fire;
  }

  /** Arms (or moves) the deadline to `ms` milliseconds from `now`. */
  set(ms: number, now: number = Date.now()): void {
    const at = now + ms;
    this.#at = at;
    if (this.#timerAt !== 0 && this.#timerAt <= at) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(this.#tick, ms);
  }

  /** Disarms; a pending timer is left to fire into nothing unless `stop` is used. */
  clear(): void {
    this.#at = 0;
  }

  /** Disarms and cancels the runtime timer (the owner is done for good). */
  stop(): void {
    this.#at = 0;
    this.#timerAt = 0;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Whether the deadline is armed. */
  get armed(): boolean {
    return this.#at !== 0;
  }

  #tick = (): void => {
    this.#timer = undefined;
    this.#timerAt = 0;
    if (this.#at === 0) return;
    const left = this.#at - Date.now();
    if (left > 0) {
      this.#timerAt = this.#at;
      this.#timer = setTimeout(this.#tick, left);
      return;
    }
    this.#at = 0;
    this.#fire();
  };
}
