/**
 * The primary process of `--workers N` (nginx's master process): it starts N
 * workers of itself (`holdfast worker I SOCKET FLAGS...`), each binding the
 * listeners with SO_REUSEPORT so the kernel spreads new connections over
 * them, and restarts one that dies. It runs the active health checks and
 * tells every worker each verdict, passes one worker's passive verdicts to
 * the others, serves `--admin-listen` with every worker's figures summed,
 * and passes SIGHUP, SIGTERM and SIGINT on. It accepts no proxy traffic.
 *
 * @module
 */
import type { Channel, Child, Runtime } from "../../runtime/index.ts";
import type { ClientTls } from "../../runtime/socket-types.ts";
import type { AdminView } from "../admin/app.ts";
import { serveAdmin } from "../admin/endpoint.ts";
import type { StatusSnapshot } from "../admin/status-json.ts";
import type { Config } from "../config/schema.ts";
import { event } from "../log/events.ts";
import { loadCaBundle } from "../tls/load.ts";
import { Group } from "../upstream/group.ts";
import { HealthChecker } from "../upstream/health.ts";
import { VERSION } from "../version.ts";
import { mergeMetrics, mergeSnapshots } from "./merge.ts";
import type { PrimaryMessage, WorkerFigures, WorkerMessage } from "./protocol.ts";

// How long a worker may take to bind its listeners before start-up fails.
const READY_TIMEOUT_MS = 30_000;
// A worker that died is restarted after 100 ms, doubling to 5 s while it keeps dying young.
const FIRST_RESTART_MS = 100;
const MAX_RESTART_MS = 5000;
// A worker that lived this long died of something new: its restart delay starts over.
const STABLE_MS = 10_000;
// How long the admin endpoint waits for a worker's figures; one that is slower is left out.
const FIGURES_TIMEOUT_MS = 2000;
// After --shutdown-timeout, how long workers get to send their 503s and exit before SIGKILL.
const STOP_GRACE_MS = 10_000;

/** One worker slot: its process now, and its channel once it said hello. */
interface Slot {
  index: number;
  child: Child;
  channel?: Channel;
  ready: boolean;
  /** Its exit status once it has exited. */
  exitCode?: number;
  startedAt: number;
  restartMs: number;
}

/**
 * Runs the primary until SIGTERM or SIGINT has stopped every worker, then
 * exits 0; exits 1 when a worker cannot start (its own stderr says why).
 * @param workers N, at least 2
 * @param argv the command line as given, passed to each worker
 * @param print a line to stdout
 */
