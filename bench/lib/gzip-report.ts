/** Turns bench/gzip.ts's measurements into its Markdown section of bench/REPORT.md. */
import type { Machine } from "./machine.ts";
import { median } from "./stats.ts";
import { wrkErrors } from "./get-report.ts";
import type { WrkResult } from "./wrk.ts";

/** The heading of the section bench/gzip.ts owns in REPORT.md. */
export const GZIP_HEADING = "## gzip";

/** One measured wrk run against one target. */
export interface GzipMeasurement {
  wrk: WrkResult;
  /** JSON compressed per second: requests/s × the JSON's size, MB (10^6 bytes) per second. */
  mbps: number;
  /** Proxy CPU (utime + stime) over the run per MB of JSON served, ms. */
  cpuMsPerMB: number;
  /** The stime part of it. */
  sysMsPerMB: number;
  /** holdfast: the part of {@link cpuMsPerMB} on its main (JavaScript) thread; undefined for nginx (single-threaded processes). */
  mainThreadMsPerMB?: number;
  /** Proxy CPU over the run's wall time, percent of one CPU (over 100: more than one thread at work). */
  cpuPercent: number;
  /** VmHWM summed over the proxy's processes after the run (reset just before it), bytes. */
  peakRss: number;
  /** MB/s divided by nginx's at the same level, in the same round and load. */
  ratio?: number;
  /** Whether a `bun test` was running when the run started or when it ended. */
  disturbed: boolean;
}

/** All runs of one target under one load. */
export interface GzipRow {
  name: string;
  level: number;
  /** nginx at this level: the others' MB/s are divided by its. */
  baseline: boolean;
  runs: GzipMeasurement[];
}

/** What the one curl through a target found. */
export interface BodyCheck {
  name: string;
  level: number;
  /** Compressed body, bytes. */
  bytes: number;
  /** How the compressed body was framed: `Transfer-Encoding: chunked` or a `Content-Length`. */
  framing: string;
  /** Median over every measured run of wrk's bytes read per completed request (heads and chunk framing included). */
  wrkBytesPerResponse: number;
}

/** Where and how the run happened. */
export interface GzipRunInfo {
  date: string;
  command: string;
  machine: Machine;
  deno: string;
  wrk: string;
  /** What holdfast was measured from. */
  revision: string;
  /** 1-minute load average before and after. */
  load: [string, string];
  runs: number;
  seconds: number;
  warmupSeconds: number;
  jsonBytes: number;
  jsonSha256: string;
  /** Whether VmHWM could be reset before each run. */
  peakReset: boolean;
  /**
   * Measured runs, how many of them a `bun test` was running next to (start or end), how many found one running
   * before they started, and the time spent waiting for it to end.
   */
  quiet: { runs: number; disturbed: number; waitedMs: number; waits: number };
}

const fixed = (x: number, d: number) => x.toFixed(d);

/** The table of one load: one line per target, medians of its runs. */
export function gzipTable(rows: GzipRow[]): string[] {
  const lines = [
    "| target | gzip level | req/s | JSON MB/s | ratio vs nginx (same level) | proxy CPU ms per MB | of which sys | of which main thread | proxy CPU % of one CPU | p50 ms | peak RSS MB | JSON MB/s per run | errors |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
  ];
  for (const r of rows) {
    const m = (f: (x: GzipMeasurement) => number) => median(r.runs.map(f));
    const ratios = r.runs.flatMap((x) => (x.ratio === undefined ? [] : [x.ratio]));
    const cpu = m((x) => x.cpuMsPerMB);
    const main = r.runs.flatMap((x) => (x.mainThreadMsPerMB === undefined ? [] : [x.mainThreadMsPerMB]));
    lines.push(
      `| ${r.name} | ${r.level} | ${fixed(m((x) => x.wrk.rps), 1)} | ${fixed(m((x) => x.mbps), 1)} | ${
        ratios.length ? fixed(median(ratios), 2) : "-"
      } | ${fixed(cpu, 2)} | ${cpu > 0 ? `${fixed((100 * m((x) => x.sysMsPerMB)) / cpu, 0)}%` : "-"} | ${
        main.length && cpu > 0 ? `${fixed((100 * median(main)) / cpu, 0)}%` : "-"
      } | ${fixed(m((x) => x.cpuPercent), 0)}% | ${fixed(m((x) => x.wrk.p50Ms), 1)} | ${
        fixed(Math.max(...r.runs.map((x) => x.peakRss)) / 1e6, 1)
      } | ${r.runs.map((x) => fixed(x.mbps, 0)).join(", ")} | ${wrkErrors(r.runs)} |`,
    );
  }
  return lines;
}

