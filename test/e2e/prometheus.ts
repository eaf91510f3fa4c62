/**
 * A strict reader of the Prometheus text exposition format (0.0.4) for the
 * tests: every line must be a comment, `# HELP`, `# TYPE`, a sample or empty;
 * a sample's family must have had its `# TYPE`; a series appears once; a
 * histogram's buckets are cumulative and its `+Inf` bucket equals its count.
 */

/** A parsed exposition: samples by canonical series key, and each family's type. */
export interface Exposition {
  /** `name{a="1",b="2"}` (labels sorted) → value. */
  samples: Map<string, number>;
  types: Map<string, string>;
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const VALUE = "(?:[+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?)|[+-]?Inf|NaN)";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (${VALUE})(?: -?\\d+)?$`);
const HELP = new RegExp(`^# HELP (${NAME})(?: .*)?$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const ONE_LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The canonical key of a series. */
export function seriesKey(name: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`);
  return parts.length ? `${name}{${parts.join(",")}}` : name;
}

/** The value of a series, 0 when absent (a counter not yet moved). */
export function sample(samples: Map<string, number>, name: string, labels: Record<string, string>): number {
  return samples.get(seriesKey(name, labels)) ?? 0;
}

/** Parses and checks an exposition. @throws Error naming the first bad line */
export function parsePrometheus(text: string): Exposition {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  text.slice(0, -1).split("\n").forEach((line, i) => {
    const bad = (why: string) => new Error(`line ${i + 1} ${why}: ${JSON.stringify(line)}`);
    if (line === "") return;
    if (line.startsWith("#")) {
      const t = TYPE.exec(line);
      if (t) {
        if (types.has(t[1])) throw bad("types a family twice");
        types.set(t[1], t[2]);
      } else if (line.startsWith("# TYPE") || (line.startsWith("# HELP") && !HELP.test(line))) throw bad("is a malformed HELP or TYPE");
      return;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw bad("is not a sample");
    const name = m[1];
    const family = [name, name.replace(/_(bucket|sum|count)$/, "")].find((f) => types.has(f));
    if (!family) throw bad("has no # TYPE before it");
    if (family !== name && types.get(family) !== "histogram" && types.get(family) !== "summary") throw bad("has a suffix its type lacks");
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(ONE_LABEL)) {
      if (k in labels) throw bad(`repeats label ${k}`);
      labels[k] = v;
    }
    const key = seriesKey(name, labels);
    if (samples.has(key)) throw bad("repeats a series");
    samples.set(key, Number(m[3].replace(/^\+?Inf$/, "Infinity").replace(/^-Inf$/, "-Infinity")));
  });
  checkHistograms(samples, types);
  return { samples, types };
}

function checkHistograms(samples: Map<string, number>, types: Map<string, string>): void {
  for (const [family, type] of types) {
    if (type !== "histogram") continue;
    // Series of one histogram share their labels but le.
    const groups = new Map<string, [number, number][]>();
    for (const [key, v] of samples) {
      if (!key.startsWith(`${family}_bucket{`)) continue;
      const le = /le="([^"]+)"/.exec(key)![1];
      const rest = key.replace(/,?le="[^"]+"/, "").replace("{,", "{").replace("{}", "").replace("_bucket", "_count");
      const list = groups.get(rest) ?? [];
      list.push([le === "+Inf" ? Infinity : Number(le), v]);
      groups.set(rest, list);
    }
    for (const [countKey, list] of groups) {
      list.sort((a, b) => a[0] - b[0]);
      list.forEach(([, v], i) => {
        if (i > 0 && v < list[i - 1][1]) throw new Error(`${family}: buckets are not cumulative`);
      });
      if (list.at(-1)![0] !== Infinity) throw new Error(`${family}: no +Inf bucket`);
      if (samples.get(countKey) !== list.at(-1)![1]) throw new Error(`${family}: the +Inf bucket is not ${countKey}`);
    }
  }
}
