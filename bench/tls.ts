/**
 * TLS benchmark: holdfast terminating TLS 1.3 against nginx with the same
 * certificate, each in front of the same nginx responder (2-byte body) on
 * 127.0.0.1 as in bench/get.ts. Loads: keep-alive GETs over TLS with wrk
 * (requests/s, p50/p99, proxy CPU per request, peak RSS), resumed handshakes
 * (wrk with `Connection: close`, one GET per connection) and full handshakes
 * (`openssl s_time -new`, one GET per connection): handshakes/s and proxy CPU
 * per handshake; optionally plain HTTP to the same processes and full
 * handshakes with an RSA certificate. Rounds interleave the targets, the
 * median is reported, and a `## TLS` section is merged into bench/REPORT.md.
 * Before each measured run it waits (bounded) for other benchmarks and test
 * runs on the machine to finish. See bench/README.md.
 *
 * Usage: `bun bench/tls.ts --help`. Exit status 0 when every run succeeded,
 * 1 on a failure, 2 on bad flags.
 */
/// <reference types="bun-types" />
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { cpuTimeOf, resetPeakRss } from "./lib/cpu.ts";
import { proxyConf } from "./lib/get-nginx.ts";
import { holdfastCommand, startHoldfast, startNginx, startResponder, type TargetEnv, VARIANTS } from "./lib/get-targets.ts";
import { waitUntilIdle } from "./lib/idle.ts";
import { loadAvg, machine, revision } from "./lib/machine.ts";
import { parseFlags, runMain } from "./lib/main.ts";
import { freePort, type Started, waitForPort } from "./lib/proc.ts";
import { vmField } from "./lib/rss.ts";
import { sTime } from "./lib/s-time.ts";
import { formatReport, writeSection } from "./lib/sections.ts";
import { binaryNote, REPO, workTree } from "./lib/source.ts";
import { type LoadKind, parseTlsArgs, type TlsArgs } from "./lib/tls-args.ts";
import {
  type LoadInfo,
  loadInfo,
  renderTlsSection,
  type TargetProbe,
  TLS_HEADING,
  type TlsMeasurement,
  type TlsRow,
} from "./lib/tls-report.ts";
import { type CertFiles, checkTlsResponse, ensureCertificate, KEY_LABEL, type KeyKind, probeTls, tlsVersions } from "./lib/tls-setup.ts";
import { wrk, wrkVersion } from "./lib/wrk.ts";

import { Tracked } from "./lib/tracked.ts";
const WORK = join(REPO, "bench/work");

/** Every process started and not yet stopped, stopped by PID on the way out. */
const procs = new Tracked();
const { track, untrack } = procs;
const stopAll = (graceMs?: number) => procs.stopAll(graceMs);
/** This run's directory under bench/work/, named in the error message so its logs can be read. */
let workDir = "";

/** A running proxy with a plain and a TLS listener. */
interface TlsRunning {
  plainUrl: string;
  tlsUrl: string;
  tlsPort: number;
  /** The processes that do the proxying: nginx's master and worker, or the one holdfast process. */
  pids: number[];
}

/** One proxy under test. */
interface TlsTarget {
  name: string;
  /** The nginx row, which the others' rates are divided by. */
  baseline: boolean;
  start(env: TargetEnv, cert: CertFiles): Promise<TlsRunning>;
}

/** nginx as the reverse proxy of bench/get.ts, plus `listen ... ssl` with TLS 1.3 only and `cert`. */
function nginxTarget(): TlsTarget {
  return {
    name: "nginx",
    baseline: true,
    async start(env, cert) {
      const tlsPort = await freePort();
      // The master binds every listen socket before it forks the worker: once the plain one accepts, so does the TLS one.
      const run = await startNginx(
        "nginx-proxy",
        env.dir,
        env.track,
        (b) => proxyConf({ ...b, upstreamPort: env.responderPort, tls: { port: tlsPort, cert: cert.cert, key: cert.key } }),
      );
      return { plainUrl: run.url, tlsUrl: `https://127.0.0.1:${tlsPort}/`, tlsPort, pids: run.pids };
    },
  };
}

