/** The `## Replay latency` section of bench/REPORT.md, written by bench/replay.ts. */
import type { Machine } from "./machine.ts";
import { median } from "./stats.ts";

/** The section's heading; bench/replay.ts replaces only this section. */
export const REPLAY_HEADING = "## Replay latency";

/** Caddy's `lb_try_interval` default (ms): how often Caddy retries a request while no upstream is available. */
export const CADDY_TRY_INTERVAL_MS = 250;

/** The target for the median delay (ms). */
export const TARGET_MEDIAN_MS = 100;

/** The delays of one holdfast build, ms from the peer's listen() to the held request's arrival. */
export interface ReplayRow {
  name: string;
  delaysMs: number[];
}

/** What the section states about the run. */
export interface ReplayRunInfo {
  machine: Machine;
  revision: string;
  /** 1-minute load average before and after. */
  load: [string, string];
  trials: number;
  probeIntervalMs: number;
  date: string;
}

const fixed = (n: number) => n.toFixed(0);

/** Renders the section: machine, method, one row per build, the Caddy reference and whether the target was met. */
export function renderReplaySection(info: ReplayRunInfo, rows: ReplayRow[], notes: string[]): string {
  const m = info.machine;
  const lines = [
    REPLAY_HEADING,
    "",
    `- Date: ${info.date}; holdfast ${info.revision}`,
    `- Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memGiB} GiB RAM, Linux ${m.kernel}; Bun ${m.bun}`,
    `- Load average (1 min) before / after: ${info.load[0]} / ${info.load[1]}`,
    "",
    `${info.trials} trials per build: a small GET is held (the peer's port is closed), then after 150-350 ms (random, so the peer's`,
    "start falls anywhere in the prober's cadence) a node:http peer in the benchmark's process starts listening on that port; the delay is",
    "from its listen callback to the held request's arrival at it, on the same clock (`performance.now()`). holdfast runs with its",
    `default \`--hold-probe-interval\` (${info.probeIntervalMs} ms). Reference: Caddy retries each held request every \`lb_try_interval\``,
    `(${CADDY_TRY_INTERVAL_MS} ms by default), so its delay is spread over 0-${CADDY_TRY_INTERVAL_MS} ms (median about ${
      CADDY_TRY_INTERVAL_MS / 2
    } ms, its worst case ${CADDY_TRY_INTERVAL_MS} ms); Caddy was not run. The ratios below compare with those two figures.`,
    "",
    `| holdfast | median (ms) | p90 (ms) | max (ms) | median / Caddy's ${
      CADDY_TRY_INTERVAL_MS / 2
    } ms | max / Caddy's ${CADDY_TRY_INTERVAL_MS} ms | median < ${TARGET_MEDIAN_MS} ms |`,
    "| -------- | ----------: | -------: | -------: | ---: | ---: | :---: |",
  ];
  for (const r of rows) {
    const s = [...r.delaysMs].sort((a, b) => a - b);
    const med = median(s);
    const p90 = s[Math.min(s.length - 1, Math.ceil(s.length * 0.9) - 1)];
    const max = s[s.length - 1];
    lines.push(
      `| ${r.name} | ${fixed(med)} | ${fixed(p90)} | ${fixed(max)} | ${(med / (CADDY_TRY_INTERVAL_MS / 2)).toFixed(2)} | ${
        (max / CADDY_TRY_INTERVAL_MS).toFixed(2)
      } | ${med < TARGET_MEDIAN_MS ? "yes" : "**no**"} |`,
    );
  }
  lines.push("", "Every delay, in trial order:", "");
  for (const r of rows) lines.push(`- ${r.name}: ${r.delaysMs.map(fixed).join(", ")}`);
  lines.push(
    "",
    "Before the prober (issue 8), each held request retried on its own backoff (50 ms doubling to 1 s): 90-860 ms, mean about 360 ms",
    "over 5 trials.",
  );
  if (notes.length) lines.push("", ...notes.map((n) => `- ${n}`));
  return lines.join("\n") + "\n";
}
