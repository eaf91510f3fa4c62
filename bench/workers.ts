/**
 * Workers benchmark: keep-alive GETs of a 2-byte response with wrk, through
 * nginx with `worker_processes 1` and `2` and through holdfast with
 * `--workers 1` and `2` (Bun, Deno, the compiled binary), each in front of the
 * same nginx responder as bench/get.ts. Reports requests/s, p50/p99, the
 * ratio against nginx with the same number of workers, CPU per request and
 * peak RSS summed over every process of the proxy (nginx's master and
 * workers; holdfast's primary and workers), median of interleaved runs, and
 * writes a `## Workers` section into bench/REPORT.md.
 *
 * Usage: `bun bench/workers.ts [--runs 3] [--seconds 8] [--warmup 2]
 * [--connections 50,200] [--variants bun,deno,binary] [--quick] [--no-report]`.
 * Exit status 0 when every run succeeded, 1 on a failure, 2 on bad flags.
 */
/// <reference types="bun-types" />
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cpuTimeOf, resetPeakRss } from "./lib/cpu.ts";
import { type GetNginxBase, proxyConf } from "./lib/get-nginx.ts";
import { holdfastCommand, type Running, startHoldfast, startNginx, startResponder, type Variant, VARIANTS } from "./lib/get-targets.ts";
import { loadAvg, machine, revision } from "./lib/machine.ts";
import { runMain } from "./lib/main.ts";
import { childPids } from "./lib/proc.ts";
import { vmField } from "./lib/rss.ts";
import { formatReport, writeSection } from "./lib/sections.ts";
import { REPO, workTree } from "./lib/source.ts";
import { Tracked } from "./lib/tracked.ts";
import { wrk, type WrkResult } from "./lib/wrk.ts";

const HEADING = "## Workers";
const procs = new Tracked();
const { track, untrack } = procs;

/** One proxy at one worker count. */
interface Cell {
  name: string;
  workers: number;
  nginx: boolean;
  start(dir: string, responderPort: number): Promise<Running>;
}

/** One measured run of a cell. */
interface Run {
  wrk: WrkResult;
  cpuUsPerReq: number;
  peakRss: number;
  ratio?: number;
}

/** The pids of `root` and its children, once `want` children exist (bounded: 5 s). */
async function withChildren(root: number, want: number): Promise<number[]> {
  let kids: number[] = [];
  for (let i = 0; i < 250 && kids.length < want; i++) {
    kids = childPids(root);
    if (kids.length < want) await Bun.sleep(20);
  }
  if (kids.length < want) throw new Error(`pid ${root}: ${kids.length} of ${want} worker processes after 5 s`);
  return [root, ...kids];
}

function cells(variants: Variant[], counts: number[]): Cell[] {
  const wt = workTree();
  const list: Cell[] = [];
  for (const n of counts) {
    list.push({
      name: `nginx, ${n} worker${n > 1 ? "s" : ""}`,
      workers: n,
      nginx: true,
      start: async (dir, responderPort) => {
        const conf = (b: GetNginxBase) =>
          proxyConf({ ...b, upstreamPort: responderPort }).replace("worker_processes 1;", `worker_processes ${n};`);
        const run = await startNginx(`nginx-${n}`, dir, track, conf);
        return { ...run, pids: await withChildren(run.pids[0], n) };
      },
    });
    for (const v of VARIANTS.filter((x) => variants.includes(x))) {
      const cmd = holdfastCommand(wt, v);
      if (!cmd) continue;
      const label = v === "binary" ? "holdfast binary" : `holdfast on ${v === "bun" ? "Bun" : "Deno"}`;
      list.push({
        name: `${label}, --workers ${n}`,
        workers: n,
        nginx: false,
        start: async (dir, responderPort) => {
          mkdirSync(dir, { recursive: true });
          const env = { dir, responderPort, track };
          const run = await startHoldfast(`holdfast-${v}-${n}`, cmd, wt.root, env, ["--workers", String(n)]);
          // With one worker the process itself serves; above one, its children do (the primary only watches).
          const pids = n > 1 ? await withChildren(run.pids[0], n) : run.pids;
          if (n > 1) await Bun.sleep(500);
          return { ...run, pids };
        },
      });
    }
  }
  return list;
}

