/**
 * The JavaScript cost of one proxied small GET, without a kernel: a client
 * connection and the whole request lifecycle (parse, select a peer, build the
 * peer's head, parse its response, build the client's head, log record) run
 * on fake sockets whose peer answers at once. What this measures is what
 * holdfast adds on top of the two reads and two writes a proxy must make per
 * request; bench/get.ts measures the whole.
 *
 * Usage: `bun bench/hot-path.ts [--time MS] [--only wrk|browser] [--admin]` (also `deno run -A bench/hot-path.ts`).
 * `--admin` adds what `--admin-listen` costs a request: the in-flight set and
 * the counters fed from each access record (src/admin/).
 */
import { Bench } from "tinybench";
import { detectRuntime } from "../runtime/index.ts";
import type { Listener, Socket, SocketAddress, SocketRuntime } from "../runtime/socket-types.ts";
import { FakeSocket } from "../test/fixtures/fake-socket.ts";
import { parseCommandLine } from "../src/config/parse.ts";
import { ClientConnection } from "../src/engine/client-conn.ts";
import { Inflight } from "../src/inflight.ts";
import { createProxyHandler } from "../src/proxy/handler.ts";
import { SpoolStore } from "../src/spool/store.ts";
import { PeerPool } from "../src/transport/pool.ts";
import { RouteTable } from "../src/proxy/routes.ts";
import { Group } from "../src/upstream/group.ts";
import { AdminEndpoint } from "../src/admin/endpoint.ts";
import { formatAccessLine } from "../src/access-log.ts";

const argv = typeof Deno === "undefined" ? process.argv.slice(2) : Deno.args;
const timeArg = argv.indexOf("--time");
// Bounded: at most 5 s per task whatever is asked.
const time = Math.min(5000, Math.max(50, timeArg >= 0 ? Number(argv[timeArg + 1]) || 1000 : 1000));

const enc = new TextEncoder();
// The peer answers each request head with a 2-byte body in one read, on the
// next microtask (a read never comes inside the write that caused it).
const PEER_RESPONSE = enc.encode(
  "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Sun, 22 Nov 2026 00:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok",
);
const sockets: SocketRuntime = {
  listen(): Promise<Listener> {
    throw new Error("not used");
  },
  connect(_addr: SocketAddress): Promise<Socket> {
    const s: FakeSocket = new FakeSocket(() => queueMicrotask(() => s.events.data(PEER_RESPONSE)));
    return Promise.resolve(s);
  },
};

const rt = await detectRuntime();
const cmd = parseCommandLine(
  ["--upstream", "127.0.0.1:1", "--access-log", "off", "--keepalive-requests", "1000000000"],
  "/dev/shm/holdfast-hot-path",
);
if (cmd.kind !== "serve") throw new Error("bad flags");
const config = cmd.config;
const group = new Group(config.groups[0]);
const pool = new PeerPool(sockets, { host: "127.0.0.1", port: 1 }, { maxIdle: 32, maxRequests: 1e9, idleTimeoutMs: 60_000 });
const store = new SpoolStore(rt, config.spoolDirs, config.spoolReserveBytes);
const inflight = new Inflight();
// As server.ts wires it with --admin-listen.
const admin = argv.includes("--admin")
  ? new AdminEndpoint({ path: undefined }, {
    live: inflight.track(),
    conns: new Set(),
    groups: [group],
    store,
    fileSize: (p) => rt.files.size(p),
    format: formatAccessLine,
    build: { version: "bench", runtime: rt.name, runtimeVersion: rt.version, platform: rt.platform, pid: rt.pid },
  })
  : undefined;
const start = createProxyHandler({
  config,
  store,
  routes: new RouteTable(config, new Map([[group.name, group]]), group),
  inflight,
  poolFor: () => pool,
  openSpool: (p) => rt.files.openReader(p),
  onDone: admin ? admin.feed(() => {}) : () => {},
  onBug(_id, e) {
    throw e;
  },
  onFailure() {},
  scheme: "http",
});
const limits = { maxHeadBytes: 65536, headerTimeoutMs: 60_000, keepaliveTimeoutMs: 75_000, keepaliveRequests: 1e9 };

/** One client connection; `request()` sends a head and resolves when the response is written. */
function client(head: string) {
  const bytes = enc.encode(head);
  let done: () => void = () => {};
  const sock = new FakeSocket(() => done());
  new ClientConnection(sock, limits, start, () => {});
  return () =>
    new Promise<void>((resolve) => {
      done = resolve;
      // A fresh array per request, as a runtime hands over each read.
      sock.events.data(bytes.slice());
    });
}

const wrk = client("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
const browser = client(
  "GET /api/photos?page=2 HTTP/1.1\r\nHost: photos.example.test\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36\r\n" +
    "Accept: application/json\r\nAccept-Language: en-GB,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\nReferer: https://photos.example.test/\r\n" +
    `Cookie: session=${"a".repeat(2000)}\r\nConnection: keep-alive\r\n\r\n`,
);

// `--only wrk` or `--only browser` runs one case (for a profile of it alone).
const onlyArg = argv.indexOf("--only");
const only = onlyArg >= 0 ? argv[onlyArg + 1] : undefined;
const bench = new Bench({ time, warmupTime: Math.min(300, time) });
if (only !== "browser") bench.add("small GET as wrk sends it (1 field)", wrk);
if (only !== "wrk") bench.add("browser GET (9 fields, 2 KB Cookie)", browser);
await bench.run();
console.table(bench.tasks.map((t) => {
  const l = (t.result as { latency?: { mean: number; p50: number; p99: number } } | undefined)?.latency;
  return {
    task: t.name,
    "mean µs": l ? (l.mean * 1000).toFixed(2) : "-",
    "p50 µs": l ? (l.p50 * 1000).toFixed(2) : "-",
    "p99 µs": l ? (l.p99 * 1000).toFixed(2) : "-",
    samples: t.runs,
  };
}));
pool.closeAll();
// The lifecycle's timers (keepalive, header timeouts) would keep the process up.
rt.exit(0);