/** The table of what curl found once per target, and what wrk read per response under load. */
export function bodyTable(checks: BodyCheck[], jsonBytes: number): string[] {
  const lines = [
    "| target | gzip level | compressed bytes | % of the JSON | framing | gunzip = the JSON (SHA-256) | wrk bytes read per response (median) |",
    "| --- | ---: | ---: | ---: | --- | --- | ---: |",
  ];
  for (const c of checks) {
    lines.push(
      `| ${c.name} | ${c.level} | ${c.bytes} | ${fixed((100 * c.bytes) / jsonBytes, 1)}% | ${c.framing} | yes | ${
        fixed(c.wrkBytesPerResponse, 0)
      } |`,
    );
  }
  return lines;
}

/** The whole `## gzip` section. */
export function renderGzipSection(
  info: GzipRunInfo,
  results: { connections: number; rows: GzipRow[] }[],
  checks: BodyCheck[],
  notes: string[],
): string {
  const m = info.machine;
  const q = info.quiet;
  const out = [
    GZIP_HEADING,
    "",
    "Generated by `bench/gzip.ts`; see [README.md](README.md#gzip-gzipts) for the method. Do not edit by hand.",
    "",
    `- Date: ${info.date}`,
    `- Command: \`${info.command}\``,
    `- Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memGiB} GiB RAM, Linux ${m.kernel}`,
    `- holdfast: ${info.revision}`,
    `- Load average (1 min) before / after: ${info.load[0]} / ${info.load[1]}; ` +
    `${q.disturbed} of ${q.runs} measured runs had a \`bun test\` running at their start or end` +
    `${
      q.waits
        ? `; before ${q.waits} run${q.waits === 1 ? "" : "s"} one was running, and the script waited ${
          fixed(q.waitedMs / 1000, 0)
        } s in all for it`
        : ""
    }`,
    `- Runtimes and tools: bun ${m.bun}, ${info.deno}, ${m.nginx}, ${info.wrk}, ${m.curl}`,
    `- Body: ${info.jsonBytes} bytes of API-like JSON (\`bench/lib/api-json.ts\`, SHA-256 ${info.jsonSha256.slice(0, 16)}...), served ` +
    `by an nginx responder as a static file (Content-Length, not compressed). Every target compresses it with gzip at its row's level.`,
    `- nginx: \`gzip on; gzip_types application/json; gzip_comp_level N; gzip_proxied any; gzip_vary on;\`, **one worker**, as holdfast ` +
    `is one process; holdfast: \`--compress gzip --compress-level gzip=N\`.`,
    `- Client: \`wrk -t1 -cN -d${info.seconds}s --latency -H 'Accept-Encoding: gzip'\` (keep-alive), ${info.warmupSeconds} s warm-up ` +
    `before each measured run; ${info.runs} rounds, targets interleaved within each load; median shown (ratio: median of the per-round ` +
    `ratios of JSON MB/s to nginx's at the same level, same round and load).`,
    `- JSON MB/s = req/s × the JSON's size / 10^6. Proxy CPU: utime + stime of the proxy's processes (every thread; nginx: master + ` +
    `worker) over the measured run, per MB of JSON, and as a share of one CPU over the run's wall time; "of which main thread": ` +
    `holdfast's JavaScript thread (/proc/PID/task/PID/stat), the rest being its other threads (node:zlib's work runs on a thread ` +
    `pool where the runtime has one, so holdfast can use more than one CPU; nginx's one worker cannot). ` +
    `Peak RSS: VmHWM${info.peakReset ? ", reset before each measured run, largest of the runs" : " since start (it could not be reset)"}` +
    `; nginx: master + worker summed.`,
    "",
  ];
  for (const r of results) out.push(`### ${r.connections} connections`, "", ...gzipTable(r.rows), "");
  out.push(
    "### Compressed bodies",
    "",
    "One curl per target before the runs (`Accept-Encoding: gzip`): status 200, `Content-Encoding: gzip`, and the body gunzips to " +
      "exactly the JSON (SHA-256), or the benchmark stops. The last column, from wrk under load, shows every response was compressed.",
    "",
    ...bodyTable(checks, info.jsonBytes),
    "",
  );
  if (notes.length) out.push(...notes.map((n) => `- ${n}`), "");
  return out.join("\n");
}
