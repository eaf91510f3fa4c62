/** One load run with wrk, and what its text output says. */
/// <reference types="bun-types" />
import type { Started } from "./proc.ts";

/** What one wrk run measured. */
export interface WrkResult {
  /** Completed requests (wrk's "N requests in T"). */
  requests: number;
  /** wrk's Requests/sec. */
  rps: number;
  /** Bytes wrk read, heads and framing included ("N requests in T, 1.23GB read", three digits: ±0.5%). */
  bytesRead: number;
  /** Latency percentiles from `--latency`, milliseconds. */
  p50Ms: number;
  p99Ms: number;
  /** "Non-2xx or 3xx responses" (0 when wrk printed no such line). */
  non2xx: number;
  /** "Socket errors: connect, read, write, timeout" (all 0 when wrk printed no such line). */
  socket: { connect: number; read: number; write: number; timeout: number };
}

/** How to run wrk. */
export interface WrkOptions {
  url: string;
  connections: number;
  seconds: number;
  /** Extra request header lines, `Name: value`. */
  headers: string[];
  /** Registers the wrk process so an interrupted benchmark stops it too; `untrack` when it is done. */
  track(p: Started): void;
  untrack(p: Started): void;
}

const UNIT_BYTES: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

const UNIT_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/** A wrk duration such as `758.00us`, `1.63ms`, `2.00s`, in milliseconds. */
function timeMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (!m) throw new Error(`Unexpected wrk time "${text}"`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/**
 * Parses wrk's report (as printed with `--latency`).
 * @throws when a line every run prints (requests, Requests/sec, the 50% and 99% percentiles) is missing
 */
export function parseWrk(out: string): WrkResult {
  const need = (re: RegExp, what: string): RegExpExecArray => {
    const m = re.exec(out);
    if (!m) throw new Error(`wrk printed no ${what}:\n${out}`);
    return m;
  };
  const read = / requests in \S+, ([\d.]+)([KMGT]?)B read/.exec(out);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: Number(need(/^\s*(\d+) requests in /m, "request count")[1]),
    rps: Number(need(/^Requests\/sec:\s+([\d.]+)/m, "Requests/sec")[1]),
    bytesRead: read ? Number(read[1]) * UNIT_BYTES[read[2]] : 0,
    p50Ms: timeMs(need(/^\s+50%\s+(\S+)/m, "50% latency")[1]),
    p99Ms: timeMs(need(/^\s+99%\s+(\S+)/m, "99% latency")[1]),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    socket: socket
      ? { connect: Number(socket[1]), read: Number(socket[2]), write: Number(socket[3]), timeout: Number(socket[4]) }
      : { connect: 0, read: 0, write: 0, timeout: 0 },
  };
}

/**
 * Runs `wrk -t1 -cN -dS --latency [-H ...] URL` and parses its report. One
 * thread: the machine has few CPUs and the proxy under test needs one.
 * @throws when wrk fails or overruns its duration by 30 s (then it is killed)
 */
export async function wrk(o: WrkOptions): Promise<WrkResult> {
  const argv = ["wrk", "-t1", `-c${o.connections}`, `-d${o.seconds}s`, "--latency", ...o.headers.flatMap((h) => ["-H", h]), o.url];
  const proc = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const p: Started = { name: "wrk", pid: proc.pid, proc };
  o.track(p);
  // wrk stops itself after -d; this bounds a wrk that hangs on a stuck proxy.
  let overran = false;
  const timer = setTimeout(() => {
    overran = true;
    proc.kill("SIGKILL");
  }, (o.seconds + 30) * 1000);
  try {
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (overran) throw new Error(`wrk on ${o.url} ran 30 s past its ${o.seconds} s and was killed`);
    if (code !== 0) throw new Error(`wrk on ${o.url} exited with ${code}: ${err.trim() || out.trim()}`);
    return parseWrk(out);
  } finally {
    clearTimeout(timer);
    o.untrack(p);
  }
}

/** wrk's version line ("wrk 4.1.0 [epoll] ..." → "wrk 4.1.0"). */
export function wrkVersion(): string {
  // wrk -v prints its banner and the usage, and exits 1.
  const r = Bun.spawnSync(["wrk", "-v"], { stdout: "pipe", stderr: "pipe" });
  const line = (r.stdout.toString() + r.stderr.toString()).split("\n")[0];
  return /^wrk \S+/.exec(line)?.[0] ?? "wrk (version unknown)";
}
