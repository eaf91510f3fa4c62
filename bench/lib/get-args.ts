/** Command-line flags of bench/get.ts. */
import { resolve } from "node:path";
import { parseDuration } from "../../src/config/units.ts";
import { type Variant, VARIANTS } from "./get-targets.ts";

/** Parsed flags. */
export interface GetArgs {
  /** Measured runs per target and load; the median is reported. */
  runs: number;
  /** wrk's `-d` of a measured run, whole seconds. */
  seconds: number;
  /** Unmeasured wrk run before each measured one, whole seconds (0: none). */
  warmupSeconds: number;
  /** wrk `-c` values; each is run without and (unless `noCookie`) with the 2 KB Cookie header. */
  connections: number[];
  /** Skip the loads with the 2 KB Cookie header. */
  noCookie: boolean;
  /** Which holdfast builds to run. */
  variants: Variant[];
  /** `rev:REV` (a git revision, exported) or `dir:DIR` (a copy), measured next to the work tree. */
  sources: string[];
  /** Leave the work tree out (only the `--rev`/`--root` sources). */
  noWorkTree: boolean;
  /** Add wrk straight to the responder (the client's and responder's ceiling). */
  direct: boolean;
  /** Add holdfast on Bun with this many `--route`s (0: none), requests matching a prefix route among them. */
  routes: number;
  /** Markdown report to merge the section into; "" for none. */
  report: string;
  /** Only profile holdfast on Bun under load (no table, no report). */
  profile: boolean;
}

/** The usage text printed with a flag error. */
export const GET_USAGE = `Usage: bun bench/get.ts [--runs 3] [--duration 5s] [--warmup 2s] [--connections 50,200] [--no-cookie]
                       [--holdfast bun,deno,binary] [--rev GIT-REV]... [--root DIR]... [--no-work-tree] [--direct] [--routes 20]
                       [--report bench/REPORT.md | --no-report] [--profile]`;

function seconds(flag: string, text: string, min: number, bad: (why: string) => never): number {
  const ms = parseDuration(text);
  // wrk's -d takes whole seconds; the cap bounds the whole run.
  if (ms === undefined || ms % 1000 !== 0 || ms / 1000 < min || ms / 1000 > 600) {
    bad(`${flag} must be whole seconds from ${min}s to 600s, like 5s`);
  }
  return ms! / 1000;
}

/**
 * Parses `argv` (after the script name).
 * @throws with {@link GET_USAGE} on an unknown flag or a bad value
 */
export function parseGetArgs(argv: string[]): GetArgs {
  const a: GetArgs = {
    runs: 3,
    // 5 s, not 10: 4 targets x 4 loads x 3 runs x (2 + 5) s keeps the default run under 6 minutes.
    seconds: 5,
    warmupSeconds: 2,
    connections: [50, 200],
    noCookie: false,
    variants: [...VARIANTS],
    sources: [],
    noWorkTree: false,
    direct: false,
    routes: 0,
    report: resolve(import.meta.dir, "../REPORT.md"),
    profile: false,
  };
  const bad = (why: string): never => {
    throw new Error(`${why}\n${GET_USAGE}`);
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
    else if (f === "--connections") {
      a.connections = value().split(",").map((s) => {
        const n = Number(s);
        if (!Number.isInteger(n) || n < 1 || n > 1000) bad(`Bad connection count "${s}" (1 to 1000)`);
        return n;
      });
    } else if (f === "--no-cookie") a.noCookie = true;
    else if (f === "--holdfast") {
      a.variants = value().split(",").map((s) =>
        VARIANTS.includes(s as Variant) ? s as Variant : bad(`Unknown holdfast build "${s}" (${VARIANTS.join(", ")})`)
      );
    } else if (f === "--rev") a.sources.push(`rev:${value()}`);
    else if (f === "--root") a.sources.push(`dir:${value()}`);
    else if (f === "--no-work-tree") a.noWorkTree = true;
    else if (f === "--direct") a.direct = true;
    else if (f === "--routes") {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 2 || n > 1000) bad("--routes must be a whole number from 2 to 1000");
      a.routes = n;
    } else if (f === "--report") a.report = value();
    else if (f === "--no-report") a.report = "";
    else if (f === "--profile") a.profile = true;
    else bad(f === "--help" || f === "-h" ? "" : `Unknown flag ${f}`);
  }
  if (a.sources.length > 4) bad("At most 4 --rev/--root");
  if (a.noWorkTree && a.sources.length === 0) bad("--no-work-tree needs a --rev or --root");
  return a;
}
