/**
 * holdfast's entry point: `bun src/main.ts FLAGS`, `deno run -A src/main.ts
 * FLAGS`, or the compiled binary. `holdfast demo` runs the demo;
 * `holdfast demo-upstream` is the demo's sample upload server; `holdfast worker
 * I SOCKET FLAGS` is worker I of a `--workers` primary (src/workers/).
 * Exit status: 0 after a clean shutdown, 1 on a start-up failure, 2 on bad flags;
 * `holdfast --check FLAGS` (nginx -t) exits 0 or 1.
 */
import { detectRuntime } from "../runtime/index.ts";
import { helpText } from "./config/help.ts";
import { type Command, ConfigError, parseCommandLine } from "./config/parse.ts";
import { type RunningProxy, startProxy } from "./server.ts";
import { VERSION } from "./version.ts";
import { configureEvents, event } from "./log/events.ts";
import { WorkerLink } from "./workers/worker.ts";

const rt = await detectRuntime();
const [sub, ...rest] = rt.args;
const print = (line: string) => rt.stdout(line + "\n");

if (sub === "demo") {
  const { runDemo } = await import("./demo/run.ts");
  rt.exit(await runDemo(rt, rest, print));
} else if (sub === "demo-upstream") {
  const { runDemoUpstream } = await import("./demo/upstream.ts");
  await runDemoUpstream(rt, rest, print);
} else if (sub === "worker") {
  const [index, socket, ...flags] = rest;
  await serveFromFlags(flags, { index: Number(index), socket });
} else {
  await serveFromFlags(rt.args);
}

/** @param worker set in worker I of a `--workers` primary, which listens on `socket` */
async function serveFromFlags(argv: string[], worker?: { index: number; socket: string }) {
  const defaultSpool = rt.files.exists("/dev/shm") ? "/dev/shm/holdfast" : `${rt.files.tempDir()}/holdfast`;
  let cmd: Command;
  try {
    cmd = parseCommandLine(argv, defaultSpool);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    rt.stderr(`holdfast: ${e.message}\n`);
    // nginx -t: a check that fails exits 1, whatever failed.
    return rt.exit(argv.includes("--check") ? 1 : 2);
  }
  if (cmd.kind === "help") return print(helpText(VERSION));
  if (cmd.kind === "version") return print(`holdfast ${VERSION} (${rt.name} ${rt.version}, ${rt.platform})`);
  configureEvents((line) => rt.stderr(line + "\n"), cmd.config.logFormat);
  if (cmd.kind === "check") {
    const { checkConfig, printReport } = await import("./check.ts");
    return rt.exit(printReport(rt, await checkConfig(rt, cmd.config)));
  }
  const workers = cmd.config.workers === 0 ? rt.cpuCount() : cmd.config.workers;
  if (!worker && workers > 1) {
    const { runPrimary } = await import("./workers/primary.ts");
    return runPrimary(rt, cmd.config, workers, argv, print);
  }
  let proxy: RunningProxy;
  let link: WorkerLink | undefined;
  try {
    // A worker whose primary is gone has no one to restart or stop it: it drains and exits.
    if (worker) link = await WorkerLink.connect(rt, worker.socket, worker.index, () => void stop("primary gone"));
    proxy = await startProxy(rt, cmd.config, print, worker && { index: worker.index });
  } catch (e) {
    rt.stderr(`holdfast: Cannot start: ${(e as Error).message}\n`);
    return rt.exit(1);
  }
  const c = cmd.config;
  const where = c.listeners.map((l, i) => `${l.host}:${proxy.ports[i]}${l.tls ? " (tls)" : ""}`).join(", ");
  print(
    `holdfast ${VERSION}${worker ? ` worker ${worker.index}` : ""} listening on ${where}, upstreams ${
      c.groups.map((g) => `${g.name}=${g.peers.map((p) => p.address.tls ? p.address.origin : p.address.key).join(",")}`).join(" ")
    }, spool ${c.spoolDirs.join(" ")} (${rt.name} ${rt.version})`,
  );
  // SIGHUP re-reads the files holdfast was given (nginx's reload, for files only); it ends nothing.
  // Logs go to stdout and stderr, which have no file to reopen: a logrotate setup uses the journal or copytruncate.
  rt.onReloadSignal(() => {
    const lines = proxy.reload();
    if (lines.length === 0) lines.push("SIGHUP: nothing to re-read (no --offline-page, --tls-cert or --upstream-ca)");
    for (const line of lines) print(`holdfast: ${line}`);
    event("reload", { signal: "SIGHUP", result: lines.join("; ") });
  });
  let stopping = false;
  rt.onShutdownSignal((signal) => void stop(signal));
  // Ready only once the signals are ours: the primary may pass one on as soon as it hears this.
  link?.attach(proxy);
  async function stop(signal: string) {
    if (stopping) return;
    stopping = true;
    print(`holdfast: ${signal}: no longer accepting; waiting up to ${c.shutdownTimeoutMs} ms for in-flight requests`);
    event("shutdown", { signal, timeout_ms: c.shutdownTimeoutMs });
    const clean = await proxy.shutdown();
    print(`holdfast: stopped${clean ? "" : " with requests still in flight"}`);
    event("stopped", { clean });
    rt.exit(0);
  }
}