async function measure(run: Running, connections: number, seconds: number, warmup: number): Promise<Run> {
  const opts = { url: run.url, connections, headers: [], track, untrack };
  if (warmup > 0) await wrk({ ...opts, seconds: warmup });
  resetPeakRss(run.pids);
  const before = cpuTimeOf(run.pids);
  const result = await wrk({ ...opts, seconds });
  const after = cpuTimeOf(run.pids);
  const requests = Math.max(1, result.requests);
  return {
    wrk: result,
    cpuUsPerReq: (after.userUs + after.systemUs - before.userUs - before.systemUs) / requests,
    peakRss: run.pids.reduce((s, p) => s + vmField(p, "VmHWM"), 0),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function render(info: Record<string, string>, loads: { connections: number; rows: { cell: Cell; runs: Run[] }[] }[]): string {
  const out = [
    HEADING,
    "",
    "Written by `bun bench/workers.ts`; do not edit by hand. Keep-alive GETs of a 2-byte response (wrk, one thread) through each proxy",
    "in front of one nginx responder (1 worker). Ratios are against nginx with the same number of workers in the same round; CPU and",
    "peak RSS are summed over every process of the proxy (nginx's master and workers, holdfast's primary and workers). Medians of the runs.",
    "",
    ...Object.entries(info).map(([k, v]) => `- ${k}: ${v}`),
    "",
  ];
  for (const { connections, rows } of loads) {
    out.push(`### ${connections} connections`, "");
    out.push("| proxy | req/s | ratio vs nginx, same workers | p50 ms | p99 ms | CPU µs/req | peak RSS MB | req/s per run | errors |");
    out.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
    for (const { cell, runs } of rows) {
      const errs = runs.reduce((n, r) => n + r.wrk.non2xx + Object.values(r.wrk.socket).reduce((x, y) => x + y, 0), 0);
      out.push(
        `| ${cell.name} | ${median(runs.map((r) => r.wrk.rps)).toFixed(0)} | ${median(runs.map((r) => r.ratio ?? 0)).toFixed(2)} | ${
          median(runs.map((r) => r.wrk.p50Ms)).toFixed(2)
        } | ${median(runs.map((r) => r.wrk.p99Ms)).toFixed(2)} | ${median(runs.map((r) => r.cpuUsPerReq)).toFixed(1)} | ${
          (median(runs.map((r) => r.peakRss)) / 1e6).toFixed(1)
        } | ${runs.map((r) => r.wrk.rps.toFixed(0)).join(", ")} | ${errs || "none"} |`,
      );
    }
    out.push("");
  }
  return out.join("\n");
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "3" },
      seconds: { type: "string", default: "8" },
      warmup: { type: "string", default: "2" },
      connections: { type: "string", default: "50,200" },
      variants: { type: "string", default: "bun,deno,binary" },
      quick: { type: "boolean", default: false },
      "no-report": { type: "boolean", default: false },
    },
  });
  const num = (flag: string, v: string) => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`--${flag} "${v}": expected a whole number of at least 1`);
    return Number(v);
  };
  const runs = values.quick ? 1 : num("runs", values.runs);
  const seconds = values.quick ? 2 : num("seconds", values.seconds);
  const warmup = values.quick ? 1 : Number(values.warmup);
  const connections = values.connections.split(",").map((c) => num("connections", c));
  const variants = values.variants.split(",") as Variant[];
  for (const v of variants) if (!VARIANTS.includes(v)) throw new Error(`--variants: "${v}" is not one of ${VARIANTS.join(", ")}`);
  const work = join(REPO, "bench/work");
  mkdirSync(work, { recursive: true });
  const dir = mkdtempSync(join(work, "workers-"));
  const loadBefore = loadAvg();
  const responder = await startResponder(join(dir, "responder"), track);
  const list = cells(variants, [1, 2]);
  const running: Running[] = [];
  for (const [i, c] of list.entries()) running.push(await c.start(join(dir, `cell-${i}`), responder.port));
  const results = connections.map((c) => ({ connections: c, rows: list.map((cell) => ({ cell, runs: [] as Run[] })) }));
  console.log(`${list.length} proxies x ${connections.length} loads x ${runs} runs x (${warmup} + ${seconds} s)`);
  for (let round = 0; round < runs; round++) {
    for (const load of results) {
      for (const [i, row] of load.rows.entries()) {
        const m = await measure(running[i], load.connections, seconds, warmup);
        row.runs.push(m);
        console.log(
          `run ${round + 1}/${runs}, ${load.connections} conns, ${row.cell.name}: ${m.wrk.rps.toFixed(0)} req/s, ${
            m.cpuUsPerReq.toFixed(1)
          } µs CPU/req`,
        );
      }
      for (const row of load.rows) {
        const base = load.rows.find((r) => r.cell.nginx && r.cell.workers === row.cell.workers)!.runs[round];
        row.runs[round].ratio = row.runs[round].wrk.rps / base.wrk.rps;
      }
    }
  }
  await procs.stopAll();
  const m = machine();
  const section = render({
    Date: new Date().toISOString().slice(0, 10),
    holdfast: revision(),
    Machine: `${m.nproc} CPUs (${m.cpu}), Linux ${m.kernel}; Bun ${Bun.version}`,
    "Load average (1 min) before / after": `${loadBefore} / ${loadAvg()}`,
    Runs: `${runs} x ${seconds} s after a ${warmup} s warm-up per cell`,
    "On 2 CPUs": "2 proxy workers, wrk and the responder share 2 CPUs, so a second worker adds little here on either proxy; " +
      "the ratio against nginx with the same worker count is the figure to read",
  }, results);
  console.log(`\n${section}`);
  if (!values["no-report"]) {
    const report = join(REPO, "bench/REPORT.md");
    writeSection(report, HEADING, section, "# Benchmarks");
    formatReport(report);
    console.log(`wrote the "${HEADING}" section of bench/REPORT.md`);
  }
  rmSync(dir, { recursive: true, force: true });
  return 0;
}

await runMain("bench/workers.ts", main, () => procs.stopAll());
