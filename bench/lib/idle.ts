/**
 * Waiting for the machine to be free of the other heavy work that shares it
 * (test suites, the other benchmarks) before a measured run, so that run
 * does not compete with them for the CPUs.
 */
/// <reference types="bun-types" />
import { readFileSync } from "node:fs";

/**
 * `pgrep -f` pattern of what a measured run should not overlap with: test
 * runs, the other benchmarks, and any wrk (another benchmark's load; the
 * caller's own wrk is never running while it waits).
 */
export const BUSY_PATTERN = "bun test|bench/gzip.ts|bench/get.ts|bench/upload.ts|^wrk ";

/**
 * The processes (`PID command line`) matching `pattern` now, this process
 * and its parent left out (an `npm run` or shell that started it).
 */
export function busyProcesses(pattern = BUSY_PATTERN): string[] {
  // pgrep by argv, no shell: a shell's own command line would match the pattern.
  const r = Bun.spawnSync(["pgrep", "-af", pattern], { stdout: "pipe", stderr: "pipe", timeout: 10_000 });
  const mine = new Set([process.pid, process.ppid]);
  return r.stdout.toString().split("\n").filter((l) => l.trim() !== "" && !mine.has(Number(l.split(" ")[0])));
}

/** Jiffies of all CPUs together from /proc/stat: total, and idle + iowait. */
function cpuJiffies(): { total: number; idle: number } {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const total = f.slice(0, 8).reduce((x, y) => x + y, 0);
  return { total, idle: f[3] + f[4] };
}

/**
 * Share of the machine's CPU time (all CPUs) that was busy over the next
 * `ms`: what other work takes while the caller's own processes are idle.
 */
export async function cpuBusyShare(ms = 1000): Promise<number> {
  const a = cpuJiffies();
  await Bun.sleep(ms);
  const b = cpuJiffies();
  const total = b.total - a.total;
  return total > 0 ? 1 - (b.idle - a.idle) / total : 0;
}

/**
 * What keeps the machine from being free: the processes matching `pattern`
 * (see {@link busyProcesses}) and, when the CPUs were more than `maxBusy`
 * busy over a 1 s sample (another process not named by the pattern: someone's
 * ad-hoc load test, a build), that share.
 */
export async function busyReasons(pattern = BUSY_PATTERN, maxBusy = 0.25): Promise<string[]> {
  const reasons = busyProcesses(pattern);
  const share = await cpuBusyShare();
  if (share > maxBusy) reasons.push(`the CPUs ${(100 * share).toFixed(0)}% busy`);
  return reasons;
}

/** What one wait found. */
export interface IdleWait {
  /** How long it waited, milliseconds (0 when nothing was running). */
  waitedMs: number;
  /** What was still running when the wait gave up; empty when the machine became free. */
  stillBusy: string[];
}

/**
 * Waits until {@link busyReasons} finds nothing, polling every `pollMs`, for
 * at most `maxMs` (0: does not wait). Says once on `log` what it waits for.
 */
export async function waitUntilIdle(
  opts: { maxMs: number; pollMs?: number; pattern?: string; log?: (line: string) => void },
): Promise<IdleWait> {
  // No waiting: only say what runs (no CPU sample, which would take a second per run).
  if (opts.maxMs <= 0) return { waitedMs: 0, stillBusy: busyProcesses(opts.pattern) };
  const poll = opts.pollMs ?? 20_000;
  const begin = Date.now();
  let busy = await busyReasons(opts.pattern);
  if (busy.length === 0) return { waitedMs: 0, stillBusy: busy };
  opts.log?.(`waiting (up to ${Math.round(opts.maxMs / 60_000)} min) for: ${busy.map((l) => l.slice(0, 100)).join("; ")}`);
  // The first look again comes soon: a CPU share over the limit may be the caller's own targets settling after a run.
  let next = Math.min(poll, 2000);
  while (busy.length > 0 && Date.now() - begin < opts.maxMs) {
    await Bun.sleep(Math.min(next, Math.max(0, opts.maxMs - (Date.now() - begin))));
    next = poll;
    busy = await busyReasons(opts.pattern);
  }
  return { waitedMs: Date.now() - begin, stillBusy: busy };
}
