/** Command-line flags of bench/upload.ts. */
/// <reference types="bun-types" />
import { resolve } from "node:path";
import { parseSize } from "../../src/config/units.ts";

/** The client of the parallel case: curl processes, or sockets in the benchmark's own process. */
export type ClientKind = "curl" | "socket";

/** Parsed flags. */
export interface BenchArgs {
  /** Body sizes of the single-upload case in bytes, one table each, with fresh processes; empty: no single uploads. */
  sizes: number[];
  /** Concurrent uploads of the parallel case; 0: no parallel case. */
  parallel: number;
  /** Body size of each parallel upload, in bytes; one table per size, with fresh processes. */
  parallelSizes: number[];
  /** What sends the parallel uploads. */
  client: ClientKind;
  /** Measured uploads per path and size. */
  runs: number;
  /** Unmeasured uploads per path first (the first tmpfs fill is slower). */
  warmup: number;
  /** Markdown report to write; "" for none. */
  report: string;
  /** Also run holdfast on Deno (the default; `--no-deno` leaves it out). */
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

/** The usage text printed with a flag error. */
export const USAGE = `Usage: bun bench/upload.ts [--single 1g[,4g...]] [--parallel 64] [--size SIZES] [--client socket|curl]
                          [--runs 3] [--warmup 1] [--report bench/REPORT.md | --no-report] [--no-deno] [--smol] [--keep-body]
                          [--rev GIT-REV]... [--root DIR]...
  no --single, --parallel or --size: both cases, one 1 GiB upload and 64 parallel 8 MiB uploads
  --single SIZES      the single-upload case at these sizes
  --parallel N        the parallel case: N uploads at once (1-256); without --single, only this case
  --size SIZES        the sizes of the parallel case when --parallel is given, else of the single case
  --client KIND       what sends the parallel uploads: socket (Bun sockets in this process, default) or curl (one process each)`;

/** Size of each parallel upload unless `--size` says otherwise. */
const PARALLEL_SIZE = 8 * 1024 ** 2;
/** Concurrent uploads of the parallel case when neither `--parallel` nor `--single` is given. */
const PARALLEL_DEFAULT = 64;

/**
 * Parses `argv` (after the script name).
 * @throws with {@link USAGE} on an unknown flag or a bad value
 */
export function parseBenchArgs(argv: string[]): BenchArgs {
  const a: BenchArgs = {
    sizes: [1024 ** 3],
    parallel: 0,
    parallelSizes: [PARALLEL_SIZE],
    client: "socket",
    runs: 3,
    warmup: 1,
    report: resolve(import.meta.dir, "../REPORT.md"),
    deno: true,
    smol: false,
    keepBody: false,
    sources: [],
  };
  const bad = (why: string): never => {
    throw new Error(`${why}\n${USAGE}`);
  };
  const sizes = (text: string) => text.split(",").map((s) => parseSize(s) ?? bad(`Bad size "${s}"`));
  let single: number[] | undefined;
  let sized: number[] | undefined;
  let parallel: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    const value = () => argv[++i] ?? bad(`${f} needs a value`);
    if (f === "--size") sized = sizes(value());
    else if (f === "--single") single = sizes(value());
    else if (f === "--parallel") {
      const n = Number(value());
      // Bounded: nginx's worker_connections and the file descriptors of one process are sized for it.
      if (!Number.isInteger(n) || n < 1 || n > 256) bad("--parallel must be a whole number from 1 to 256");
      parallel = n;
    } else if (f === "--client") {
      const c = value();
      if (c !== "curl" && c !== "socket") bad(`--client must be socket or curl, not "${c}"`);
      a.client = c as ClientKind;
    } else if (f === "--runs" || f === "--warmup") {
      const n = Number(value());
      // Bounded: every loop of the benchmark has a fixed count.
      if (!Number.isInteger(n) || n < (f === "--runs" ? 1 : 0) || n > 50) bad(`${f} must be a whole number up to 50`);
      a[f === "--runs" ? "runs" : "warmup"] = n;
    } else if (f === "--report") a.report = value();
    else if (f === "--no-report") a.report = "";
    else if (f === "--deno") a.deno = true; // the default; kept for older command lines
    else if (f === "--no-deno") a.deno = false;
    else if (f === "--keep-body") a.keepBody = true;
    else if (f === "--rev") a.sources.push(`rev:${value()}`);
    else if (f === "--root") a.sources.push(`dir:${value()}`);
    else if (f === "--smol") a.smol = true;
    else bad(f === "--help" || f === "-h" ? "" : `Unknown flag ${f}`);
  }
  if (parallel === undefined && single === undefined && sized === undefined) {
    // The default: both cases.
    a.parallel = PARALLEL_DEFAULT;
  } else if (parallel !== undefined) {
    a.parallel = parallel;
    a.parallelSizes = sized ?? [PARALLEL_SIZE];
    a.sizes = single ?? [];
  } else {
    if (single && sized) bad("--size and --single both give the single-upload sizes: use one");
    a.sizes = single ?? sized!;
  }
  if (a.sources.length > 4) bad("At most 4 --rev/--root");
  if ([...a.sizes, ...a.parallelSizes].some((s) => s <= 0)) bad("Sizes must be above 0");
  return a;
}
