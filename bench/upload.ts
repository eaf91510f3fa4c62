/**
 * Upload benchmark, two cases, each straight to a sink, through nginx
 * (`proxy_request_buffering on`, temp files on /dev/shm), and through holdfast
 * (spool on /dev/shm), paths alternating, median of several runs, with each
 * proxy's peak RSS:
 *
 * - single: one large body PUT with curl (1 GiB by default);
 * - parallel: N bodies PUT at once (64 × 8 MiB by default), aggregate MB/s.
 *
 * Writes each case's section of bench/REPORT.md. See bench/README.md.
 *
 * Usage: `bun bench/upload.ts --help` and bench/README.md. Exit status 0 when every upload succeeded,
 * whether or not the targets were met; 1 on a failure; 2 on bad flags.
 */
/// <reference types="bun-types" />
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatBytes } from "../src/config/units.ts";
import { type BenchArgs, parseBenchArgs } from "./lib/args.ts";
import { ensureBody, sha256Of } from "./lib/body.ts";
import { cpuTimeOf, resetPeakRss } from "./lib/cpu.ts";
import { upload } from "./lib/curl.ts";
import { loadAvg, machine, revision } from "./lib/machine.ts";
import { parseFlags, runMain } from "./lib/main.ts";
import { parallelUploads } from "./lib/parallel.ts";
import {
  PARALLEL_HEADING,
  type ParallelRow,
  type ParallelRun,
  type ParallelSizeResult,
  parallelVerdicts,
  renderParallelSection,
} from "./lib/parallel-report.ts";
import { type PathEnv, paths, type PathSpec, type RunningPath } from "./lib/paths.ts";
import { fromDir, snapshot, type Source, workTree } from "./lib/source.ts";
import { childIdentities, freePort, killIdentity, start, type Started, stop, waitForPort } from "./lib/proc.ts";
import { renderSingleSection, REPORT_TITLE, type Row, type RunInfo, SINGLE_HEADING, type SizeResult, verdicts } from "./lib/report.ts";
import { GET_HEADING, PROFILE_HEADING } from "./lib/get-report.ts";
import { GZIP_HEADING } from "./lib/gzip-report.ts";
import { formatReport, keptSection, writeSection } from "./lib/sections.ts";
import { TLS_HEADING } from "./lib/tls-report.ts";
import { RssSampler, vmField } from "./lib/rss.ts";
import { mbPerSecond, median } from "./lib/stats.ts";

const SHM = "/dev/shm/holdfast-bench";

/** Everything started or created, undone by {@link cleanup} in any case. */
const started = new Set<Started>();
let cleaning: Promise<void> | undefined;
/** Registers a started process; one started while cleaning up (the main path still running after a signal) is killed at once. */
const track = (p: Started) => void (cleaning ? p.proc.kill("SIGKILL") : started.add(p));
const untrack = (p: Started) => void started.delete(p);
const samplers: RssSampler[] = [];
/** Directories and files to remove at the end. */
const removable: string[] = [];

/** Stops every process started so far (also nginx's worker), by PID. */
async function stopAll(): Promise<void> {
  for (const s of samplers.splice(0)) s.stop();
  const all = [...started].reverse();
  started.clear();
  for (const p of all) {
    // An exited process's PID may be someone else's by now: only a live one is looked at.
    if (p.proc.exitCode !== null || p.proc.signalCode !== null) continue;
    // nginx's worker is the master's child: note it before the master goes.
    const children = childIdentities(p.pid);
    await stop(p);
    for (const c of children) killIdentity(c);
  }
}

/**
 * Stops everything, then removes the temp dirs, spool dirs and body file. One
 * cleanup, however many callers (a signal and the failure it causes in the
 * main path): each waits for all of it before the process exits.
 */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopAll();
    for (const d of removable.splice(0)) rmSync(d, { recursive: true, force: true });
  })();
  return cleaning;
}

/**
 * A bound on one upload of `bytes` (all of a round's bodies for the parallel
 * case), generous enough for 50 MB/s, or 20 MB/s while the sink hashes (it
 * does ~200 MB/s here); a hung path cannot stall the run.
 */
const uploadLimit = (bytes: number, hashed: boolean) => Math.max(60, Math.ceil(bytes / (hashed ? 20e6 : 50e6)));

const SINK = join(import.meta.dir, "lib/hash-sink.ts");

/** Starts the sink (bench/lib/hash-sink.ts) and waits until it listens. */
async function startSink(): Promise<number> {
  const sinkPort = await freePort();
  const sink = start("sink", [process.execPath, SINK, String(sinkPort)]);
  track(sink);
  await waitForPort(sink, sinkPort);
  return sinkPort;
}

