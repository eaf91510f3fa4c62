/**
 * Starting one holdfast process for a benchmark: the part bench/get.ts's
 * targets and bench/upload.ts's paths share (where it listens, what it
 * forwards to, where it spools, its log); each adds its own flags and URL.
 */
import { freePort, logFd, start, type Started, waitForPort } from "./proc.ts";

/** Where and how to start one holdfast process. */
export interface HoldfastLaunch {
  /** The process's name in messages; its stdout and stderr go to `dir/NAME.log`. */
  name: string;
  /** The command up to holdfast's flags: `[bun, "src/main.ts"]`, `[deno, "run", "-A", "src/main.ts"]` or a compiled binary. */
  cmd: string[];
  /** Its working directory: the root of the source it runs. */
  cwd: string;
  /** The directory of its log file (existing). */
  dir: string;
  /** The port on 127.0.0.1 it forwards every request to. */
  upstreamPort: number;
  /** Its own spool directory (existing), so it never touches (or clears) another holdfast's. */
  spool: string;
  /** More flags, after the shared ones. */
  flags?: string[];
  /** Registers the process for the caller's cleanup, before it is waited for. */
  track(p: Started): void;
}

/**
 * Starts holdfast as `o.cmd` in `o.cwd` on a free port of 127.0.0.1,
 * forwarding to 127.0.0.1:`o.upstreamPort`, spooling to `o.spool`, access log
 * off (as nginx's: both benchmarks' nginx configs say `access_log off`), and
 * waits until it accepts connections.
 *
 * @returns the process and the port it listens on
 * @throws when it exits first or does not listen within {@link waitForPort}'s default 15 s
 */
export async function spawnHoldfast(o: HoldfastLaunch): Promise<{ proc: Started; port: number }> {
  const port = await freePort();
  const proc = start(
    o.name,
    [
      ...o.cmd,
      "--listen",
      `127.0.0.1:${port}`,
      "--upstream",
      `127.0.0.1:${o.upstreamPort}`,
      "--access-log",
      "off",
      "--spool",
      o.spool,
      ...(o.flags ?? []),
    ],
    logFd(o.dir, o.name),
    o.cwd,
  );
  o.track(proc);
  await waitForPort(proc, port);
  return { proc, port };
}
