import { formatBytes } from "../config/units.ts";
import type { UpstreamState } from "./child.ts";

/** What the progress line reports, read afresh on every tick. */
export interface ProgressSnapshot {
  /** Body bytes handed to fetch so far. */
  sentBytes: number;
  /** Body bytes in all. */
  totalBytes: number;
  upstream: UpstreamState;
  /** ms the request has waited for its response since its body was sent; undefined while sending. */
  heldMs: number | undefined;
}

/**
 * Prints a progress line every `intervalMs` ms until stopped: bytes sent, the
 * rate since the previous line, the upstream's state, the time held so far.
 */
export class ProgressTicker {
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastBytes = 0;
  #lastAt = 0;

  constructor(
    readonly read: () => ProgressSnapshot,
    readonly print: (line: string) => void,
    readonly intervalMs = 500,
  ) {}

  /** Starts ticking; the first line comes after `intervalMs`. */
  start(): void {
    this.#lastAt = performance.now();
    this.#timer = setInterval(() => this.tick(), this.intervalMs);
  }

  /** Prints one line now. */
  tick(): void {
    const s = this.read();
    const now = performance.now();
    const rate = ((s.sentBytes - this.#lastBytes) * 1000) / Math.max(1, now - this.#lastAt);
    this.#lastBytes = s.sentBytes;
    this.#lastAt = now;
    const pct = Math.floor((s.sentBytes * 100) / s.totalBytes);
    const held = s.heldMs === undefined ? "-" : `${(s.heldMs / 1000).toFixed(1)} s`;
    this.print(
      `demo: sent ${formatBytes(s.sentBytes)} of ${formatBytes(s.totalBytes)} (${pct}%) at ${
        formatBytes(Math.round(rate))
      }/s, upstream ${s.upstream}, held ${held}`,
    );
  }

  /** Stops ticking; safe to call twice. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
