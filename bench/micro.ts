/**
 * Micro-benchmarks of the per-request hot paths in src/: the work holdfast
 * does for every request besides moving the body. Prints tinybench's table
 * (latency in ns, throughput in ops/s).
 *
 * Usage: `bun bench/micro.ts [--time MS]` (per task, default 300 ms; also runs
 * on Deno: `deno run -A bench/micro.ts`).
 */
import { Bench } from "tinybench";
import { type AccessRecord, formatAccessLine } from "../src/access-log.ts";
import { parseDuration, parseSize } from "../src/config/units.ts";
import { downstreamResponseHeaders, upstreamRequestHeaders } from "../src/headers.ts";

const argv = typeof Deno === "undefined" ? process.argv.slice(2) : Deno.args;
const timeArg = argv.indexOf("--time");
// Bounded: at most 5 s per task whatever is asked.
const time = Math.min(5000, Math.max(50, timeArg >= 0 ? Number(argv[timeArg + 1]) || 300 : 300));

// A browser upload as it reaches an edge proxy: a dozen headers, one of them
// naming a hop-by-hop header in Connection.
const clientHeaders = new Headers({
  host: "app.example.test",
  "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
  accept: "*/*",
  "accept-language": "en-GB,en;q=0.9",
  "accept-encoding": "gzip, deflate, br",
  "content-type": "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
  "content-length": "10485760",
  cookie: "session=0123456789abcdef; theme=dark",
  origin: "https://app.example.test",
  referer: "https://app.example.test/upload",
  connection: "keep-alive, x-trace",
  "x-trace": "abc",
  "x-forwarded-for": "203.0.113.7",
});

const upstreamHeaders = new Headers({
  "content-type": "application/json",
  "content-length": "42",
  date: "Sat, 21 Nov 2026 08:00:00 GMT",
  "cache-control": "no-store",
  connection: "keep-alive",
  "keep-alive": "timeout=5",
  "set-cookie": "a=1; Path=/",
});
upstreamHeaders.append("set-cookie", "b=2; Path=/; HttpOnly");

const record: AccessRecord = {
  id: "mwq57xa90001",
  startedAt: Date.now(),
  clientAddress: "127.0.0.1",
  method: "PUT",
  target: "/upload?name=report.pdf",
  status: 200,
  bodyBytes: 10485760,
  sentBytes: 42,
  attempts: [{ peer: "127.0.0.1:3000", status: 502, ms: 1 }, { peer: "127.0.0.1:3000", status: 200, ms: 35 }],
  heldMs: 812,
};

// Results go to a sink the optimiser cannot prove unused.
let sink: unknown;
const bench = new Bench({ time, warmupTime: Math.min(100, time) });
bench
  .add("upstreamRequestHeaders (13 headers)", () => {
    sink = upstreamRequestHeaders(clientHeaders, { clientAddress: "127.0.0.1", proto: "http" }, 10485760);
  })
  .add("downstreamResponseHeaders (7 headers, 2 Set-Cookie)", () => {
    sink = downstreamResponseHeaders(upstreamHeaders);
  })
  .add("formatAccessLine (2 attempts)", () => {
    sink = formatAccessLine(record, record.startedAt + 900);
  })
  .add("parseSize('128k')", () => {
    sink = parseSize("128k");
  })
  .add("parseDuration('250ms')", () => {
    sink = parseDuration("250ms");
  });

await bench.run();
// tinybench reports ms; per-request costs read better in ns. ops/s is
// 1 / mean latency (tinybench's own throughput mean weighs fast samples more).
console.table(bench.tasks.map((t) => {
  const r = t.result as { latency?: { mean: number; p50: number; p99: number; rme: number } } | undefined;
  const l = r?.latency;
  return {
    task: t.name,
    "mean ns": l ? Math.round(l.mean * 1e6) : "-",
    "p50 ns": l ? Math.round(l.p50 * 1e6) : "-",
    "p99 ns": l ? Math.round(l.p99 * 1e6) : "-",
    "ops/s": l ? Math.round(1000 / l.mean).toLocaleString("en") : "-",
    "± %": l ? l.rme.toFixed(1) : "-",
    samples: t.runs,
  };
}));
void sink;