/** One started path of a case, with its own spool directory. */
interface Started1 {
  spec: PathSpec;
  run: RunningPath;
  spoolDir: string;
}

/** Starts every path of one case and size, each with a fresh directory and spool directory. */
async function startPaths(
  specs: PathSpec[],
  caseDir: string,
  tag: string,
  sinkPort: number,
  nginx?: PathEnv["nginx"],
): Promise<Started1[]> {
  mkdirSync(caseDir);
  const out: Started1[] = [];
  for (const [i, spec] of specs.entries()) {
    const dir = join(caseDir, `path-${i}`);
    const spoolDir = join(SHM, `${process.pid}-${tag}-${i}`);
    mkdirSync(dir);
    mkdirSync(spoolDir, { recursive: true, mode: 0o700 });
    removable.push(spoolDir);
    const run = await spec.start({ dir, spoolDir, sinkPort, nginx, track });
    out.push({ spec, run, spoolDir });
  }
  return out;
}

/**
 * Waits (up to 3 s: a proxy may unlink a spool file just after its response)
 * for a proxy's spool directory to be empty.
 * @throws naming what is left
 */
async function checkSpoolEmpty(name: string, dir: string): Promise<void> {
  let left: string[] = [];
  for (let i = 0; i < 60; i++) {
    left = readdirSync(dir);
    if (left.length === 0) return;
    await Bun.sleep(50);
  }
  throw new Error(`${name} left ${left.length} file(s) in its spool directory ${dir}: ${left.slice(0, 5).join(", ")}`);
}

async function benchSize(a: BenchArgs, specs: PathSpec[], size: number, body: string, sha256: string, work: string): Promise<SizeResult> {
  const sinkPort = await startSink();
  const started1 = await startPaths(specs, join(work, `single-${size}`), `single-${size}`, sinkPort);
  const running = started1.map((s) => {
    const rss = s.spec.proxy ? new RssSampler(s.run.pids) : undefined;
    if (rss) samplers.push(rss);
    return { ...s, rss, seconds: [] as number[] };
  });

  for (let round = 0; round < a.warmup + a.runs; round++) {
    for (const r of running) {
      // The warm-up rounds have the sink hash each body: correctness checked, off the clock.
      const hashed = round < a.warmup;
      const u = await upload(r.run.url, body, size, uploadLimit(size, hashed), hashed ? { sha256 } : {});
      await checkSpoolEmpty(r.spec.name, r.spoolDir);
      const tag = hashed ? "warm-up (sha256 checked)" : `run ${round - a.warmup + 1}/${a.runs}`;
      console.log(`${formatBytes(size)} ${tag} ${r.spec.name}: ${u.seconds.toFixed(2)} s, ${mbPerSecond(size, u.seconds).toFixed(0)} MB/s`);
      if (!hashed) r.seconds.push(u.seconds);
    }
  }

  const rows: Row[] = running.map((r) => {
    r.rss?.stop();
    return {
      name: r.spec.name,
      proxy: r.spec.proxy,
      baseline: r.spec.baseline ?? false,
      seconds: r.seconds,
      mbps: mbPerSecond(size, median(r.seconds)),
      hwm: r.rss?.hwm ?? 0,
      sampled: r.rss?.peak ?? 0,
      rssNote: r.run.rssNote,
    };
  });
  // Fresh processes for the next size: VmHWM must not carry over.
  await stopAll();
  return { size, rows };
}

const sumHwm = (pids: number[]) => pids.reduce((s, p) => s + vmField(p, "VmHWM"), 0);

/**
 * The parallel case at one body size: fresh sink and paths, then rounds in
 * which each path in turn takes `a.parallel` uploads at once; the warm-up
 * rounds have the sink hash every body.
 */
