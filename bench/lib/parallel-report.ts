/** Turns the parallel case of bench/upload.ts into its `## Parallel uploads` section of bench/REPORT.md. */
import { formatBytes } from "../../src/config/units.ts";
import type { ClientKind } from "./args.ts";
import { runHeader, type RunInfo } from "./report.ts";
import { median } from "./stats.ts";

/** The heading of the section of REPORT.md the parallel case owns. */
export const PARALLEL_HEADING = "## Parallel uploads";

/** The parallel case's targets for holdfast. */
export const PARALLEL_RSS_TARGET_BYTES = 64e6;
export const PARALLEL_RATIO_TARGET = 1.0;

/** One measured round of one path. */
export interface ParallelRun {
  /** First request start to last response, seconds. */
  seconds: number;
  /** Aggregate throughput: all bodies' bytes / seconds, MB/s. */
  mbps: number;
  /** The slowest single upload of the round, seconds. */
  slowest: number;
  /** The proxy's CPU time (user + system, every process and thread) over the round, seconds. */
  cpuSeconds: number;
  /** The client's CPU time over the round, seconds (see ParallelResult in parallel.ts). */
  clientCpuSeconds: number;
  /** mbps / nginx's mbps in the same round (set once the round is complete). */
  ratio?: number;
}

/** One path's measurements at one body size. */
export interface ParallelRow {
  name: string;
  proxy: boolean;
  /** The nginx row the ratios are taken against. */
  baseline: boolean;
  runs: ParallelRun[];
  /** Peak RSS over the process's whole life (start-up, the hashing warm-up, the measured rounds): VmHWM, bytes. */
  hwmLife: number;
  /** Peak RSS over the measured rounds only (VmHWM reset after the warm-up), bytes; 0 when the reset was refused. */
  hwmRuns: number;
  rssNote: string;
}

/** Everything measured for one body size. */
export interface ParallelSizeResult {
  count: number;
  size: number;
  rows: ParallelRow[];
}

/** What the section's header states beyond {@link RunInfo}. */
export interface ParallelInfo extends RunInfo {
  client: ClientKind;
}

const mb = (b: number) => (b / 1e6).toFixed(1);
const med = (xs: number[]) => (xs.length ? median(xs) : NaN);

/** Median of a row's per-round ratios to nginx. */
export function rowRatio(x: ParallelRow): number {
  return med(x.runs.flatMap((r) => (r.ratio === undefined ? [] : [r.ratio])));
}

function table(r: ParallelSizeResult): string[] {
  const gib = (r.count * r.size) / 1024 ** 3;
  const lines = [
    "| path | MB/s (median) | MB/s per run | ratio vs nginx | slowest upload, s | proxy CPU s per GiB | client CPU s per GiB | peak RSS MB (whole life) | peak RSS MB (measured runs) |",
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const x of r.rows) {
    const ratio = rowRatio(x);
    lines.push(
      `| ${x.name} | ${med(x.runs.map((u) => u.mbps)).toFixed(0)} | ${x.runs.map((u) => u.mbps.toFixed(0)).join(", ")} | ${
        Number.isNaN(ratio) ? "-" : ratio.toFixed(2)
      } | ${med(x.runs.map((u) => u.slowest)).toFixed(2)} | ${x.proxy ? (med(x.runs.map((u) => u.cpuSeconds)) / gib).toFixed(2) : "-"} | ${
        (med(x.runs.map((u) => u.clientCpuSeconds)) / gib).toFixed(2)
      } | ${x.proxy ? mb(x.hwmLife) : "-"} | ${x.proxy && x.hwmRuns ? mb(x.hwmRuns) : "-"} |`,
    );
  }
  return lines;
}

/** Lines saying whether each holdfast row met the parallel case's targets, and how flat its peak RSS was across sizes. */
export function parallelVerdicts(results: ParallelSizeResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    const nginx = r.rows.find((x) => x.baseline);
    for (const x of r.rows.filter((x) => x.name.startsWith("holdfast"))) {
      const ratio = rowRatio(x);
      const fast = ratio >= PARALLEL_RATIO_TARGET;
      const small = x.hwmLife <= PARALLEL_RSS_TARGET_BYTES;
      out.push(
        `- ${r.count} × ${formatBytes(r.size)}, ${x.name}: ${med(x.runs.map((u) => u.mbps)).toFixed(0)} MB/s, ${
          Number.isNaN(ratio) ? "no nginx row" : `${ratio.toFixed(2)} × nginx`
        }${nginx ? ` (${med(nginx.runs.map((u) => u.mbps)).toFixed(0)} MB/s)` : ""}: **${fast ? "met" : "not met"}**; peak RSS ${
          mb(x.hwmLife)
        } MB (target <= 64): **${small ? "met" : "not met"}**`,
      );
    }
  }
  if (results.length > 1) {
    const names = [...new Set(results.flatMap((r) => r.rows.filter((x) => x.name.startsWith("holdfast")).map((x) => x.name)))];
    for (const name of names) {
      const peaks = results.flatMap((r) => r.rows.filter((x) => x.name === name).map((x) => `${mb(x.hwmLife)} at ${formatBytes(r.size)}`));
      out.push(`- peak RSS by body size, ${name}: ${peaks.join(", ")}`);
    }
  }
  return out;
}

/** The `## Parallel uploads` section as Markdown. */
export function renderParallelSection(info: ParallelInfo, results: ParallelSizeResult[], notes: string[]): string {
  const client = info.client === "socket"
    ? "Bun sockets in the benchmark's process (`--client socket`), the body written to every socket from one copy in memory"
    : "one `curl -T` process per upload (`--client curl`)";
  const out = [
    PARALLEL_HEADING,
    "",
    "Many uploads at once, all started together (`proxy_request_buffering on` for nginx, spooling for holdfast), straight to the sink and",
    "through each proxy in turn.",
    "",
    ...runHeader(info),
    `- Client: ${client}`,
    `- Runs: ${info.runs} measured round(s) per path and size, after ${info.warmup} warm-up round(s) in which the sink checks each body's SHA-256; paths take turns within a round`,
    "- MB = 10^6 bytes. Aggregate throughput = all bodies' bytes / wall time from the first request's start to the last response's end.",
    "- ratio vs nginx: median over the rounds of the path's MB/s divided by nginx's in the same round.",
    "- slowest upload: median over the rounds of the longest single upload. Proxy CPU: user + system time of the proxy's processes over a",
    "  round, per GiB of bodies (10 ms resolution). Client CPU: the same for the client (the curl processes, or the benchmark's own process",
    "  with the socket client): when proxy, client and sink together want more than the machine's CPUs, the client slows every path.",
    "- Peak RSS: VmHWM of the proxy's processes (nginx: master + worker), over its whole life (start-up, warm-up with the hashing sink,",
    "  measured rounds) and over the measured rounds alone (reset after the warm-up with `/proc/PID/clear_refs`).",
    "",
  ];
  for (const r of results) {
    out.push(`### ${r.count} × ${formatBytes(r.size)} (${formatBytes(r.count * r.size)} per round)`, "", ...table(r), "");
  }
  out.push(
    "### Targets (parallel uploads)",
    "",
    `- holdfast aggregate throughput >= ${PARALLEL_RATIO_TARGET.toFixed(1)} × nginx's in the same run`,
    "- holdfast peak RSS (whole life) <= 64 MB, flat in body size",
    "",
    ...parallelVerdicts(results),
    "",
  );
  if (notes.length) out.push("### Notes (parallel uploads)", "", ...notes.map((n) => `- ${n}`), "");
  return out.join("\n");
}