/** The work tree's holdfast builds in `variants`, each with bench/get.ts's flags plus `--listen 127.0.0.1:PORT,tls` and the certificate. */
function holdfastTargets(variants: string[]): TlsTarget[] {
  const source = workTree();
  return VARIANTS.filter((v) => variants.includes(v)).flatMap((v): TlsTarget[] => {
    const cmd = holdfastCommand(source, v);
    if (!cmd) return [];
    return [{
      name: `holdfast ${v === "binary" ? "binary" : `on ${v === "bun" ? "Bun" : "Deno"}`}`,
      baseline: false,
      async start(env, cert) {
        const tlsPort = await freePort();
        let proc: Started | undefined;
        const run = await startHoldfast(
          `holdfast-${v}`,
          cmd,
          source.root,
          { ...env, track: (p) => (env.track(p), proc = p) },
          ["--listen", `127.0.0.1:${tlsPort},tls`, "--tls-cert", cert.cert, "--tls-key", cert.key],
        );
        // The plain listener answered; the TLS one may be bound a moment later.
        await waitForPort(proc!, tlsPort);
        return { plainUrl: run.url, tlsUrl: `https://127.0.0.1:${tlsPort}/`, tlsPort, pids: run.pids };
      },
    }];
  });
}

/** The machine's TCP connections accepted so far (TcpPassiveOpens of /proc/net/snmp). */
function passiveOpens(): number {
  const lines = readFileSync("/proc/net/snmp", "utf8").split("\n").filter((l) => l.startsWith("Tcp:"));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  return Number(values[names.indexOf("PassiveOpens")] ?? 0);
}

/** The first line of `argv`'s output, or "" when it cannot run. */
function versionOf(argv: string[]): string {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", timeout: 20_000 });
  return r.stdout.toString().split("\n")[0].trim();
}

/** What waiting for an idle machine cost the run, for the report. */
const waits = { waitedMs: 0, busyRuns: 0, loads: [] as number[] };

/** Waits (bounded by `--idle-wait`) until no other benchmark or test run is going, then reads the load average. */
async function settle(a: TlsArgs): Promise<string> {
  const w = await waitUntilIdle({ maxMs: a.idleWaitMs, log: (line) => console.log(line) });
  waits.waitedMs += w.waitedMs;
  if (w.stillBusy.length > 0) {
    waits.busyRuns++;
    if (a.idleWaitMs > 0) console.log(`gave up waiting after ${Math.round(w.waitedMs / 1000)} s; measuring anyway`);
  }
  const load = loadAvg();
  waits.loads.push(Number(load));
  return load;
}

/** Warm-up, then one measured wrk run to `url`: keep-alive, or with `Connection: close` (one request per connection). */
async function measureWrk(a: TlsArgs, run: TlsRunning, url: string, close: boolean): Promise<TlsMeasurement> {
  const loadBefore = await settle(a);
  const opts = { url, connections: a.connections, headers: close ? ["Connection: close"] : [], track, untrack };
  if (a.warmupSeconds > 0) await wrk({ ...opts, seconds: a.warmupSeconds });
  resetPeakRss(run.pids);
  const cpu0 = cpuTimeOf(run.pids);
  const opens0 = passiveOpens();
  const r = await wrk({ ...opts, seconds: a.seconds });
  const cpu1 = cpuTimeOf(run.pids);
  const opens = passiveOpens() - opens0;
  const n = Math.max(1, r.requests);
  if (close && opens < 0.9 * r.requests) {
    throw new Error(
      `${url}: ${r.requests} requests with Connection: close but only ${opens} new connections: wrk did not reconnect per request`,
    );
  }
  return {
    count: r.requests,
    rate: r.rps,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    cpuUs: (cpu1.userUs + cpu1.systemUs - cpu0.userUs - cpu0.systemUs) / n,
    sysUs: (cpu1.systemUs - cpu0.systemUs) / n,
    peakRss: run.pids.reduce((s, p) => s + vmField(p, "VmHWM"), 0),
    opensPer: opens / n,
    errors: { "non-2xx": r.non2xx, ...r.socket },
    loadBefore,
  };
}