async function benchParallel(a: BenchArgs, specs: PathSpec[], size: number, body: string, sha256: string, work: string) {
  const n = a.parallel;
  const sinkPort = await startSink();
  // Each upload holds two nginx connections (client, sink); keepalive as holdfast's --keepalive default.
  const nginx = { workerConnections: 4 * n + 64, keepalive: 32 };
  const running = await startPaths(specs, join(work, `parallel-${size}`), `parallel-${size}`, sinkPort, nginx);
  const rows: ParallelRow[] = running.map((r) => ({
    // The direct path's client is not curl here unless --client curl says so.
    name: r.spec.proxy ? r.spec.name : `direct (${a.client} → sink)`,
    proxy: r.spec.proxy,
    baseline: r.spec.baseline ?? false,
    runs: [],
    hwmLife: 0,
    hwmRuns: 0,
    rssNote: r.run.rssNote,
  }));
  const label = `${n} × ${formatBytes(size)}`;
  /** One round on path `r`: `n` uploads of the body at once; `hashed` has the sink hash each and check it against `sha256`. */
  const uploadRound = (r: Started1, hashed: boolean) =>
    parallelUploads({
      client: a.client,
      url: r.run.url,
      file: body,
      size,
      count: n,
      maxSeconds: uploadLimit(n * size, hashed),
      sha256: hashed ? sha256 : undefined,
      track,
      untrack,
    });
  // Warm-up rounds have the sink hash each body (checked against the file's): correctness checked, off the clock.
  const warmups = Math.max(1, a.warmup);
  for (let round = 0; round < warmups; round++) {
    for (const [i, r] of running.entries()) {
      const p = await uploadRound(r, true);
      await checkSpoolEmpty(r.spec.name, r.spoolDir);
      console.log(
        `${label} warm-up (sha256 checked) ${rows[i].name}: ${p.seconds.toFixed(2)} s, ${mbPerSecond(n * size, p.seconds).toFixed(0)} MB/s`,
      );
    }
  }
  // Peak RSS so far (start-up and warm-up), then the mark is reset so the measured rounds get their own.
  const hwmWarm = running.map((r) => sumHwm(r.run.pids()));
  const reset = running.map((r) => r.spec.proxy && resetPeakRss(r.run.pids()));
  for (let round = 0; round < a.runs; round++) {
    for (const [i, r] of running.entries()) {
      const pids = r.run.pids();
      const before = cpuTimeOf(pids);
      const p = await uploadRound(r, false);
      const after = cpuTimeOf(pids);
      await checkSpoolEmpty(r.spec.name, r.spoolDir);
      const run: ParallelRun = {
        seconds: p.seconds,
        mbps: mbPerSecond(n * size, p.seconds),
        slowest: Math.max(...p.each),
        cpuSeconds: (after.userUs + after.systemUs - before.userUs - before.systemUs) / 1e6,
        clientCpuSeconds: p.clientCpuSeconds,
      };
      rows[i].runs.push(run);
      console.log(
        `${label} run ${round + 1}/${a.runs} ${rows[i].name}: ${p.seconds.toFixed(2)} s, ${run.mbps.toFixed(0)} MB/s, slowest upload ${
          run.slowest.toFixed(2)
        } s, proxy CPU ${run.cpuSeconds.toFixed(2)} s, client CPU ${run.clientCpuSeconds.toFixed(2)} s`,
      );
    }
    // Ratios within the round: whatever else the machine did hit all paths of a round alike.
    const nginxRun = rows.find((x) => x.baseline)?.runs[round];
    if (nginxRun) { for (const x of rows) x.runs[round].ratio = x.runs[round].mbps / nginxRun.mbps; }
  }
  for (const [i, r] of running.entries()) {
    if (!r.spec.proxy) continue;
    const hwmNow = sumHwm(r.run.pids());
    rows[i].hwmRuns = reset[i] ? hwmNow : 0;
    rows[i].hwmLife = Math.max(hwmWarm[i], hwmNow);
  }
  // Fresh processes for the next size: VmHWM must not carry over.
  await stopAll();
  return { count: n, size, rows } satisfies ParallelSizeResult;
}

/** A note when the compiled binary is older than the sources it is measured next to. */
function binaryNotes(sources: Source[]): string[] {
  const out: string[] = [];
  if (!sources.every((s) => s.binary)) {
    out.push("dist/holdfast-linux-x64 was not built (`bun build.ts x64`), so the compiled binary was not measured.");
  }
  for (const s of sources) {
    if (!s.binary || s.label !== "work tree") continue;
    const built = statSync(s.binary).mtimeMs;
    const newest = Math.max(...["src", "runtime"].map((d) => newestMtime(join(s.root, d))));
    if (newest > built) {
      out.push(
        `${s.binary.slice(s.root.length + 1)} (built ${new Date(built).toISOString()}) is older than the newest file in src/ or runtime/ (${
          new Date(newest).toISOString()
        }): the "compiled binary" row measured an older holdfast than the others.`,
      );
    }
  }
  return out;
}

/** Newest modification time (ms) of the files under `dir`; bounded by the tree's size. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const f of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const st = statSync(join(dir, f));
    if (st.isFile() && st.mtimeMs > newest) newest = st.mtimeMs;
  }
  return newest;
}

/** Free bytes on /dev/shm. */
function shmFree(): number {
  const st = statfsSync(SHM);
  return Number(st.bavail) * Number(st.bsize);
}

