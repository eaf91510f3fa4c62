/** Command-line flags of bench/gzip.ts. */
import { resolve } from "node:path";
import { parseDuration, parseSize } from "../../src/config/units.ts";
import { type Variant, VARIANTS } from "./get-targets.ts";

/** Parsed flags. */
export interface GzipArgs {
  /** Measured rounds; the median is reported. */
  runs: number;
  /** wrk's `-d` of a measured run, whole seconds. */
  seconds: number;
  /** Unmeasured wrk run before each measured one, whole seconds (0: none). */
  warmupSeconds: number;
  /** wrk `-c` values, one table each. */
  connections: number[];
  /** gzip levels (nginx `gzip_comp_level`, holdfast `--compress-level gzip=N`), one nginx and one holdfast per build each. */
  levels: number[];
  /** Which holdfast builds to run. */
  variants: Variant[];
  /** About how large the JSON document is, bytes (whole records, so a little more). */
  jsonBytes: number;
  /** Longest wait for a `bun test` to finish before each measured run, ms (0: do not wait). */
  waitIdleMs: number;
  /** Markdown report to merge the section into; "" for none. */
  report: string;
}

/** The usage text printed with a flag error. */
export const GZIP_USAGE = `Usage: bun bench/gzip.ts [--runs 3] [--duration 5s] [--warmup 1s] [--connections 4,16] [--levels 1,6]
                        [--holdfast bun,deno,binary] [--size 1m] [--wait-idle 15m] [--report bench/REPORT.md | --no-report]`;

function seconds(flag: string, text: string, min: number, bad: (why: string) => never): number {
  const ms = parseDuration(text);
  // wrk's -d takes whole seconds; the cap bounds the whole run.
  if (ms === undefined || ms % 1000 !== 0 || ms / 1000 < min || ms / 1000 > 600) {
    bad(`${flag} must be whole seconds from ${min}s to 600s, like 5s`);
  }
  return ms! / 1000;
}

function list(text: string, what: string, min: number, max: number, bad: (why: string) => never): number[] {
  const xs = text.split(",").map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < min || n > max) bad(`Bad ${what} "${s}" (${min} to ${max})`);
    return n;
  });
  return [...new Set(xs)];
}

/**
 * Parses `argv` (after the script name).
 * @throws with {@link GZIP_USAGE} on an unknown flag or a bad value (the usage alone for `--help`)
 */
export function parseGzipArgs(argv: string[]): GzipArgs {
  const a: GzipArgs = {
    runs: 3,
    // 8 targets x 2 loads x 3 runs x (1 + 5) s = 4.8 min of wrk: the default run stays under 6 minutes.
    seconds: 5,
    warmupSeconds: 1,
    connections: [4, 16],
    levels: [1, 6],
    variants: [...VARIANTS],
    jsonBytes: 1024 * 1024,
    waitIdleMs: 15 * 60_000,
    report: resolve(import.meta.dir, "../REPORT.md"),
  };
  const bad = (why: string): never => {
    throw new Error(`${why}\n${GZIP_USAGE}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    const value = () => argv[++i] ?? bad(`${f} needs a value`);
    if (f === "--runs") {
      const n = Number(value());
      // Bounded: every loop of the benchmark has a fixed count.
      if (!Number.isInteger(n) || n < 1 || n > 50) bad("--runs must be a whole number from 1 to 50");
      a.runs = n;
    } else if (f === "--duration") a.seconds = seconds(f, value(), 1, bad);
    else if (f === "--warmup") a.warmupSeconds = seconds(f, value(), 0, bad);
    else if (f === "--connections") a.connections = list(value(), "connection count", 1, 1000, bad);
    else if (f === "--levels") a.levels = list(value(), "gzip level", 1, 9, bad);
    else if (f === "--holdfast") {
      a.variants = value().split(",").map((s) =>
        VARIANTS.includes(s as Variant) ? s as Variant : bad(`Unknown holdfast build "${s}" (${VARIANTS.join(", ")})`)
      );
    } else if (f === "--size") {
      const n = parseSize(value());
      if (n === undefined || n < 1024 || n > 256 * 1024 * 1024) bad("--size must be from 1k to 256m, like 1m");
      a.jsonBytes = n!;
    } else if (f === "--wait-idle") {
      const ms = parseDuration(value());
      if (ms === undefined || ms > 60 * 60_000) bad("--wait-idle must be a duration up to 1h, like 15m, or 0");
      a.waitIdleMs = ms!;
    } else if (f === "--report") a.report = value();
    else if (f === "--no-report") a.report = "";
    else bad(f === "--help" || f === "-h" ? "" : `Unknown flag ${f}`);
  }
  return a;
}
