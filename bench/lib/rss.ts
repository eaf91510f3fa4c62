/**
 * Peak memory of a proxy, from /proc/PID/status: VmRSS sampled every ~50 ms
 * (summed over the proxy's processes) and the kernel's own high-water mark
 * VmHWM (summed likewise), which no sampling interval can miss.
 */
import { readFileSync } from "node:fs";

/** Reads one `Vm*` field of /proc/PID/status in bytes; 0 when the process is gone. */
export function vmField(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples the summed VmRSS of `pids()` on a timer; see {@link RssSampler.peak}. */
export class RssSampler {
  #peak = 0;
  #hwm = 0;
  #timer: ReturnType<typeof setInterval>;
  readonly #pids: () => number[];

  constructor(pids: () => number[], intervalMs = 50) {
    this.#pids = pids;
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Takes one sample now (also called by the timer). */
  sample(): void {
    const ids = this.#pids();
    const rss = ids.reduce((s, p) => s + vmField(p, "VmRSS"), 0);
    const hwm = ids.reduce((s, p) => s + vmField(p, "VmHWM"), 0);
    if (rss > this.#peak) this.#peak = rss;
    // VmHWM only grows while a process lives; keep the largest sum seen so
    // it survives the process being stopped.
    if (hwm > this.#hwm) this.#hwm = hwm;
  }

  /** Largest summed VmRSS sampled, in bytes. */
  get peak(): number {
    return this.#peak;
  }

  /** Largest summed VmHWM seen, in bytes. */
  get hwm(): number {
    return this.#hwm;
  }

  /** Takes a last sample and stops the timer. */
  stop(): void {
    this.sample();
    clearInterval(this.#timer);
  }
}
