/**
 * gzip benchmark: a ~1 MiB JSON response (API-like, generated
 * deterministically once into bench/work/), served uncompressed with a
 * Content-Length by an nginx responder on 127.0.0.1, compressed on the way by
 * nginx as a reverse proxy (`gzip on`, one worker) and by holdfast (`--compress
 * gzip`, on Bun, on Deno and as the compiled binary), each at gzip levels 1
 * and 6. Loaded with wrk (`Accept-Encoding: gzip`, keep-alive, 4 and 16
 * connections), targets interleaved over several rounds. Reports per target
 * requests/s, MB/s of JSON compressed, the proxy's CPU per MB, the
 * compressed size (checked once with curl: it gunzips to the exact JSON),
 * peak RSS and the ratio to nginx at the same level, and merges a `## gzip`
 * section into bench/REPORT.md. See bench/README.md.
 *
 * Usage: `bun bench/gzip.ts --help`. Exit status 0 when every run succeeded,
 * 1 on a failure, 2 on bad flags, 130 after Ctrl-C (SIGINT or SIGTERM).
 */
/// <reference types="bun-types" />
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gunzipSync } from "node:zlib";
import { ensureApiJson, sha256Hex } from "./lib/api-json.ts";
import { cpuTimeOf, mainThreadCpuTime, resetPeakRss } from "./lib/cpu.ts";
import { proxyConf, staticConf } from "./lib/get-nginx.ts";
import { holdfastCommand, type Running, startHoldfast, startNginx, VARIANTS } from "./lib/get-targets.ts";
import { type GzipArgs, parseGzipArgs } from "./lib/gzip-args.ts";
import { type BodyCheck, GZIP_HEADING, type GzipMeasurement, type GzipRow, renderGzipSection } from "./lib/gzip-report.ts";
import { loadAvg, machine, revision } from "./lib/machine.ts";
import { parseFlags, runMain } from "./lib/main.ts";
import { REPORT_TITLE } from "./lib/report.ts";
import { type Started } from "./lib/proc.ts";
import { busyPids, waitUntilQuiet } from "./lib/quiet.ts";
import { vmField } from "./lib/rss.ts";
import { formatReport, writeSection } from "./lib/sections.ts";
import { REPO, workTree } from "./lib/source.ts";
import { median } from "./lib/stats.ts";
import { wrk, wrkVersion } from "./lib/wrk.ts";

import { Tracked } from "./lib/tracked.ts";
const WORK = join(REPO, "bench/work");
const ACCEPT_GZIP = "Accept-Encoding: gzip";

/** Every process started and not yet stopped, stopped by PID on the way out. */
const procs = new Tracked();
const { track, untrack } = procs;
const stopAll = (graceMs?: number) => procs.stopAll(graceMs);
/** This run's directory under bench/work/, named in the error message so its logs can be read. */
let workDir = "";

/** One thing wrk is pointed at: a proxy compressing at `level`. */
interface GzipTarget {
  name: string;
  level: number;
  /** nginx: the row holdfast's at the same level are divided by. */
  baseline: boolean;
  run: Running;
  /** nginx's prefix, whose error.log says whether responses went through a temp file. */
  nginxDir?: string;
}

/**
 * One curl with `Accept-Encoding: gzip` through `url` (with `--max-time`, and
 * tracked): status 200, `Content-Encoding: gzip`, and a body that gunzips to
 * exactly the JSON (SHA-256), or the figures would measure something else.
 * @returns the compressed size and how it was framed
 */
