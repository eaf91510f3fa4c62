/**
 * The paths an upload can take: straight to the sink, or through one of the
 * proxies in front of it. Each `start` launches what the path needs and
 * registers every process with `track`, so the caller can stop them all.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { nginxConf, type NginxSetup } from "./nginx.ts";
import { spawnHoldfast } from "./holdfast.ts";
import { childPids, freePort, logFd, start, type Started, waitForPort } from "./proc.ts";
import { REPO, type Source } from "./source.ts";

/** Where a path's processes may put files, and what they forward to. */
export interface PathEnv {
  /** A fresh directory for this path's logs and config (under the run's work dir). */
  dir: string;
  /** A fresh spool directory on /dev/shm for this path. */
  spoolDir: string;
  sinkPort: number;
  /** nginx's connection settings, when not its single-upload ones (see {@link NginxSetup}). */
  nginx?: Pick<NginxSetup, "workerConnections" | "keepalive">;
  /** Registers a started process for the final cleanup. */
  track(p: Started): void;
}

/** A running path: the URL to upload to and the PIDs whose memory counts. */
export interface RunningPath {
  url: string;
  /** The proxy's processes (empty for the direct path). */
  pids(): number[];
  /** How `pids` is counted, for the report. */
  rssNote: string;
}

/** One path under test. */
export interface PathSpec {
  name: string;
  /** Whether it is a proxy (counted for RSS and compared with nginx). */
  proxy: boolean;
  /** The row holdfast is compared with ("ratio vs nginx"). */
  baseline?: boolean;
  start(env: PathEnv): Promise<RunningPath>;
}

const BUN = process.execPath;

/** Starts holdfast as `cmd` in `cwd` in front of the sink, spooling to the path's spool directory (see {@link spawnHoldfast}). */
async function startHoldfast(name: string, cmd: string[], cwd: string, env: PathEnv): Promise<RunningPath> {
  const { proc, port } = await spawnHoldfast({
    name,
    cmd,
    cwd,
    dir: env.dir,
    upstreamPort: env.sinkPort,
    spool: env.spoolDir,
    track: env.track,
  });
  return { url: `http://127.0.0.1:${port}/upload`, pids: () => [proc.pid], rssNote: "the holdfast process" };
}

function nginxPath(name: string, matched: boolean): PathSpec {
  return {
    name,
    proxy: true,
    baseline: matched,
    async start(env) {
      const port = await freePort();
      mkdirSync(join(env.dir, "logs"), { recursive: true });
      const conf = join(env.dir, "nginx.conf");
      const user = process.getuid?.() === 0 ? "root" : undefined;
      writeFileSync(
        conf,
        nginxConf({ prefix: env.dir, bodyTempDir: env.spoolDir, listenPort: port, sinkPort: env.sinkPort, user, matched, ...env.nginx }),
      );
      const master = start("nginx", ["/usr/sbin/nginx", "-p", env.dir, "-c", conf], logFd(env.dir, "nginx"));
      env.track(master);
      await waitForPort(master, port);
      return {
        url: `http://127.0.0.1:${port}/upload`,
        pids: () => [master.pid, ...childPids(master.pid)],
        rssNote: "master + worker, summed",
      };
    },
  };
}

/**
 * The paths to measure, in the order each round runs them: direct, nginx, then each source's holdfast.
 * `nginxDefaults: false` leaves out the second nginx row (nginx's compiled-in defaults).
 */
export function paths(opts: { deno: boolean; smol: boolean; sources: Source[]; nginxDefaults?: boolean }): PathSpec[] {
  return [
    {
      name: "direct (curl → sink)",
      proxy: false,
      start: (env) => Promise.resolve({ url: `http://127.0.0.1:${env.sinkPort}/upload`, pids: () => [], rssNote: "" }),
    },
    nginxPath("nginx (sendfile on, client_body_buffer_size 128k)", true),
    ...(opts.nginxDefaults === false ? [] : [nginxPath("nginx (defaults: sendfile off, 16k body buffer)", false)]),
    ...opts.sources.flatMap((s) => holdfastPaths(s, opts, opts.sources.length > 1 ? `, ${s.tag}` : "")),
  ];
}

function holdfastPaths(source: Source, opts: { deno: boolean; smol: boolean }, suffix: string): PathSpec[] {
  const { root, binary } = source;
  const hf = (name: string, log: string, cmd: string[]): PathSpec => ({
    name: `holdfast (${name}${suffix})`,
    proxy: true,
    start: (env) => startHoldfast(log, cmd, root, env),
  });
  const list = [hf("bun src/main.ts", "holdfast-bun", [BUN, "src/main.ts"])];
  if (opts.smol) list.push(hf("bun --smol src/main.ts", "holdfast-smol", [BUN, "--smol", "src/main.ts"]));
  if (binary) list.push(hf("compiled binary", "holdfast-bin", [binary]));
  if (opts.deno) list.push(hf("deno run src/main.ts", "holdfast-deno", [join(REPO, "node_modules/.bin/deno"), "run", "-A", "src/main.ts"]));
  return list;
}
