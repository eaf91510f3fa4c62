/**
 * Small-request benchmark: keep-alive GETs of a 2-byte response, with wrk,
 * through nginx as a reverse proxy and through holdfast (Bun, Deno, compiled
 * binary), each in front of the same nginx responder on 127.0.0.1. Reports
 * requests/s, p50/p99 latency, the proxy's CPU per request and its peak RSS,
 * median of several interleaved runs, and merges a `## Small GETs` section
 * into bench/REPORT.md. `--profile` instead writes a CPU profile of holdfast
 * on Bun under load to bench/work/get-profile.txt. See bench/README.md.
 *
 * Usage: `bun bench/get.ts --help`. Exit status 0 when every run succeeded,
 * 1 on a failure, 2 on bad flags.
 */
/// <reference types="bun-types" />
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { profileTable, summarizeProfile } from "./lib/cpuprofile.ts";
import { cpuTimeOf, resetPeakRss } from "./lib/cpu.ts";
import { type GetArgs, parseGetArgs } from "./lib/get-args.ts";
import { GET_HEADING, type GetRow, type Load, loadLabel, type Measurement, PROFILE_HEADING, renderGetSection } from "./lib/get-report.ts";
import { type Running, startHoldfast, startResponder, type Target, targets } from "./lib/get-targets.ts";
import { loadAvg, machine, revision } from "./lib/machine.ts";
import { parseFlags, runMain } from "./lib/main.ts";
import { vmField } from "./lib/rss.ts";
import { Tracked } from "./lib/tracked.ts";
import { writeSection } from "./lib/sections.ts";
import { binaryNote, fromDir, REPO, snapshot, type Source, workTree } from "./lib/source.ts";
import { wrk, wrkVersion } from "./lib/wrk.ts";

const WORK = join(REPO, "bench/work");
const PROFILE_TXT = join(WORK, "get-profile.txt");
const PROFILE_NAME = "get-profile";

/** Every process started and not yet stopped, stopped by PID on the way out. */
const procs = new Tracked();
const { track, untrack } = procs;
const stopAll = (graceMs?: number) => procs.stopAll(graceMs);
/** This run's directory under bench/work/, named in the error message so its logs can be read. */
let workDir = "";

/**
 * The 2 KB Cookie header: a value of exactly 2048 bytes (30 cookies of 61
 * letters and most of a 31st, so it ends inside a value), as a browser sends
 * a session's worth.
 */
function cookieHeader(): string {
  const pairs = Array.from({ length: 32 }, (_, i) => `c${String(i).padStart(2, "0")}=${String.fromCharCode(97 + (i % 26)).repeat(61)}`);
  return `Cookie: ${pairs.join("; ").slice(0, 2048)}`;
}
const COOKIE = cookieHeader();

/**
 * One curl through `url`: the status must be 200 and the body exactly "ok",
 * or the numbers that follow would measure something else (an error page).
 */
