/**
 * Child processes for the benchmark: started by argv, stopped by PID, never
 * by name, so only what the benchmark started is ever signalled.
 */
/// <reference types="bun-types" />
import { openSync, readdirSync, readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";

/** A process the benchmark started and must stop. */
export interface Started {
  name: string;
  pid: number;
  proc: Bun.Subprocess;
}

/** Starts `argv` in `cwd` with stdout and stderr to the file descriptor `log` (or dropped). */
export function start(name: string, argv: string[], log?: number, cwd?: string): Started {
  const proc = Bun.spawn(argv, { cwd, stdout: log ?? "ignore", stderr: log ?? "ignore", stdin: "ignore" });
  return { name, pid: proc.pid, proc };
}

/** Opens (appending, mode 0600) `dir/NAME.log` for a child's stdout and stderr; returns its file descriptor. */
export function logFd(dir: string, name: string): number {
  return openSync(join(dir, `${name}.log`), "a", 0o600);
}

/**
 * Stops a started process: SIGTERM, then SIGKILL if it is still there after
 * `graceMs`. Safe to call on one that already exited.
 */
export async function stop(p: Started, graceMs = 3000): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  p.proc.kill("SIGTERM");
  const exited = await Promise.race([p.proc.exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
  if (!exited) p.proc.kill("SIGKILL");
  await Promise.race([p.proc.exited, Bun.sleep(graceMs)]);
}

/** A process known by PID and start time, so a reused PID is never signalled. */
export interface PidIdentity {
  pid: number;
  startTime: string;
}

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime); fields after the command name start at field 3.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Identities of `ppid`'s children now (taken before the parent is stopped). */
export function childIdentities(ppid: number): PidIdentity[] {
  return childPids(ppid).flatMap((pid) => {
    const startTime = startTimeOf(pid);
    return startTime ? [{ pid, startTime }] : [];
  });
}

/** SIGKILLs a process the benchmark started indirectly (an nginx worker) if it is still that process. */
export function killIdentity(id: PidIdentity): void {
  if (startTimeOf(id.pid) !== id.startTime) return;
  try {
    process.kill(id.pid, "SIGKILL");
  } catch { /* already gone */ }
}

/** A free TCP port on 127.0.0.1, as the kernel hands one out for port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/**
 * Waits until 127.0.0.1:`port` accepts a connection, polling every 50 ms for
 * at most `timeoutMs`. Throws when it never does or `p` exits first.
 */
export async function waitForPort(p: Started, port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.proc.exitCode !== null) throw new Error(`${p.name} exited with ${p.proc.exitCode} before listening`);
    if (await accepts(port)) return;
    await Bun.sleep(50);
  }
  throw new Error(`${p.name} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** PIDs whose parent is `ppid` (read from /proc; nginx's workers of a master). */
export function childPids(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // Field 4 of /proc/PID/stat, after the parenthesised command name.
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === ppid) out.push(Number(d));
    } catch { /* exited while listing */ }
  }
  return out;
}