export async function runPrimary(
  rt: Runtime,
  config: Config,
  workers: number,
  argv: string[],
  print: (line: string) => void,
): Promise<never> {
  const dir = `${rt.files.tempDir()}/holdfast-primary-${rt.pid}`;
  rt.files.remove(dir, { recursive: true });
  rt.files.mkdirp(dir, 0o700);
  const socketPath = `${dir}/primary.sock`;
  const startedAt = Date.now();
  const slots: Slot[] = [];
  let stopping = false;
  // Until every worker is ready a death is a failed start, not something to restart.
  let started = false;
  const cleanUp = () => rt.files.remove(dir, { recursive: true });

  // Peer health, as the primary's checks and the workers' passive verdicts say.
  const groups = config.groups.map((g) => new Group(g));
  const ca = config.upstreamCaPath ? loadCaBundle(rt, config.upstreamCaPath) : undefined;
  const tlsOf = (p: { tls?: { name: string; verify: boolean } }): ClientTls | undefined =>
    p.tls ? { serverName: p.tls.name, ca, verify: p.tls.verify } : undefined;
  const broadcast = (m: PrimaryMessage, except?: Slot) => {
    for (const s of slots) if (s !== except && s.channel) s.channel.send(m);
  };
  const checkers = config.groups.flatMap((g, i) => (g.health ? [new HealthChecker(rt, groups[i], g.health, tlsOf)] : []));
  for (const c of checkers) {
    c.onChange = (peer) => broadcast({ t: "health", group: c.group.name, peer: peer.key, healthy: peer.healthy });
  }

  // Figures asked of the workers, by request id.
  let nextId = 1;
  const asks = new Map<number, (f: WorkerFigures | null) => void>();
  const figuresOf = (s: Slot): Promise<WorkerFigures | null> =>
    new Promise((resolve) => {
      if (!s.channel || !s.ready) return resolve(null);
      const id = nextId++;
      const t = setTimeout(() => {
        asks.delete(id);
        resolve(null);
      }, FIGURES_TIMEOUT_MS);
      asks.set(id, (f) => {
        clearTimeout(t);
        resolve(f);
      });
      s.channel.send({ t: "figures", id });
    });
  const gather = async () => {
    const all = await Promise.all(slots.map(async (s) => ({ worker: s.index, figures: await figuresOf(s) })));
    return all.filter((x): x is { worker: number; figures: WorkerFigures } => x.figures !== null);
  };
  const view: AdminView & { both(): Promise<{ snapshot: StatusSnapshot; metrics: string }> } = {
    async snapshot() {
      const parts = await gather();
      if (parts.length === 0) throw new Error("no worker sent its figures");
      return mergeSnapshots(parts.map((p) => ({ worker: p.worker, snapshot: p.figures.snapshot })), {
        pid: rt.pid,
        startedAt,
        now: Date.now(),
      });
    },
    async metrics() {
      return mergeMetrics((await gather()).map((p) => p.figures.metrics));
    },
    async both() {
      const parts = await gather();
      if (parts.length === 0) throw new Error("no worker sent its figures");
      return {
        snapshot: mergeSnapshots(parts.map((p) => ({ worker: p.worker, snapshot: p.figures.snapshot })), {
          pid: rt.pid,
          startedAt,
          now: Date.now(),
        }),
        metrics: await mergeMetrics(parts.map((p) => p.figures.metrics)),
      };
    },
  };

  const onMessage = async (ch: Channel, m: WorkerMessage, slotOf: () => Slot | undefined) => {
    if (m.t === "hello") {
      const s = slots[m.worker - 1];
      if (!s) return ch.close();
      s.channel = ch;
    } else if (m.t === "ready") {
      const s = slotOf();
      if (!s) return;
      s.ready = true;
      // A (re)started worker begins with every peer up; now that its peers exist, tell it what is known.
      for (const g of groups) {
        for (const p of g.peers) {
          if (!p.healthy) ch.send({ t: "health", group: g.name, peer: p.key, healthy: false });
          if (p.outUntil > Date.now()) ch.send({ t: "out", group: g.name, peer: p.key, until: p.outUntil });
        }
      }
    } else if (m.t === "out") {
      groups.find((g) => g.name === m.group)?.peers.find((p) => p.key === m.peer)?.shareOut(m.until);
      broadcast(m, slotOf());
    } else if (m.t === "figures") {
      asks.get(m.id)?.(m.figures);
      asks.delete(m.id);
    } else if (m.t === "view") {
      try {
        const { snapshot, metrics } = await view.both();
        ch.send({ t: "view", id: m.id, snapshot, metrics });
      } catch { /* the worker's own timeout answers its client */ }
    }
  };
  const server = await rt.channels.listen(socketPath, (ch) => {
    ch.onMessage = (m) => void onMessage(ch, m as WorkerMessage, () => slots.find((s) => s.channel === ch));
    ch.onClose = () => {
      const s = slots.find((x) => x.channel === ch);
      if (s) s.channel = undefined;
    };
  });

  const spawn = (index: number, restartMs: number): Slot => {
    const child = rt.spawn([...rt.selfCommand(), "worker", String(index), socketPath, ...argv]);
    const slot: Slot = { index, child, ready: false, startedAt: Date.now(), restartMs };
    slots[index - 1] = slot;
    void child.exited.then((code) => {
      slot.exitCode = code;
      if (!started || stopping || slots[index - 1] !== slot) return;
      slot.channel = undefined;
      const young = Date.now() - slot.startedAt < STABLE_MS;
      const wait = young ? slot.restartMs : FIRST_RESTART_MS;
      event("worker-exit", { worker: index, pid: child.pid, code, restart_in_ms: wait });
      setTimeout(() => {
        if (stopping) return;
        const next = spawn(index, Math.min(wait * 2, MAX_RESTART_MS));
        event("worker-start", { worker: index, pid: next.child.pid });
      }, wait);
    });
    return slot;
  };

  // Start-up: every worker binds its listeners, or holdfast does not start.
  for (let i = 1; i <= workers; i++) spawn(i, FIRST_RESTART_MS);
  const startFailed = await new Promise<string | undefined>((resolve) => {
    const until = Date.now() + READY_TIMEOUT_MS;
    const poll = setInterval(() => {
      if (slots.every((s) => s.ready)) {
        clearInterval(poll);
        return resolve(undefined);
      }
      const dead = slots.find((s) => s.exitCode !== undefined);
      if (dead) {
        clearInterval(poll);
        return resolve(`worker ${dead.index} exited with status ${dead.exitCode} while starting`);
      }
      if (Date.now() > until) {
        clearInterval(poll);
        resolve(`a worker did not start within ${READY_TIMEOUT_MS} ms`);
      }
    }, 20);
  });
  if (startFailed) {
    stopping = true;
    for (const s of slots) s.child.kill("SIGKILL");
    await Promise.all(slots.map((s) => s.child.exited));
    server.close();
    cleanUp();
    rt.stderr(`holdfast: Cannot start: ${startFailed}\n`);
    return rt.exit(1);
  }
  started = true;
  for (const c of checkers) c.start();
  let admin: { close(): Promise<void> } | undefined;
  if (config.admin?.listen) {
    try {
      const s = await serveAdmin(rt, config.admin.listen, view);
      admin = s;
      print(`holdfast: admin endpoint on http://${config.admin.listen.host}:${s.port}/ (every worker's figures)`);
    } catch (e) {
      stopping = true;
      for (const s of slots) s.child.kill("SIGTERM");
      await Promise.all(slots.map((s) => s.child.exited));
      server.close();
      cleanUp();
      rt.stderr(`holdfast: Cannot start: ${(e as Error).message}\n`);
      return rt.exit(1);
    }
  }
  rt.onReloadSignal(() => {
    for (const s of slots) s.child.kill("SIGHUP");
  });
  return await new Promise<never>((resolve) => {
    // Registered before the line that says holdfast is up, which scripts wait for before signalling.
    rt.onShutdownSignal(async (signal) => {
      if (stopping) return;
      stopping = true;
      print(`holdfast: ${signal}: stopping ${workers} workers`);
      event("shutdown", { signal, timeout_ms: config.shutdownTimeoutMs, workers });
      for (const c of checkers) c.stop();
      for (const s of slots) s.child.kill(signal === "SIGINT" ? "SIGINT" : "SIGTERM");
      const all = Promise.all(slots.map((s) => s.child.exited));
      const late = await Promise.race([
        all.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), config.shutdownTimeoutMs + STOP_GRACE_MS)),
      ]);
      if (late) { for (const s of slots) s.child.kill("SIGKILL"); }
      await all;
      await admin?.close();
      server.close();
      cleanUp();
      print("holdfast: stopped");
      event("stopped", { clean: !late });
      resolve(rt.exit(0));
    });
    print(
      `holdfast ${VERSION} primary ${rt.pid}: ${workers} workers (pids ${
        slots.map((s) => s.child.pid).join(" ")
      }) (${rt.name} ${rt.version})`,
    );
  });
}