async function checkResponse(name: string, url: string): Promise<void> {
  const p = Bun.spawn(["curl", "-sS", "--max-time", "5", "-w", "\n%{http_code}", url], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  const at = out.lastIndexOf("\n");
  const body = out.slice(0, at);
  const status = out.slice(at + 1);
  if (code !== 0 || status !== "200" || body !== "ok") {
    throw new Error(
      `${name} (${url}) answered ${JSON.stringify({ curl: code, status, body: body.slice(0, 200), err: err.trim() })}, expected 200 "ok"`,
    );
  }
}

/** The first line of `argv`'s output, or "" when it cannot run. */
function versionOf(argv: string[]): string {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  return r.stdout.toString().split("\n")[0].trim();
}

function sourcesOf(a: GetArgs, dir: string): Source[] {
  const list = a.noWorkTree ? [] : [workTree()];
  a.sources.forEach((s, i) => list.push(s.startsWith("rev:") ? snapshot(s.slice(4), join(dir, `source-${i}`)) : fromDir(s.slice(4))));
  return list;
}

/** Warm-up, then one measured wrk run against `run`, with the proxy's CPU and peak RSS around it. */
async function measure(a: GetArgs, target: Target, run: Running, load: Load): Promise<Measurement> {
  const headers = load.cookie ? [COOKIE] : [];
  const opts = { url: run.url, connections: load.connections, headers, track, untrack };
  if (a.warmupSeconds > 0) await wrk({ ...opts, seconds: a.warmupSeconds });
  resetPeakRss(run.pids);
  const before = cpuTimeOf(run.pids);
  const result = await wrk({ ...opts, seconds: a.seconds });
  const after = cpuTimeOf(run.pids);
  const requests = Math.max(1, result.requests);
  return {
    wrk: result,
    cpuUsPerReq: target.proxy ? (after.userUs + after.systemUs - before.userUs - before.systemUs) / requests : 0,
    sysUsPerReq: target.proxy ? (after.systemUs - before.systemUs) / requests : 0,
    peakRss: run.pids.reduce((s, p) => s + vmField(p, "VmHWM"), 0),
  };
}

async function bench(a: GetArgs, sources: Source[], dir: string): Promise<number> {
  const loadBefore = loadAvg();
  const responder = await startResponder(join(dir, "responder"), track);
  await checkResponse("responder", responder.url);
  const list = targets({ sources, variants: a.variants, direct: a.direct, routes: a.routes });
  const running: Running[] = [];
  for (const [i, t] of list.entries()) {
    const r = await t.start({ dir: join(dir, `target-${i}`), responderPort: responder.port, track });
    await checkResponse(t.name, r.url);
    running.push(r);
  }
  const peakReset = resetPeakRss(running.flatMap((r) => r.pids));
  const loads: Load[] = [
    ...a.connections.map((connections) => ({ connections, cookie: false })),
    ...(a.noCookie ? [] : a.connections.map((connections) => ({ connections, cookie: true }))),
  ];
  const perRun = a.warmupSeconds + a.seconds;
  console.log(
    `${list.length} targets x ${loads.length} loads x ${a.runs} runs x (${a.warmupSeconds} s warm-up + ${a.seconds} s): about ${
      Math.ceil((list.length * loads.length * a.runs * perRun) / 60)
    } min`,
  );
  const rows: GetRow[][] = loads.map(() => list.map((t) => ({ name: t.name, proxy: t.proxy, baseline: t.baseline, runs: [] })));
  for (let round = 0; round < a.runs; round++) {
    for (const [li, load] of loads.entries()) {
      // Targets back to back within one load and round, so drift on the machine hits all of them alike.
      for (const [ti, t] of list.entries()) {
        const m = await measure(a, t, running[ti], load);
        rows[li][ti].runs.push(m);
        const errs = m.wrk.non2xx + Object.values(m.wrk.socket).reduce((x, y) => x + y, 0);
        console.log(
          `run ${round + 1}/${a.runs}, ${loadLabel(load)}, ${t.name}: ${m.wrk.rps.toFixed(0)} req/s, p50 ${
            m.wrk.p50Ms.toFixed(2)
          } ms, p99 ${m.wrk.p99Ms.toFixed(2)} ms${
            t.proxy ? `, ${m.cpuUsPerReq.toFixed(1)} µs CPU/req, peak RSS ${(m.peakRss / 1e6).toFixed(1)} MB` : ""
          }${errs ? `, ${errs} errors` : ""}`,
        );
      }
      const base = rows[li].find((r) => r.baseline)?.runs[round];
      for (const r of rows[li]) r.runs[round].ratio = base ? r.runs[round].wrk.rps / base.wrk.rps : undefined;
    }
  }
  await stopAll();

  const notes: string[] = [];
  const wt = sources.find((s) => s.label === "work tree");
  const binary = wt && a.variants.includes("binary") ? binaryNote(wt) : undefined;
  if (binary) notes.push(binary);
  const info = {
    date: new Date().toISOString(),
    command: ["bun", "bench/get.ts", ...process.argv.slice(2)].join(" "),
    machine: machine(),
    deno: versionOf([join(REPO, "node_modules/.bin/deno"), "--version"]).split(" ").slice(0, 2).join(" "),
    wrk: wrkVersion(),
    revision: sources.map((s) => (s === wt ? `work tree at ${revision()}` : s.label)).join("; "),
    load: [loadBefore, loadAvg()] as [string, string],
    runs: a.runs,
    seconds: a.seconds,
    warmupSeconds: a.warmupSeconds,
    peakReset,
  };
  const section = renderGetSection(info, loads.map((load, i) => ({ load, rows: rows[i] })), notes);
  console.log(`\n${section}`);
  if (a.report) {
    writeSection(a.report, GET_HEADING, section, "# Benchmarks");
    console.log(`wrote the "${GET_HEADING}" section of ${a.report}`);
  }
  return 0;
}

/**
 * `--profile`: holdfast on Bun with `--cpu-prof`, loaded by wrk (first
 * connection count, no cookie) after the warm-up, then stopped with SIGTERM so
 * Bun writes the profile; the functions by self samples go to
 * bench/work/get-profile.txt.
 */
async function profile(a: GetArgs, source: Source, dir: string): Promise<number> {
  const responder = await startResponder(join(dir, "responder"), track);
  for (const ext of [".cpuprofile", ".md"]) rmSync(join(WORK, PROFILE_NAME + ext), { force: true });
  const cmd = [process.execPath, "--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${WORK}`, `--cpu-prof-name=${PROFILE_NAME}`, "src/main.ts"];
  const run = await startHoldfast("holdfast-profiled", cmd, source.root, {
    dir: join(dir, "profiled"),
    responderPort: responder.port,
    track,
  });
  await checkResponse("holdfast on Bun (profiled)", run.url);
  const load = { connections: a.connections[0], cookie: false };
  const target: Target = { name: "holdfast on Bun", proxy: true, baseline: false, start: () => Promise.resolve(run) };
  const m = await measure(a, target, run, load);
  const cpu = cpuTimeOf(run.pids);
  // The profile is written when the process exits; holdfast's shutdown takes up to ~2 s.
  await stopAll(15_000);
  const file = join(WORK, `${PROFILE_NAME}.cpuprofile`);
  if (!existsSync(file)) throw new Error(`bun --cpu-prof wrote no ${file} (see ${dir}/profiled/holdfast-profiled.log)`);
  const s = summarizeProfile(JSON.parse(readFileSync(file, "utf8")), [source.root, REPO]);
  const cpuMs = (cpu.userUs + cpu.systemUs) / 1000;
  const jsMs = (s.samples * s.intervalUs) / 1000;
  const text = [
    `holdfast on Bun under small GETs: bench/get.ts --profile, ${new Date().toISOString()}`,
    `holdfast: ${source.label === "work tree" ? `work tree at ${revision()}` : source.label}, bun ${Bun.version}`,
    `command: ${cmd.map((c) => relative(REPO, c) || c).join(" ")} ... (cwd ${source.root})`,
    `load: wrk -t1 -c${load.connections} -d${a.seconds}s after a ${a.warmupSeconds} s warm-up: ${m.wrk.rps.toFixed(0)} req/s, ${
      m.cpuUsPerReq.toFixed(1)
    } µs CPU/req (${m.sysUsPerReq.toFixed(1)} of it sys)`,
    `process CPU over its whole life (start-up, warm-up, run): ${(cpu.userUs / 1000).toFixed(0)} ms user + ${
      (cpu.systemUs / 1000).toFixed(0)
    } ms sys = ${cpuMs.toFixed(0)} ms`,
    `JavaScript samples: ${s.samples} at ~${(s.intervalUs / 1000).toFixed(2)} ms = ~${jsMs.toFixed(0)} ms, ~${
      ((100 * jsMs) / Math.max(1, cpuMs)).toFixed(0)
    }% of the CPU time;`,
    `  the rest is time the sampler did not see: other threads (fetch's HTTP client thread, GC helpers) and moments it skipped.`,
    `"(anonymous) (native)" with no caller is native work on the JavaScript thread that no JavaScript function called (Bun's event loop`,
    `  dispatching requests to the handler, promise jobs, response writes).`,
    `self%: share of the samples with the function on top of the stack; total%: with it anywhere on the stack. "native" = a built-in (fetch, Response, ...).`,
    `full profile: ${relative(REPO, file)} (Chrome DevTools > Performance > Load profile, or speedscope.app); Bun's own summary: ${
      relative(REPO, join(WORK, `${PROFILE_NAME}.md`))
    } (its times weight samples by the gap to the next one, idle included; prefer the counts here)`,
    "",
    ...profileTable(s, 60),
    "",
  ].join("\n");
  writeFileSync(PROFILE_TXT, text);
  console.log(`${text.split("\n").slice(0, 10 + 16).join("\n")}\n...\nwrote ${relative(REPO, PROFILE_TXT)}`);
  if (a.report) {
    // The report keeps where the microseconds of a small GET go, next to the figures.
    const lines = text.split("\n");
    const section = [
      PROFILE_HEADING,
      "",
      "Written by `bench/get.ts --profile` (holdfast on Bun under the first load of the table above); the whole list is in",
      "`bench/work/get-profile.txt`. See [README.md](README.md#small-gets-getts) for how to read it.",
      "",
      "```",
      ...lines.slice(0, lines.indexOf("") + 1 + 2 + 30),
      "```",
    ].join("\n");
    writeSection(a.report, PROFILE_HEADING, section, "# Benchmarks");
    console.log(`wrote the "${PROFILE_HEADING}" section of ${a.report}`);
  }
  return 0;
}

async function main(): Promise<number> {
  const a = parseFlags(parseGetArgs);
  if (a === undefined) return 2;
  for (const tool of ["wrk", "curl", "/usr/sbin/nginx"]) {
    if (!Bun.which(tool)) throw new Error(`${tool} not found (apt-get install -y wrk nginx-light curl)`);
  }
  mkdirSync(WORK, { recursive: true });
  // Per run, so two runs never share nginx prefixes; kept after a failure for its logs.
  const dir = mkdtempSync(join(WORK, "get-"));
  workDir = dir;
  const sources = sourcesOf(a, dir);
  const code = a.profile ? await profile(a, sources[0], dir) : await bench(a, sources, dir);
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
  return code;
}

await runMain("bench/get.ts", main, () => stopAll(), {
  hint: () => (workDir ? `\n(logs and configs: ${relative(REPO, workDir)})` : ""),
});