/** One `openssl s_time -new` run against the TLS listener: full handshakes in the window after the warm-up. */
async function measureFull(a: TlsArgs, name: string, run: TlsRunning): Promise<TlsMeasurement> {
  const loadBefore = await settle(a);
  let cpu0 = cpuTimeOf([]);
  let cpu1 = cpu0;
  let opens0 = 0;
  let opens = 0;
  let peakRss = 0;
  const r = await sTime({
    port: run.tlsPort,
    processes: a.handshakeClients,
    // s_time has no separate warm-up run: its first seconds are the warm-up (at least 1 s for the processes to start).
    warmupSeconds: Math.max(1, a.warmupSeconds),
    seconds: a.seconds,
    onOpen() {
      resetPeakRss(run.pids);
      cpu0 = cpuTimeOf(run.pids);
      opens0 = passiveOpens();
    },
    onClose() {
      cpu1 = cpuTimeOf(run.pids);
      opens = passiveOpens() - opens0;
      peakRss = run.pids.reduce((s, p) => s + vmField(p, "VmHWM"), 0);
    },
    track,
    untrack,
  });
  for (const f of r.failures) console.log(`  ${name}: ${f}`);
  const n = Math.max(1, r.handshakes);
  return {
    count: r.handshakes,
    rate: r.handshakes / r.windowSeconds,
    cpuUs: (cpu1.userUs + cpu1.systemUs - cpu0.userUs - cpu0.systemUs) / n,
    sysUs: (cpu1.systemUs - cpu0.systemUs) / n,
    peakRss,
    opensPer: opens / n,
    errors: {
      "s_time failures": r.failures.length,
      "resumed sessions": r.resumed,
      "no response bytes": r.bytesPerConnection.filter((b) => b === 0).length,
    },
    loadBefore,
  };
}

/** The certificate each load uses. */
const keyOf = (kind: LoadKind): KeyKind => (kind === "full-rsa" ? "rsa" : "ecdsa");

