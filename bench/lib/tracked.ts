import { childIdentities, killIdentity, type Started, stop } from "./proc.ts";

/**
 * The processes a benchmark started and has not stopped yet, so that a
 * failure or Ctrl-C stops every one of them by PID ({@link stopAll}).
 */
export class Tracked {
  readonly #started = new Set<Started>();
  /** Registers a process as soon as it is started. */
  readonly track = (p: Started): void => void this.#started.add(p);
  /** Forgets a process the benchmark stopped itself. */
  readonly untrack = (p: Started): void => void this.#started.delete(p);

  /**
   * Stops every process still running, newest first (nginx masters after
   * their workers are noted, so no worker is left behind).
   * @param graceMs how long each may take to exit after SIGTERM before SIGKILL
   */
  async stopAll(graceMs?: number): Promise<void> {
    for (const p of [...this.#started].reverse()) {
      this.#started.delete(p);
      // An exited process's PID may be someone else's by now: only a live one is looked at.
      if (p.proc.exitCode !== null || p.proc.signalCode !== null) continue;
      const children = childIdentities(p.pid);
      await stop(p, graceMs);
      for (const c of children) killIdentity(c);
    }
  }
}
