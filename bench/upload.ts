/**
 * Upload benchmark: one large body PUT with curl straight to a sink, through
 * nginx (`proxy_request_buffering on`, temp files on /dev/shm), and through
 * holdfast (spool on /dev/shm), alternating, median of several runs, with
 * each proxy's peak RSS. Writes bench/REPORT.md. See bench/README.md.
 *
 * Usage: `bun bench/upload.ts --help` and bench/README.md. Exit status 0 when every upload succeeded,
 * whether or not the targets were met; 1 on a failure; 2 on bad flags.
 */
/// <reference types="bun-types" />
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatBytes } from "../src/config/units.ts";
import { type BenchArgs, parseBenchArgs } from "./lib/args.ts";
import { ensureBody } from "./lib/body.ts";
import { upload } from "./lib/curl.ts";
import { loadAvg, machine, revision } from "./lib/machine.ts";
import { paths, type PathSpec, type RunningPath } from "./lib/paths.ts";
import { fromDir, snapshot, workTree } from "./lib/source.ts";
import { childIdentities, freePort, killIdentity, start, type Started, stop, waitForPort } from "./lib/proc.ts";
import { renderReport, type Row, type SizeResult, verdicts } from "./lib/report.ts";
import { GET_HEADING } from "./lib/get-report.ts";
import { keptSection } from "./lib/sections.ts";
import { RssSampler } from "./lib/rss.ts";
import { mbPerSecond, median } from "./lib/stats.ts";

const SHM = "/dev/shm/holdfast-bench";

/** Everything started or created, undone by {@link cleanup} in any case. */
const started: Started[] = [];
const samplers: RssSampler[] = [];
/** Directories and files to remove at the end. */
const removable: string[] = [];

/** Stops every process started so far (also nginx's worker), by PID. */
async function stopAll(): Promise<void> {
  for (const s of samplers.splice(0)) s.stop();
  for (const p of started.splice(0).reverse()) {
    // nginx's worker is the master's child: note it before the master goes.
    const children = childIdentities(p.pid);
    await stop(p);
    for (const c of children) killIdentity(c);
  }
}

/** Stops everything, then removes the temp dirs, spool dirs and body file. */
async function cleanup(): Promise<void> {
  await stopAll();
  for (const d of removable.splice(0)) rmSync(d, { recursive: true, force: true });
}

// Generous: even 50 MB/s finishes well inside it; a hung path cannot stall the run.
const curlLimit = (size: number) => Math.max(60, Math.ceil(size / 50e6));

async function benchSize(a: BenchArgs, specs: PathSpec[], size: number, body: string, work: string): Promise<SizeResult> {
  const sizeDir = join(work, `size-${size}`);
  mkdirSync(sizeDir);
  const sinkPort = await freePort();
  const sink = start("sink", [process.execPath, join(import.meta.dir, "sink.ts"), String(sinkPort)]);
  started.push(sink);
  await waitForPort(sink, sinkPort);

  const running: { spec: PathSpec; run: RunningPath; rss?: RssSampler; seconds: number[] }[] = [];
  for (const [i, spec] of specs.entries()) {
    const dir = join(sizeDir, `path-${i}`);
    const spoolDir = join(SHM, `${process.pid}-${size}-${i}`);
    mkdirSync(dir);
    mkdirSync(spoolDir, { recursive: true, mode: 0o700 });
    removable.push(spoolDir);
    const run = await spec.start({ dir, spoolDir, sinkPort, track: (p) => started.push(p) });
    const rss = spec.proxy ? new RssSampler(run.pids) : undefined;
    if (rss) samplers.push(rss);
    running.push({ spec, run, rss, seconds: [] });
  }

  for (let round = 0; round < a.warmup + a.runs; round++) {
    for (const r of running) {
      const u = await upload(r.run.url, body, size, curlLimit(size));
      const tag = round < a.warmup ? "warm-up" : `run ${round - a.warmup + 1}/${a.runs}`;
      console.log(`${formatBytes(size)} ${tag} ${r.spec.name}: ${u.seconds.toFixed(2)} s, ${mbPerSecond(size, u.seconds).toFixed(0)} MB/s`);
      if (round >= a.warmup) r.seconds.push(u.seconds);
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

async function main(): Promise<number> {
  let a: BenchArgs;
  try {
    a = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  mkdirSync(SHM, { recursive: true, mode: 0o700 });
  const work = mkdtempSync(join(tmpdir(), "holdfast-bench-"));
  removable.push(work);
  const loadBefore = loadAvg();
  const sources = a.sources.length
    ? a.sources.map((s, i) => s.startsWith("rev:") ? snapshot(s.slice(4), join(work, `source-${i}`)) : fromDir(s.slice(4)))
    : [workTree()];
  const specs = paths({ deno: a.deno, smol: a.smol, sources });
  const results: SizeResult[] = [];
  for (const size of a.sizes) {
    const body = join(SHM, `body-${size}.bin`);
    if (!a.keepBody) removable.push(body);
    ensureBody(body, size);
    results.push(await benchSize(a, specs, size, body, work));
  }
  const notes = ["Why holdfast is where it is (time split, what was tried, what was fixed): [README.md, Findings](README.md#findings)."];
  if (!sources.every((s) => s.binary)) {
    notes.push("dist/holdfast-linux-x64 was not built (`bun build.ts x64`), so the compiled binary was not measured.");
  }
  for (const line of verdicts(results)) console.log(line);
  if (a.report) {
    const info = {
      date: new Date().toISOString(),
      command: ["bun", "bench/upload.ts", ...process.argv.slice(2)].join(" "),
      machine: machine(),
      runs: a.runs,
      warmup: a.warmup,
      revision: a.sources.length ? sources.map((s) => s.label).join("; ") : revision(),
      load: [loadBefore, loadAvg()] as [string, string],
    };
    // The small-GET section belongs to bench/get.ts: keep it.
    writeFileSync(a.report, renderReport(info, results, notes) + keptSection(a.report, GET_HEADING));
    console.log(`wrote ${a.report}`);
  }
  return 0;
}

let code = 1;
let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, async () => {
    if (interrupted) return;
    interrupted = true;
    await cleanup();
    process.exit(130);
  });
}
try {
  code = await main();
} catch (e) {
  console.error(`bench/upload.ts: ${(e as Error).message}`);
} finally {
  await cleanup();
}
process.exit(code);