async function main(): Promise<number> {
  const a = parseFlags(parseBenchArgs);
  if (a === undefined) return 2;
  mkdirSync(SHM, { recursive: true, mode: 0o700 });
  const work = mkdtempSync(join(tmpdir(), "holdfast-bench-"));
  removable.push(work);
  const loadBefore = loadAvg();
  const sources = a.sources.length
    ? a.sources.map((s, i) => s.startsWith("rev:") ? snapshot(s.slice(4), join(work, `source-${i}`)) : fromDir(s.slice(4)))
    : [workTree()];
  const hashes = new Map<number, string>();
  /** The body file of `size` on /dev/shm and its SHA-256 (computed once per size). */
  const bodyFor = (size: number): [string, string] => {
    const body = join(SHM, `body-${size}.bin`);
    if (!a.keepBody && !removable.includes(body)) removable.push(body);
    ensureBody(body, size);
    if (!hashes.has(size)) hashes.set(size, sha256Of(body));
    return [body, hashes.get(size)!];
  };

  const single: SizeResult[] = [];
  const singleSpecs = paths({ deno: a.deno, smol: a.smol, sources });
  for (const size of a.sizes) {
    const [body, sha256] = bodyFor(size);
    single.push(await benchSize(a, singleSpecs, size, body, sha256, work));
  }
  const loadMid = loadAvg();

  const parallel: ParallelSizeResult[] = [];
  // The parallel table leaves out nginx with its compiled-in defaults: the comparison is with nginx configured like holdfast.
  const parallelSpecs = paths({ deno: a.deno, smol: a.smol, sources, nginxDefaults: false });
  for (const size of a.parallel ? a.parallelSizes : []) {
    // Each path in turn holds up to a round's bodies in its spool directory, next to the body file.
    const need = (a.parallel + 1) * size + 256 * 1024 ** 2;
    const have = shmFree() + (existsSync(join(SHM, `body-${size}.bin`)) ? size : 0);
    if (have < need) {
      throw new Error(`/dev/shm has ${formatBytes(have)} free, ${a.parallel} × ${formatBytes(size)} needs ${formatBytes(need)}`);
    }
    const [body, sha256] = bodyFor(size);
    parallel.push(await benchParallel(a, parallelSpecs, size, body, sha256, work));
  }

  const notes = [
    "Why holdfast is where it is (time split, what was tried, what was fixed): [README.md, Findings](README.md#findings).",
    ...binaryNotes(sources),
  ];
  for (const line of [...verdicts(single), ...parallelVerdicts(parallel)]) console.log(line);
  if (a.report) {
    const loadAfter = loadAvg();
    const info = (load: [string, string]): RunInfo => ({
      date: new Date().toISOString(),
      command: ["bun", "bench/upload.ts", ...process.argv.slice(2)].join(" "),
      machine: machine(),
      runs: a.runs,
      warmup: a.warmup,
      revision: a.sources.length ? sources.map((s) => s.label).join("; ") : revision(),
      load,
    });
    const parallelSection = parallel.length
      ? renderParallelSection(
        { ...info([single.length ? loadMid : loadBefore, loadAfter]), warmup: Math.max(1, a.warmup), client: a.client },
        parallel,
        notes,
      )
      : "";
    if (single.length) {
      // The single-upload case rewrites the file: its section, then the parallel one (this run's or the last one's), then bench/get.ts's
      // and bench/gzip.ts's.
      const doc = [
        REPORT_TITLE,
        "",
        renderSingleSection(info([loadBefore, parallel.length ? loadMid : loadAfter]), single, notes).trimEnd(),
        "",
      ].join("\n") + (parallelSection ? `\n${parallelSection.trimEnd()}\n` : keptSection(a.report, PARALLEL_HEADING)) +
        keptSection(a.report, GET_HEADING) + keptSection(a.report, PROFILE_HEADING) + keptSection(a.report, GZIP_HEADING) +
        keptSection(a.report, TLS_HEADING);
      writeFileSync(a.report, doc);
      formatReport(a.report);
      console.log(`wrote ${a.report} (${SINGLE_HEADING}${parallelSection ? `, ${PARALLEL_HEADING}` : ""}; other sections kept)`);
    } else if (parallelSection) {
      writeSection(a.report, PARALLEL_HEADING, parallelSection, REPORT_TITLE);
      formatReport(a.report);
      console.log(`wrote the "${PARALLEL_HEADING}" section of ${a.report}`);
    }
  }
  return 0;
}

// A failure after a signal is the signal's doing: no message, and status 130.
await runMain("bench/upload.ts", main, cleanup, { quietOnSignal: true });
