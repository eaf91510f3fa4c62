/**
 * CPU time and peak-RSS resets of the proxy under test, from /proc: what a
 * request costs the proxy itself, apart from the client and the responder
 * sharing the machine with it.
 */
import { readFileSync, writeFileSync } from "node:fs";

// USER_HZ: /proc reports utime and stime in these ticks. 100 on every Linux
// x86-64 and arm64 build (getconf CLK_TCK), and node:os does not expose it.
const TICKS_PER_S = 100;

/** CPU time of a process, microseconds. */
export interface CpuTime {
  userUs: number;
  systemUs: number;
}

/**
 * utime and stime of `pid` (fields 14 and 15 of /proc/PID/stat): every thread
 * of the process counted, the exited ones too. Zero when the process is gone.
 */
export function cpuTime(pid: number): CpuTime {
  return statCpu(`/proc/${pid}/stat`);
}

/**
 * utime and stime of `pid`'s main thread alone (/proc/PID/task/PID/stat): in
 * holdfast, the JavaScript thread; the rest of {@link cpuTime} is its other
 * threads (zlib's, GC helpers). Zero when the process is gone.
 */
export function mainThreadCpuTime(pid: number): CpuTime {
  return statCpu(`/proc/${pid}/task/${pid}/stat`);
}

function statCpu(path: string): CpuTime {
  try {
    const stat = readFileSync(path, "utf8");
    // Fields after the parenthesised command name start at field 3.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { userUs: (Number(f[11]) * 1e6) / TICKS_PER_S, systemUs: (Number(f[12]) * 1e6) / TICKS_PER_S };
  } catch {
    return { userUs: 0, systemUs: 0 };
  }
}

/** {@link cpuTime} summed over `pids` (nginx: master and worker). */
export function cpuTimeOf(pids: number[]): CpuTime {
  const t = { userUs: 0, systemUs: 0 };
  for (const p of pids) {
    const c = cpuTime(p);
    t.userUs += c.userUs;
    t.systemUs += c.systemUs;
  }
  return t;
}

/**
 * Resets the kernel's peak-RSS mark (VmHWM) of each of `pids` to its current
 * RSS (`echo 5 > /proc/PID/clear_refs`), so a later VmHWM is the peak of what
 * ran in between, not of the process's life so far.
 * @returns false when the kernel refused (then VmHWM stays a lifetime peak)
 */
export function resetPeakRss(pids: number[]): boolean {
  let ok = true;
  for (const p of pids) {
    try {
      writeFileSync(`/proc/${p}/clear_refs`, "5");
    } catch {
      ok = false;
    }
  }
  return ok;
}