async function bench(a: TlsArgs, dir: string): Promise<number> {
  const loadBefore = loadAvg();
  const keys = [...new Set(a.loads.map(keyOf))];
  const certs = new Map(keys.map((k) => [k, ensureCertificate(WORK, k)] as const));
  for (const c of certs.values()) console.log(`certificate: ${relative(REPO, c.cert)} (${KEY_LABEL[c.kind]})`);
  const responder = await startResponder(join(dir, "responder"), track);
  const list = [nginxTarget(), ...holdfastTargets(a.variants)];
  // One set of running targets per certificate: a process serves one certificate, as a site would.
  const running = new Map<KeyKind, TlsRunning[]>();
  const probes: TargetProbe[] = list.map((t) => ({ name: t.name, byKey: [] }));
  for (const key of keys) {
    const cert = certs.get(key)!;
    const runs: TlsRunning[] = [];
    for (const [i, t] of list.entries()) {
      const r = await t.start({ dir: join(dir, `${key}-target-${i}`), responderPort: responder.port, track }, cert);
      await checkTlsResponse(t.name, r.tlsUrl, cert.cert);
      probes[i].byKey.push([KEY_LABEL[key], await probeTls(r.tlsPort, join(dir, "session.pem"))]);
      runs.push(r);
    }
    running.set(key, runs);
  }
  const peakReset = resetPeakRss([...running.values()].flat().flatMap((r) => r.pids));
  const infos: LoadInfo[] = a.loads.map((k) => loadInfo(k, a));
  const perRound = a.loads.reduce(
    (s, k) => s + (k.startsWith("full") ? Math.max(1, a.warmupSeconds) + a.seconds + 1 : a.warmupSeconds + a.seconds),
    0,
  );
  console.log(
    `${list.length} targets x ${a.loads.length} loads x ${a.runs} rounds: about ${Math.ceil((list.length * perRound * a.runs) / 60)} min ` +
      `(more if other benchmarks or test runs have to finish first)`,
  );
  const rows: TlsRow[][] = a.loads.map(() => list.map((t) => ({ name: t.name, baseline: t.baseline, runs: [] })));
  for (let round = 0; round < a.runs; round++) {
    for (const [li, kind] of a.loads.entries()) {
      // Targets back to back within one load and round, so drift on the machine hits all of them alike.
      for (const [ti, t] of list.entries()) {
        const run = running.get(keyOf(kind))![ti];
        const m = kind === "full" || kind === "full-rsa"
          ? await measureFull(a, t.name, run)
          : await measureWrk(a, run, kind === "plain" ? run.plainUrl : run.tlsUrl, kind === "resumed");
        rows[li][ti].runs.push(m);
        const errs = Object.values(m.errors).reduce((x, y) => x + y, 0);
        console.log(
          `run ${round + 1}/${a.runs}, ${kind}, ${t.name}: ${m.rate.toFixed(0)} ${infos[li].rateUnit}${
            m.p50Ms === undefined ? "" : `, p50 ${m.p50Ms.toFixed(2)} ms, p99 ${m.p99Ms!.toFixed(2)} ms`
          }, ${m.cpuUs.toFixed(1)} µs CPU/${infos[li].per}, peak RSS ${(m.peakRss / 1e6).toFixed(1)} MB, ${
            m.opensPer.toFixed(2)
          } TCP opens/${infos[li].per}, load ${m.loadBefore}${errs ? `, ${errs} errors` : ""}`,
        );
      }
      const base = rows[li].find((r) => r.baseline)?.runs[round];
      for (const r of rows[li]) r.runs[round].ratio = base && base.rate > 0 ? r.runs[round].rate / base.rate : undefined;
    }
  }
  await stopAll();

  const notes: string[] = [];
  const binary = a.variants.includes("binary") ? binaryNote(workTree()) : undefined;
  if (binary) notes.push(binary);
  const versions = tlsVersions();
  const sorted = [...waits.loads].sort((x, y) => x - y);
  const section = renderTlsSection(
    {
      date: new Date().toISOString(),
      command: ["bun", "bench/tls.ts", ...process.argv.slice(2)].join(" "),
      machine: machine(),
      deno: versionOf([join(REPO, "node_modules/.bin/deno"), "--version"]).split(" ").slice(0, 2).join(" "),
      wrk: wrkVersion(),
      wrkLibssl: versions.wrkLibssl,
      openssl: versions.openssl,
      libraries: versions.libraries,
      revision: `work tree at ${revision()}`,
      load: [loadBefore, loadAvg()],
      loadRange: [String(sorted[0] ?? "?"), String(sorted[sorted.length - 1] ?? "?")],
      waitedMs: waits.waitedMs,
      busyRuns: waits.busyRuns,
      runs: a.runs,
      seconds: a.seconds,
      warmupSeconds: a.warmupSeconds,
      peakReset,
      probes,
    },
    a.loads.map((_, i) => ({ info: infos[i], rows: rows[i] })),
    notes,
  );
  console.log(`\n${section}`);
  if (a.report) {
    writeSection(a.report, TLS_HEADING, section, "# Benchmarks");
    formatReport(a.report);
    console.log(`wrote the "${TLS_HEADING}" section of ${a.report}`);
  }
  return 0;
}

async function main(): Promise<number> {
  const a = parseFlags(parseTlsArgs);
  if (a === undefined) return 2;
  for (const tool of ["wrk", "curl", "openssl", "/usr/sbin/nginx"]) {
    if (!Bun.which(tool)) throw new Error(`${tool} not found (apt-get install -y wrk nginx-light curl openssl)`);
  }
  mkdirSync(WORK, { recursive: true });
  // Per run, so two runs never share nginx prefixes; kept after a failure for its logs.
  const dir = mkdtempSync(join(WORK, "tls-"));
  workDir = dir;
  const code = await bench(a, dir);
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
  return code;
}

await runMain("bench/tls.ts", main, () => stopAll(), {
  quietOnSignal: true,
  hint: () => (workDir ? `\n(logs and configs: ${relative(REPO, workDir)})` : ""),
});
