/**
 * Micro-benchmarks of the HTTP/1.1 codec (src/http1/): head parsing and framing
 * of the requests a proxy sees most, the chunked decoder, and the head writer's
 * two ways of handing out a finished head. Prints ns per operation (each sample
 * is a batch of 100 operations).
 *
 * Usage: `bun bench/micro-http1.ts [--time MS]` (per task, default 300 ms; also runs
 * on Deno: `deno run -A bench/micro-http1.ts`).
 */
import { Bench } from "tinybench";
import { ChunkedDecoder } from "../src/http1/chunked.ts";
import { requestFraming } from "../src/http1/framing.ts";
import { ascii, findField } from "../src/http1/head.ts";
import { parseRequestHead } from "../src/http1/parse-request.ts";
import { parseResponseHead } from "../src/http1/parse-response.ts";
import { HeadWriter } from "../src/http1/writer.ts";

const argv = typeof Deno === "undefined" ? process.argv.slice(2) : Deno.args;
const timeArg = argv.indexOf("--time");
// Bounded: at most 5 s per task whatever is asked.
const time = Math.min(5000, Math.max(50, timeArg >= 0 ? Number(argv[timeArg + 1]) || 300 : 300));

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

// A browser's navigation GET as it reaches an edge proxy: 300 bytes of head.
const getHead = bytes(
  "GET /photos/2024/album?page=2 HTTP/1.1\r\n" +
    "Host: app.example.test\r\n" +
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
    "Accept: text/html,application/xhtml+xml\r\n" +
    "Accept-Language: en-GB,en;q=0.9\r\n" +
    "Accept-Encoding: gzip, deflate, br\r\n" +
    "Connection: keep-alive\r\n" +
    "\r\n",
);
// The same with a 2 KB Cookie, as apps with analytics and session cookies send.
const cookieHead = bytes(
  new TextDecoder().decode(getHead).replace(
    "\r\n\r\n",
    "\r\nCookie: " + "session=0123456789abcdef; _ga=GA1.2.12345.67890; ".repeat(40).slice(0, 2048) + "\r\n\r\n",
  ),
);
const responseHead = bytes(
  "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 5120\r\nDate: Sat, 21 Nov 2026 08:00:00 GMT\r\n" +
    "Cache-Control: no-store\r\nConnection: keep-alive\r\n\r\n",
);
// 64 KiB of body in 4 KiB chunks, one push.
const chunk = "1000\r\n" + "x".repeat(4096) + "\r\n";
const chunkedBody = bytes(chunk.repeat(16) + "0\r\n\r\n");
const HOST = ascii("host");

let sink: unknown;
const noop = (d: Uint8Array) => {
  sink = d;
};
const writer = new HeadWriter();
const fill = (w: HeadWriter) =>
  w.ascii("GET /photos/2024/album?page=2 HTTP/1.1").crlf().ascii("host: app.example.test").crlf()
    .bytes(getHead.subarray(64, 150)).crlf().ascii("x-forwarded-for: 203.0.113.7").crlf().crlf();

// Each task runs its operation BATCH times: a single parse is short enough that
// tinybench's own timing calls per sample would be most of what it measures.
// The loops are written out per task so that no call site is shared (and left un-inlined) between tasks.
const BATCH = 100;
const bench = new Bench({ time, warmupTime: Math.min(100, time) });
bench
  .add(`parseRequestHead: browser GET (${getHead.length} B, 7 fields)`, () => {
    for (let i = 0; i < BATCH; i++) sink = parseRequestHead(getHead, 8192);
  })
  .add(`parseRequestHead: GET with 2 KB Cookie (${cookieHead.length} B)`, () => {
    for (let i = 0; i < BATCH; i++) sink = parseRequestHead(cookieHead, 8192);
  })
  .add("parseRequestHead + requestFraming + findField(host): browser GET", () => {
    for (let i = 0; i < BATCH; i++) {
      const h = parseRequestHead(getHead, 8192)!;
      sink = requestFraming(h);
      sink = findField(h, HOST);
    }
  })
  .add(`parseResponseHead: 200 (${responseHead.length} B, 5 fields)`, () => {
    for (let i = 0; i < BATCH; i++) sink = parseResponseHead(responseHead, 8192);
  })
  .add("ChunkedDecoder: 64 KiB in 16 chunks, one push", () => {
    for (let i = 0; i < BATCH; i++) sink = new ChunkedDecoder().push(chunkedBody, noop);
  })
  .add("HeadWriter: 5 lines, finish() (a view of the shared slab)", () => {
    for (let i = 0; i < BATCH; i++) sink = fill(writer).finish();
  })
  .add("HeadWriter: 5 lines, finish() then an exact copy (slice)", () => {
    for (let i = 0; i < BATCH; i++) sink = fill(writer).finish().slice();
  })
  .add("HeadWriter: 5 lines, a new writer per head", () => {
    for (let i = 0; i < BATCH; i++) sink = fill(new HeadWriter()).finish();
  });

// JSC and V8 reach their top tier only after many calls; tinybench's warm-up
// per task is too short for the first task, which would read up to 2x slow.
for (let i = 0; i < 20_000; i++) {
  sink = requestFraming(parseRequestHead(i % 2 ? getHead : cookieHead, 8192)!);
  sink = parseResponseHead(responseHead, 8192);
}
await bench.run();
// tinybench reports ms per batch; per-operation costs read better in ns.
console.table(bench.tasks.map((t) => {
  const r = t.result as { latency?: { mean: number; p50: number; p99: number; rme: number } } | undefined;
  const l = r?.latency;
  const ns = (ms: number) => Math.round((ms * 1e6) / BATCH);
  return {
    task: t.name,
    "mean ns/op": l ? ns(l.mean) : "-",
    "p50 ns/op": l ? ns(l.p50) : "-",
    "p99 ns/op": l ? ns(l.p99) : "-",
    "± %": l ? l.rme.toFixed(1) : "-",
    samples: t.runs,
  };
}));
void sink;