async function checkGzip(name: string, url: string, dir: string, sha256: string): Promise<{ bytes: number; framing: string }> {
  mkdirSync(dir, { recursive: true });
  const headFile = join(dir, "check.head"), bodyFile = join(dir, "check.body");
  const argv = ["curl", "-sS", "--max-time", "10", "-H", ACCEPT_GZIP, "-D", headFile, "-o", bodyFile, "-w", "%{http_code}", url];
  const proc = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const p: Started = { name: "curl", pid: proc.pid, proc };
  track(p);
  const [status, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  untrack(p);
  if (code !== 0 || status !== "200") {
    throw new Error(`${name} (${url}) answered ${JSON.stringify({ curl: code, status, err: err.trim() })}`);
  }
  const head = readFileSync(headFile, "utf8");
  if (!/^content-encoding:\s*gzip\s*$/im.test(head)) throw new Error(`${name} did not compress (no Content-Encoding: gzip):\n${head}`);
  const body = readFileSync(bodyFile);
  let plain: Uint8Array;
  try {
    plain = gunzipSync(body);
  } catch (e) {
    throw new Error(`${name}'s body (${body.byteLength} bytes) is not valid gzip: ${(e as Error).message}`);
  }
  if (sha256Hex(plain) !== sha256) throw new Error(`${name}'s body gunzips to ${plain.byteLength} bytes that are not the JSON`);
  const framing = /^transfer-encoding:\s*chunked\s*$/im.test(head)
    ? "chunked"
    : /^content-length:/im.test(head)
    ? "Content-Length"
    : "close-delimited";
  return { bytes: body.byteLength, framing };
}

/** The first line of `argv`'s output, or "" when it cannot run. */
function versionOf(argv: string[]): string {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  return r.stdout.toString().split("\n")[0].trim();
}

/** Newest modification time (ms) of the files under `dirs`; bounded by the trees' size. */
function newestMtime(dirs: string[]): number {
  let newest = 0;
  for (const d of dirs) {
    for (const f of readdirSync(d, { recursive: true, encoding: "utf8" })) {
      const s = statSync(join(d, f));
      if (s.isFile() && s.mtimeMs > newest) newest = s.mtimeMs;
    }
  }
  return newest;
}

/** How many times nginx's error log (level warn) says a response was buffered to a temporary file. */
function tempFileWarnings(dir: string): number {
  try {
    return readFileSync(join(dir, "error.log"), "utf8").split("\n").filter((l) => l.includes("buffered to a temporary file")).length;
  } catch {
    return 0;
  }
}

/** Starts nginx and holdfast at each level (in the order a round runs them), each checked with curl. */
async function startTargets(a: GzipArgs, dir: string, responderPort: number, path: string, sha256: string) {
  const source = workTree();
  const targets: GzipTarget[] = [];
  const checks: { bytes: number; framing: string }[] = [];
  for (const level of a.levels) {
    const nginxDir = join(dir, `nginx-gzip${level}`);
    const run = await startNginx("nginx-proxy", nginxDir, track, (b) =>
      proxyConf({
        ...b,
        errorLogLevel: "warn",
        upstreamPort: responderPort,
        location: ["gzip on;", "gzip_types application/json;", `gzip_comp_level ${level};`, "gzip_proxied any;", "gzip_vary on;"],
      }));
    targets.push({ name: "nginx", level, baseline: true, run: { ...run, url: run.url + path }, nginxDir });
    for (const v of VARIANTS.filter((x) => a.variants.includes(x))) {
      const cmd = holdfastCommand(source, v);
      if (!cmd) continue;
      const name = `holdfast ${v === "binary" ? "binary" : `on ${v === "bun" ? "Bun" : "Deno"}`}`;
      const env = { dir: join(dir, `${v}-gzip${level}`), responderPort, track };
      mkdirSync(env.dir, { recursive: true });
      const r = await startHoldfast(`holdfast-${v}`, cmd, source.root, env, ["--compress", "gzip", "--compress-level", `gzip=${level}`]);
      targets.push({ name, level, baseline: false, run: { ...r, url: r.url + path } });
    }
  }
  for (const t of targets) {
    const c = await checkGzip(`${t.name}, gzip ${t.level}`, t.run.url, join(dir, "checks", `${targets.indexOf(t)}`), sha256);
    console.log(`${t.name}, gzip ${t.level}: ${c.bytes} bytes (${c.framing}), gunzips to the JSON`);
    checks.push(c);
  }
  return { targets, checks, source };
}

/** Counts of the waits for a `bun test` to end, and of runs that had one next to them. */
const quiet = { runs: 0, disturbed: 0, waitedMs: 0, waits: 0 };

/** Waits for the machine to be free of `bun test`, warms up, then one measured wrk run against `t`. */
async function measure(a: GzipArgs, t: GzipTarget, connections: number, jsonBytes: number): Promise<GzipMeasurement> {
  const w = await waitUntilQuiet(a.waitIdleMs);
  if (w.found) {
    quiet.waits++;
    quiet.waitedMs += w.waitedMs;
  }
  const opts = { url: t.run.url, connections, headers: [ACCEPT_GZIP], track, untrack };
  if (a.warmupSeconds > 0) await wrk({ ...opts, seconds: a.warmupSeconds });
  const busyAtStart = busyPids().length > 0;
  resetPeakRss(t.run.pids);
  // holdfast is one process: its main (JavaScript) thread apart from the others (zlib's work, GC helpers).
  const mainBefore = t.baseline ? undefined : mainThreadCpuTime(t.run.pids[0]);
  const before = cpuTimeOf(t.run.pids);
  const t0 = performance.now();
  const result = await wrk({ ...opts, seconds: a.seconds });
  const wallMs = performance.now() - t0;
  const after = cpuTimeOf(t.run.pids);
  const mainAfter = t.baseline ? undefined : mainThreadCpuTime(t.run.pids[0]);
  const disturbed = busyAtStart || busyPids().length > 0;
  quiet.runs++;
  if (disturbed) quiet.disturbed++;
  const mb = (Math.max(1, result.requests) * jsonBytes) / 1e6;
  const cpuMs = (after.userUs + after.systemUs - before.userUs - before.systemUs) / 1000;
  return {
    wrk: result,
    mbps: (result.rps * jsonBytes) / 1e6,
    cpuMsPerMB: cpuMs / mb,
    sysMsPerMB: (after.systemUs - before.systemUs) / 1000 / mb,
    cpuPercent: (100 * cpuMs) / wallMs,
    mainThreadMsPerMB: mainBefore && mainAfter
      ? (mainAfter.userUs + mainAfter.systemUs - mainBefore.userUs - mainBefore.systemUs) / 1000 / mb
      : undefined,
    peakRss: t.run.pids.reduce((s, p) => s + vmField(p, "VmHWM"), 0),
    disturbed,
  };
}

async function bench(a: GzipArgs, dir: string): Promise<number> {
  const loadBefore = loadAvg();
  const file = `gzip-api-${a.jsonBytes}.json`;
  const json = ensureApiJson(join(WORK, file), a.jsonBytes);
  const jsonBytes = json.data.byteLength;
  console.log(`JSON: bench/work/${file}, ${jsonBytes} bytes, SHA-256 ${json.sha256}`);
  const responder = await startNginx("responder", join(dir, "responder"), track, (b) => staticConf({ ...b, root: WORK }));
  const { targets, checks: firstChecks, source } = await startTargets(a, dir, responder.port, file, json.sha256);
  const peakReset = resetPeakRss(targets.flatMap((t) => t.run.pids));
  const perRun = a.warmupSeconds + a.seconds;
  console.log(
    `${targets.length} targets x ${a.connections.length} loads x ${a.runs} runs x (${a.warmupSeconds} s warm-up + ${a.seconds} s): about ${
      Math.ceil((targets.length * a.connections.length * a.runs * perRun) / 60)
    } min, plus any wait for a \`bun test\` to end`,
  );
  const rows: GzipRow[][] = a.connections.map(() => targets.map((t) => ({ name: t.name, level: t.level, baseline: t.baseline, runs: [] })));
  for (let round = 0; round < a.runs; round++) {
    for (const [li, connections] of a.connections.entries()) {
      // Targets back to back within one load and round, so drift on the machine hits all of them alike.
      for (const [ti, t] of targets.entries()) {
        const m = await measure(a, t, connections, jsonBytes);
        rows[li][ti].runs.push(m);
        const errs = m.wrk.non2xx + Object.values(m.wrk.socket).reduce((x, y) => x + y, 0);
        console.log(
          `run ${round + 1}/${a.runs}, ${connections} connections, ${t.name}, gzip ${t.level}: ${m.wrk.rps.toFixed(1)} req/s, ${
            m.mbps.toFixed(1)
          } MB/s of JSON, ${m.cpuMsPerMB.toFixed(2)} ms CPU/MB (${m.cpuPercent.toFixed(0)}% of a CPU), peak RSS ${
            (m.peakRss / 1e6).toFixed(1)
          } MB${errs ? `, ${errs} errors` : ""}${m.disturbed ? " (a bun test was running)" : ""}`,
        );
      }
      for (const r of rows[li]) {
        const base = rows[li].find((x) => x.baseline && x.level === r.level)?.runs[round];
        r.runs[round].ratio = base && base.mbps > 0 ? r.runs[round].mbps / base.mbps : undefined;
      }
    }
  }
  const checks: BodyCheck[] = targets.map((t, ti) => ({
    name: t.name,
    level: t.level,
    ...firstChecks[ti],
    wrkBytesPerResponse: median(rows.flatMap((r) => r[ti].runs.map((m) => m.wrk.bytesRead / Math.max(1, m.wrk.requests)))),
  }));
  const loadAfter = loadAvg();
  const tempFiles = targets.map((t) => (t.nginxDir ? tempFileWarnings(t.nginxDir) : 0));
  await stopAll();

  for (const c of checks) {
    // wrk's count has three digits and includes responses cut off at the end: a loose bound, but an uncompressed body is far above it.
    if (c.wrkBytesPerResponse > (c.bytes + jsonBytes) / 2) {
      throw new Error(
        `${c.name}, gzip ${c.level}: wrk read ${c.wrkBytesPerResponse.toFixed(0)} bytes per response: not compressed under load`,
      );
    }
  }
  const notes: string[] = [];
  for (const [ti, n] of tempFiles.entries()) {
    if (n > 0) notes.push(`${targets[ti].name}, gzip ${targets[ti].level}: nginx buffered ${n} upstream responses to a temporary file.`);
  }
  if (a.variants.includes("binary")) {
    if (!source.binary) {
      notes.push("dist/holdfast-linux-x64 was not built (`bun build.ts x64`), so the compiled binary was not measured.");
    } else if (statSync(source.binary).mtimeMs < newestMtime([join(REPO, "src"), join(REPO, "runtime")])) {
      notes.push(
        "dist/holdfast-linux-x64 is older than the newest file in src/ or runtime/: its rows may measure older code (rebuild with `bun build.ts x64`).",
      );
    }
  }
  const info = {
    date: new Date().toISOString(),
    command: ["bun", "bench/gzip.ts", ...process.argv.slice(2)].join(" "),
    machine: machine(),
    deno: versionOf([join(REPO, "node_modules/.bin/deno"), "--version"]).split(" ").slice(0, 2).join(" "),
    wrk: wrkVersion(),
    revision: `work tree at ${revision()}`,
    load: [loadBefore, loadAfter] as [string, string],
    runs: a.runs,
    seconds: a.seconds,
    warmupSeconds: a.warmupSeconds,
    jsonBytes,
    jsonSha256: json.sha256,
    peakReset,
    quiet,
  };
  const section = renderGzipSection(info, a.connections.map((connections, i) => ({ connections, rows: rows[i] })), checks, notes);
  console.log(`\n${section}`);
  if (a.report) {
    writeSection(a.report, GZIP_HEADING, section, REPORT_TITLE);
    formatReport(a.report);
    console.log(`wrote the "${GZIP_HEADING}" section of ${a.report}`);
  }
  return 0;
}

async function main(): Promise<number> {
  const a = parseFlags(parseGzipArgs);
  if (a === undefined) return 2;
  for (const tool of ["wrk", "curl", "pgrep", "/usr/sbin/nginx"]) {
    if (!Bun.which(tool)) throw new Error(`${tool} not found (apt-get install -y wrk nginx-light curl procps)`);
  }
  mkdirSync(WORK, { recursive: true });
  // Per run, so two runs never share nginx prefixes; kept after a failure for its logs.
  const dir = mkdtempSync(join(WORK, "gzip-run-"));
  workDir = dir;
  const code = await bench(a, dir);
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
  return code;
}

// After Ctrl-C: no error for the wrk the clean-up stopped, and status 130.
await runMain("bench/gzip.ts", main, () => stopAll(), {
  hint: () => (workDir ? `\n(logs and configs: ${relative(REPO, workDir)})` : ""),
  quietOnSignal: true,
});
