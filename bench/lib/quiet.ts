/**
 * Waiting for the machine to be free of other engineers' test suites before
 * a measured run: on 2 CPUs a `bun test` next to the benchmark takes a CPU
 * from the proxy and moves every figure. The wait is bounded; a run that
 * still starts next to one, or sees one start during it, is recorded as such.
 */
/// <reference types="bun-types" />

/** What the benchmark looks for with `pgrep -f`. */
export const BUSY_PATTERN = "bun test";

/**
 * PIDs of the processes whose command line contains {@link BUSY_PATTERN}
 * (pgrep, run directly, not through a shell whose own command line would
 * match), this process left out.
 */
export function busyPids(): number[] {
  const r = Bun.spawnSync(["pgrep", "-f", BUSY_PATTERN], { stdout: "pipe", stderr: "ignore", timeout: 10_000 });
  return r.stdout.toString().split("\n").filter((l) => /^\d+$/.test(l)).map(Number).filter((p) => p !== process.pid);
}

/** How a wait ended. */
export interface QuietWait {
  /** Whether a `bun test` was running at the first check (so there was a wait, up to the bound). */
  found: boolean;
  /** Milliseconds spent waiting (0 when nothing was running). */
  waitedMs: number;
  /** False when the bound ran out with a `bun test` still running. */
  quiet: boolean;
}

/**
 * Waits until {@link busyPids} finds nothing, checking every `pollMs` for at
 * most `maxMs` (0: only checks once), saying so on the console when it has
 * to wait.
 */
export async function waitUntilQuiet(maxMs: number, pollMs = 20_000): Promise<QuietWait> {
  const t0 = Date.now();
  let pids = busyPids();
  if (pids.length === 0) return { found: false, waitedMs: 0, quiet: true };
  console.log(`  waiting for "${BUSY_PATTERN}" (PID ${pids.join(", ")}) to finish, up to ${Math.round(maxMs / 60_000)} min...`);
  while (pids.length > 0 && Date.now() - t0 + pollMs <= maxMs) {
    await Bun.sleep(pollMs);
    pids = busyPids();
  }
  const waitedMs = Date.now() - t0;
  console.log(
    pids.length === 0
      ? `  ...done after ${(waitedMs / 1000).toFixed(0)} s`
      : `  ...still running after ${(waitedMs / 1000).toFixed(0)} s: measuring anyway`,
  );
  return { found: true, waitedMs, quiet: pids.length === 0 };
}
