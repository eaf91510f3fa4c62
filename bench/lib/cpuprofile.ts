/**
 * Reads a `.cpuprofile` (Chrome's format, as `bun --cpu-prof` writes it) into
 * a table of functions by self samples.
 *
 * Samples are counted, not timed: JavaScriptCore's sampler watches only the
 * JavaScript thread and skips moments it cannot attribute (an idle event
 * loop, for one), so the `timeDeltas` between two samples also span what it
 * did not see. Weighting by those deltas, as Bun's own `--cpu-prof-md`
 * summary does, can pin a whole idle second on one function.
 */
import { relative } from "node:path";

/** The parts of a `.cpuprofile` read here. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

/** One function of the profile. */
export interface ProfileEntry {
  /** Function name ("(anonymous)" when it has none). */
  name: string;
  /** `file:line` of the function's start, relative to the source's root; "native" for built-ins. */
  location: string;
  /** Samples with this function on top of the stack. */
  self: number;
  /** Samples with this function anywhere on the stack (counted once per sample). */
  total: number;
}

/** A profile reduced to per-function counts. */
export interface ProfileSummary {
  /** Samples taken (each one a moment the thread was in JavaScript or a function it called). */
  samples: number;
  /** Median time between samples, microseconds: about the sampling interval. */
  intervalUs: number;
  /** Functions, most self samples first. */
  entries: ProfileEntry[];
}

function location(url: string, line: number, roots: string[]): string {
  if (!url) return "native";
  let path = url;
  if (url.startsWith("file://")) {
    const abs = decodeURIComponent(url.slice(7));
    // A --rev snapshot links the work tree's node_modules: name those from the work tree.
    path = roots.map((r) => relative(r, abs)).find((r) => !r.startsWith("..")) ?? abs;
  }
  return line >= 0 ? `${path}:${line + 1}` : path;
}

/**
 * Counts self and total samples per function. A function is its name and
 * start position, so the two closures named `(anonymous)` in one file stay
 * apart; paths are shown relative to the first of `roots` that contains them.
 */
export function summarizeProfile(p: CpuProfile, roots: string[]): ProfileSummary {
  const parent = new Map<number, number>();
  const key = new Map<number, string>();
  const entries = new Map<string, ProfileEntry>();
  for (const n of p.nodes) {
    for (const c of n.children ?? []) parent.set(c, n.id);
    const f = n.callFrame;
    // The root node stands for "no function"; it gets no entry.
    if (f.functionName === "(root)") continue;
    const k = `${f.functionName}\0${f.url}\0${f.lineNumber}\0${f.columnNumber}`;
    key.set(n.id, k);
    if (!entries.has(k)) {
      entries.set(k, { name: f.functionName || "(anonymous)", location: location(f.url, f.lineNumber, roots), self: 0, total: 0 });
    }
  }
  for (const id of p.samples) {
    const top = key.get(id);
    if (top) entries.get(top)!.self++;
    // Recursion puts a function on the stack more than once; count it once.
    const seen = new Set<string>();
    // Bounded by the node count: a parent chain cannot be longer.
    for (let n: number | undefined = id, i = 0; n !== undefined && i < p.nodes.length; n = parent.get(n), i++) {
      const k = key.get(n);
      if (k && !seen.has(k)) {
        seen.add(k);
        entries.get(k)!.total++;
      }
    }
  }
  const deltas = [...p.timeDeltas].sort((a, b) => a - b);
  return {
    samples: p.samples.length,
    intervalUs: deltas.length ? deltas[deltas.length >> 1] : 0,
    entries: [...entries.values()].filter((e) => e.total > 0).sort((a, b) => b.self - a.self || b.total - a.total),
  };
}

/** The top `n` entries as a fixed-width text table (self %, self samples, ~self ms, total %, function, location). */
export function profileTable(s: ProfileSummary, n: number): string[] {
  const pct = (x: number) => `${((100 * x) / Math.max(1, s.samples)).toFixed(1)}%`.padStart(6);
  const lines = [`${"self%".padStart(6)} ${"self".padStart(6)} ${"~ms".padStart(7)} ${"total%".padStart(6)}  function  (location)`];
  for (const e of s.entries.slice(0, n)) {
    const ms = ((e.self * s.intervalUs) / 1000).toFixed(0).padStart(7);
    lines.push(`${pct(e.self)} ${String(e.self).padStart(6)} ${ms} ${pct(e.total)}  ${e.name}  (${e.location})`);
  }
  return lines;
}
