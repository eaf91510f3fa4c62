/**
 * Micro-benchmarks of the per-request hot paths in src/: the work holdfast
 * does for every request besides moving the body. Prints tinybench's table
 * (latency in ns, throughput in ops/s).
 *
 * Usage: `bun bench/micro.ts [--time MS]` (per task, default 300 ms; also runs
 * on Deno: `deno run -A bench/micro.ts`).
 */
import { Bench } from "tinybench";
import { accessLineFormatter, type AccessRecord, formatAccessLine } from "../src/access-log.ts";
import type { AttemptRecord } from "../src/proxy/hold.ts";
import { parseDuration, parseSize } from "../src/config/units.ts";
import { parseRequestHead } from "../src/http1/parse-request.ts";
import { parseResponseHead } from "../src/http1/parse-response.ts";
import { forwardHead } from "../src/proxy/forward-head.ts";
import { clientResponseHead } from "../src/proxy/response-head.ts";
import { Counter, Histogram, Registry } from "prom-client";
import { AdminState } from "../src/admin/state.ts";
import { Inflight } from "../src/inflight.ts";
import { RequestRecord } from "../src/proxy/request-record.ts";
import type { Route } from "../src/proxy/routes.ts";
import type { SpoolStore } from "../src/spool/store.ts";

const argv = typeof Deno === "undefined" ? process.argv.slice(2) : Deno.args;
const timeArg = argv.indexOf("--time");
// Bounded: at most 5 s per task whatever is asked.
const time = Math.min(5000, Math.max(50, timeArg >= 0 ? Number(argv[timeArg + 1]) || 300 : 300));

// A browser upload as it reaches an edge proxy: a dozen fields, one of them
// naming a hop-by-hop field in Connection.
const enc = new TextEncoder();
const clientHead = parseRequestHead(
  enc.encode(
    "PUT /upload?name=report.pdf HTTP/1.1\r\nHost: app.example.test\r\n" +
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36\r\n" +
      "Accept: */*\r\nAccept-Language: en-GB,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\n" +
      "Content-Type: multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW\r\nContent-Length: 10485760\r\n" +
      "Cookie: session=0123456789abcdef; theme=dark\r\nOrigin: https://app.example.test\r\nReferer: https://app.example.test/upload\r\n" +
      "Connection: keep-alive, x-trace\r\nX-Trace: abc\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n",
  ),
  65536,
)!;

const peerHead = parseResponseHead(
  enc.encode(
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 42\r\nDate: Sat, 21 Nov 2026 08:00:00 GMT\r\n" +
      "Cache-Control: no-store\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nSet-Cookie: a=1; Path=/\r\n" +
      "Set-Cookie: b=2; Path=/; HttpOnly\r\n\r\n",
  ),
  65536,
)!;

const record: AccessRecord = {
  id: "mwq57xa90001",
  startedAt: Date.now(),
  clientAddress: "127.0.0.1",
  method: "PUT",
  target: "/upload?name=report.pdf",
  status: 200,
  bodyBytes: 10485760,
  sentBytes: 42,
  attempts: [{ peer: "127.0.0.1:3000", failure: "refused", status: 502, ms: 1 }, { peer: "127.0.0.1:3000", status: 200, ms: 35 }],
  heldMs: 812,
  // Host, User-Agent (a browser's, 111 bytes) and Referer are decoded from it per line.
  head: clientHead,
};

// What --admin-listen adds to a request: the in-flight set, then the counters and the tail fed from its record.
const inflight = new Inflight();
const admin = new AdminState({
  live: inflight.track(),
  conns: new Set(),
  groups: [],
  store: undefined as unknown as SpoolStore,
  fileSize: () => 0,
  format: formatAccessLine,
  build: { version: "bench", runtime: "bench", runtimeVersion: "", platform: "", pid: 0 },
});
const route = { text: undefined, group: { name: "default" } } as unknown as Route;
function adminRecord(): RequestRecord {
  const r = new RequestRecord("127.0.0.1", "GET", "/");
  r.route = route;
  r.status = 200;
  r.sentBytes = 2;
  r.attempts.push({ peer: "127.0.0.1:3000", status: 200, ms: 1 });
  return r;
}
const adminRec = adminRecord();
// The same counts fed to prom-client per request instead, as its README shows.
const registry = new Registry();
const promRequests = new Counter({
  name: "r_total",
  help: "r",
  labelNames: ["route", "method", "status_class"],
  registers: [registry],
});
const promAttempts = new Counter({ name: "a_total", help: "a", labelNames: ["peer", "outcome"], registers: [registry] });
const promResponse = new Histogram({ name: "u_seconds", help: "u", labelNames: ["peer"], registers: [registry] });
const promHeld = new Histogram({ name: "h_seconds", help: "h", registers: [registry] });
// A request held through an outage over 20 peers taking turns: 140 refusals, then a 200.
const held: AccessRecord = {
  ...record,
  attempts: [
    ...Array.from(
      { length: 140 },
      (_, i): AttemptRecord => ({ peer: `127.0.0.1:${3000 + (i % 20)}`, failure: "refused", status: 502, ms: 0 }),
    ),
    { peer: "127.0.0.1:3000", status: 200, ms: 35 },
  ],
};
const [kv, json, combined] = (["kv", "json", "combined"] as const).map(accessLineFormatter);

// Results go to a sink the optimiser cannot prove unused.
let sink: unknown;
const bench = new Bench({ time, warmupTime: Math.min(100, time) });
bench
  .add("forwardHead (13 fields)", () => {
    sink = forwardHead(clientHead, {
      clientAddress: "127.0.0.1",
      proto: "http",
      fallbackHost: "127.0.0.1:3000",
      bodyBytes: 10485760,
      upgrade: false,
    });
  })
  .add("clientResponseHead (9 fields, 2 Set-Cookie)", () => {
    sink = clientResponseHead(peerHead, { passChunked: false, keepLength: true, close: false, upgrade: false });
  })
  .add("access line kv (browser head, 2 attempts)", () => {
    sink = kv(record, record.startedAt + 900);
  })
  .add("access line json (browser head, 2 attempts)", () => {
    sink = json(record, record.startedAt + 900);
  })
  .add("access line combined (browser head)", () => {
    sink = combined(record, record.startedAt + 900);
  })
  .add("access line kv (held, 141 attempts over 20 peers)", () => {
    sink = kv(held, held.startedAt + 900);
  })
  .add("admin: a request's hooks (in-flight set, counters, tail)", () => {
    inflight.begin(adminRec);
    inflight.end(adminRec);
    admin.done(adminRec, 0);
  })
  .add("prom-client fed per request instead (2 counters, 2 histograms)", () => {
    promRequests.inc({ route: "default", method: "GET", status_class: "2xx" });
    promAttempts.inc({ peer: "127.0.0.1:3000", outcome: "2xx" });
    promResponse.observe({ peer: "127.0.0.1:3000" }, 0.001);
    promHeld.observe(0);
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
