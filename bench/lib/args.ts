/** Command-line flags of bench/upload.ts. */
/// <reference types="bun-types" />
import { resolve } from "node:path";
import { parseSize } from "../../src/config/units.ts";

/** Parsed flags. */
export interface BenchArgs {
  /** Body sizes in bytes; one table each, with fresh processes. */
  sizes: number[];
  /** Measured uploads per path and size. */
  runs: number;
  /** Unmeasured uploads per path first (the first tmpfs fill is slower). */
  warmup: number;
  /** Markdown report to write; "" for none. */
  report: string;
  /** Also run holdfast on Deno. */
  deno: boolean;
  /**
   * What holdfast to measure instead of the work tree, in order: `rev:REV`
   * (a git revision, exported) or `dir:DIR` (a copy). Several give an
   * interleaved A/B comparison.
   */
  sources: string[];
  /** Also run holdfast as `bun --smol src/main.ts` (Bun's smaller-heap mode). */
  smol: boolean;
  /** Leave the body file in /dev/shm for the next run. */
  keepBody: boolean;
}

/** The usage line printed with a flag error. */
export const USAGE = `Usage: bun bench/upload.ts [--size 1g[,4g...]] [--runs 3] [--warmup 1]
                          [--report bench/REPORT.md | --no-report] [--deno] [--smol] [--keep-body] [--rev GIT-REV]... [--root DIR]...`;

/**
 * Parses `argv` (after the script name).
 * @throws with {@link USAGE} on an unknown flag or a bad value
 */
export function parseBenchArgs(argv: string[]): BenchArgs {
  const a: BenchArgs = {
    sizes: [1024 ** 3],
    runs: 3,
    warmup: 1,
    report: resolve(import.meta.dir, "../REPORT.md"),
    deno: false,
    smol: false,
    keepBody: false,
    sources: [],
  };
  const bad = (why: string): never => {
    throw new Error(`${why}\n${USAGE}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    const value = () => argv[++i] ?? bad(`${f} needs a value`);
    if (f === "--size") {
      a.sizes = value().split(",").map((s) => parseSize(s) ?? bad(`Bad size "${s}"`));
    } else if (f === "--runs" || f === "--warmup") {
      const n = Number(value());
      // Bounded: every loop of the benchmark has a fixed count.
      if (!Number.isInteger(n) || n < (f === "--runs" ? 1 : 0) || n > 50) bad(`${f} must be a whole number up to 50`);
      a[f === "--runs" ? "runs" : "warmup"] = n;
    } else if (f === "--report") a.report = value();
    else if (f === "--no-report") a.report = "";
    else if (f === "--deno") a.deno = true;
    else if (f === "--keep-body") a.keepBody = true;
    else if (f === "--rev") a.sources.push(`rev:${value()}`);
    else if (f === "--root") a.sources.push(`dir:${value()}`);
    else if (f === "--smol") a.smol = true;
    else bad(f === "--help" || f === "-h" ? "" : `Unknown flag ${f}`);
  }
  if (a.sources.length > 4) bad("At most 4 --rev/--root");
  if (a.sizes.some((s) => s <= 0)) bad("Sizes must be above 0");
  return a;
}
