import { spawnSync } from "node:child_process";
/**
 * What bench/get.ts runs: the nginx responder, and the targets wrk loads, each
 * in front of that responder: nginx as a reverse proxy, holdfast on Bun, on
 * Deno and as the compiled binary, per source (work tree, `--rev`, `--root`).
 * Every process is registered with `track` as soon as it is started.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type GetNginxBase, proxyConf, responderConf } from "./get-nginx.ts";
import { spawnHoldfast } from "./holdfast.ts";
import { childPids, freePort, logFd, start, type Started, waitForPort } from "./proc.ts";
import { REPO, type Source } from "./source.ts";

/** A holdfast build to run. */
export type Variant = "bun" | "deno" | "binary";

/** Every variant, in the order a round runs them. */
export const VARIANTS: readonly Variant[] = ["bun", "deno", "binary"];

/** A running target (or the responder): where to send requests, and whose CPU and memory count. */
export interface Running {
  url: string;
  port: number;
  /** The processes that do the proxying: nginx's master and worker, or the one holdfast process. */
  pids: number[];
}

/** What a target needs to start. */
export interface TargetEnv {
  /** A fresh directory for its config, logs and spool. */
  dir: string;
  responderPort: number;
  track(p: Started): void;
}

/** One thing wrk is pointed at. */
export interface Target {
  name: string;
  /** The nginx proxy row, which the others' requests/s are divided by. */
  baseline: boolean;
  /** Whether it proxies (the direct row has no proxy process to measure). */
  proxy: boolean;
  start(env: TargetEnv): Promise<Running>;
}

const NGINX = "/usr/sbin/nginx";

/**
 * Starts an nginx master with the config `conf(base)` in `dir` and waits until
 * it listens and its worker exists.
 */
export async function startNginx(
  name: string,
  dir: string,
  track: (p: Started) => void,
  conf: (b: GetNginxBase) => string,
): Promise<Running> {
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "nginx.conf");
  // As root, nginx would switch its worker to `nobody`, which cannot write the prefix.
  writeFileSync(file, conf({ prefix: dir, listenPort: port, user: process.getuid?.() === 0 ? "root" : undefined }));
  const master = start(name, [NGINX, "-p", dir, "-c", file], logFd(dir, name));
  track(master);
  await waitForPort(master, port);
  // The master listens before it forks the worker; the worker's CPU is the one that counts.
  let workers: number[] = [];
  for (let i = 0; i < 100 && workers.length === 0; i++) {
    workers = childPids(master.pid);
    if (workers.length === 0) await Bun.sleep(20);
  }
  if (workers.length === 0) throw new Error(`${name}: no worker process after 2 s (see ${dir}/error.log)`);
  return { url: `http://127.0.0.1:${port}/`, port, pids: [master.pid, ...workers] };
}

/** Starts the responder nginx (`return 200 "ok"`) in `dir`. */
export function startResponder(dir: string, track: (p: Started) => void): Promise<Running> {
  return startNginx("responder", dir, track, responderConf);
}

function nginxProxy(): Target {
  return {
    name: "nginx",
    baseline: true,
    proxy: true,
    start: (env) => startNginx("nginx-proxy", env.dir, env.track, (b) => proxyConf({ ...b, upstreamPort: env.responderPort })),
  };
}

/** The command line that runs holdfast `variant` from `source`, or undefined when that source has no such build. */
export function holdfastCommand(source: Source, variant: Variant): string[] | undefined {
  if (variant === "bun") return [process.execPath, "src/main.ts"];
  if (variant === "deno") return [join(REPO, "node_modules/.bin/deno"), "run", "-A", "src/main.ts"];
  return source.binary ? [source.binary] : undefined;
}

/**
 * Starts holdfast as `cmd` in `cwd` with the benchmark's flags (see
 * {@link spawnHoldfast}), a spool directory of its own in `env.dir`, and
 * nginx's keepalive_requests where its revision has the flag.
 */
export async function startHoldfast(name: string, cmd: string[], cwd: string, env: TargetEnv, extra: string[] = []): Promise<Running> {
  const spool = join(env.dir, "spool");
  mkdirSync(spool, { recursive: true, mode: 0o700 });
  const { proc, port } = await spawnHoldfast({
    name,
    cmd,
    cwd,
    dir: env.dir,
    upstreamPort: env.responderPort,
    spool,
    flags: [...sameKeepaliveRequests(cmd, cwd), ...extra],
    track: env.track,
  });
  return { url: `http://127.0.0.1:${port}/`, port, pids: [proc.pid] };
}

/**
 * The targets of one round, in the order they run: nginx, then for each
 * source each variant it has. `tagged` adds the source's tag to holdfast's
 * names (when several sources are compared).
 */
export function targets(opts: { sources: Source[]; variants: Variant[]; direct: boolean; routes?: number }): Target[] {
  const list: Target[] = [];
  if (opts.direct) {
    list.push({
      name: "direct (no proxy)",
      baseline: false,
      proxy: false,
      start: (env) => Promise.resolve({ url: `http://127.0.0.1:${env.responderPort}/`, port: env.responderPort, pids: [] }),
    });
  }
  list.push(nginxProxy());
  const tagged = opts.sources.length > 1;
  for (const source of opts.sources) {
    for (const v of VARIANTS.filter((x) => opts.variants.includes(x))) {
      const cmd = holdfastCommand(source, v);
      if (!cmd) continue;
      const name = `holdfast ${v === "binary" ? "binary" : `on ${v === "bun" ? "Bun" : "Deno"}`}${tagged ? ` (${source.tag})` : ""}`;
      list.push({ name, baseline: false, proxy: true, start: (env) => startHoldfast(`holdfast-${v}`, cmd, source.root, env) });
    }
  }
  const n = opts.routes ?? 0;
  const first = opts.sources[0];
  if (n > 0 && first) {
    // n - 1 prefix routes and a catch-all; requests take a prefix route from the middle of the list.
    const flags = Array.from({ length: n - 1 }, (_, k) => ["--route", `/app${k}/=default`]).flat().concat(["--route", "/=default"]);
    const path = `app${Math.floor((n - 1) / 2)}/ping`;
    list.push({
      name: `holdfast on Bun, ${n} routes${tagged ? ` (${first.tag})` : ""}`,
      baseline: false,
      proxy: true,
      start: async (env) => {
        const run = await startHoldfast("holdfast-routes", holdfastCommand(first, "bun")!, first.root, env, flags);
        return { ...run, url: run.url + path };
      },
    });
  }
  return list;
}

/**
 * nginx's keepalive_requests is raised to 1000000 in this benchmark, so wrk
 * never reconnects; holdfast gets the same where its revision has the flag
 * (`--keepalive-requests`, default 1000 as nginx's).
 */
function sameKeepaliveRequests(cmd: string[], cwd: string): string[] {
  const help = spawnSync(cmd[0], [...cmd.slice(1), "--help"], { cwd, timeout: 20_000 }).stdout?.toString() ?? "";
  return help.includes("--keepalive-requests") ? ["--keepalive-requests", "1000000"] : [];
}
