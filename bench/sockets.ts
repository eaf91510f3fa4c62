/**
 * The experiment behind `runtime/deno-sockets.ts`: which socket API is faster
 * on Deno, `Deno.listen`/`Deno.connect` or `node:net`, and what holdfast's
 * own {@link SocketRuntime} costs on top. Two loads over 127.0.0.1, each
 * client and server in this one process:
 * - stream: `--size` bytes one way in 1 MiB writes, honouring backpressure (MiB/s);
 * - ping-pong: `--rounds` 64-byte messages echoed one at a time (messages/s).
 *
 * Usage: `deno run -A bench/sockets.ts [--size 1g] [--runs 5] [--rounds 20000]`
 * (candidates: raw `Deno.connect`, raw `node:net`, `denoSockets`), or
 * `bun bench/sockets.ts ...` (raw `node:net`, `bunSockets`). Runs are
 * interleaved across candidates; prints the median of each. Every run is
 * bounded to 120 s.
 */
import net from "node:net";
import process from "node:process";
import { parseSize } from "../src/config/units.ts";
import type { Socket, SocketRuntime } from "../runtime/socket-types.ts";
import { median } from "./lib/stats.ts";

const flag = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SIZE = parseSize(flag("size", "1g")) ?? 1024 ** 3;
const RUNS = Number(flag("runs", "5"));
const ROUNDS = Number(flag("rounds", "20000"));
const CHUNK = new Uint8Array(1 << 20).fill(7);
const MSG = new Uint8Array(64).fill(1);
const onDeno = "Deno" in globalThis;

/** A way of talking over sockets: each load returns the milliseconds it took. */
interface Candidate {
  stream(bytes: number): Promise<number>;
  pingPong(rounds: number): Promise<number>;
}

const denoRaw: Candidate = {
  async stream(bytes) {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const received = (async () => {
      const c = await l.accept();
      const buf = new Uint8Array(64 * 1024);
      let n = 0;
      // A copy per read: holdfast hands each read to its holder, so the buffer cannot be reused as it is.
      for (let r = await c.read(buf); r !== null; r = await c.read(buf)) n += buf.slice(0, r).byteLength;
      c.close();
    })();
    const c = await Deno.connect({ hostname: "127.0.0.1", port: (l.addr as Deno.NetAddr).port });
    const t0 = performance.now();
    for (let sent = 0; sent < bytes; sent += CHUNK.byteLength) {
      for (let off = 0; off < CHUNK.byteLength;) off += await c.write(CHUNK.subarray(off));
    }
    await c.closeWrite();
    await received;
    c.close(), l.close();
    return performance.now() - t0;
  },
  async pingPong(rounds) {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    (async () => {
      const c = await l.accept();
      const buf = new Uint8Array(64 * 1024);
      for (let r = await c.read(buf); r !== null; r = await c.read(buf)) await c.write(buf.slice(0, r));
      c.close();
    })();
    const c = await Deno.connect({ hostname: "127.0.0.1", port: (l.addr as Deno.NetAddr).port });
    const buf = new Uint8Array(64 * 1024);
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) {
      await c.write(MSG);
      for (let got = 0; got < MSG.byteLength;) got += buf.slice(0, (await c.read(buf)) ?? 0).byteLength;
    }
    const ms = performance.now() - t0;
    c.close(), l.close();
    return ms;
  },
};

/** Raw `node:net`: a server and a connected client, with TCP_NODELAY on both. */
function netPair(onServer: (s: net.Socket) => void): Promise<{ client: net.Socket; server: net.Server }> {
  return new Promise((resolve) => {
    const server = net.createServer({ noDelay: true }, onServer).listen(0, "127.0.0.1", () => {
      const client = net.connect({ port: (server.address() as net.AddressInfo).port, host: "127.0.0.1", noDelay: true });
      client.once("connect", () => resolve({ client, server }));
    });
  });
}

/**
 * The client side of `rounds` ping-pong rounds over an event-driven socket:
 * sends {@link MSG}, and each time a whole message's bytes have come back
 * (in however many `data` events), the next; resolves after the last echo.
 * `listen` installs the data handler on the socket, `send` writes one MSG.
 */
function pingPongClient(rounds: number, listen: (onData: (bytes: Uint8Array) => void) => void, send: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    let i = 0, got = 0;
    listen((bytes) => {
      got += bytes.byteLength;
      if (got < MSG.byteLength) return;
      got -= MSG.byteLength;
      if (++i === rounds) return resolve();
      send();
    });
    send();
  });
}

const nodeNet: Candidate = {
  async stream(bytes) {
    let done!: () => void;
    const received = new Promise<void>((r) => (done = r));
    const { client, server } = await netPair((s) => s.on("data", () => {}).on("end", () => (s.end(), done())));
    const t0 = performance.now();
    let sent = 0;
    const more = () => {
      while (sent < bytes) {
        sent += CHUNK.byteLength; // counted before the check: a write that returns false has still taken the chunk
        if (!client.write(CHUNK)) return void client.once("drain", more);
      }
      client.end();
    };
    more();
    await received;
    server.close();
    return performance.now() - t0;
  },
  async pingPong(rounds) {
    const { client, server } = await netPair((s) => s.on("data", (d) => s.write(d)).on("end", () => s.end()));
    const t0 = performance.now();
    await pingPongClient(rounds, (onData) => client.on("data", onData), () => client.write(MSG));
    const ms = performance.now() - t0;
    client.end(), server.close();
    return ms;
  },
};

/** holdfast's own socket layer, as the HTTP engine would drive it. */
function viaRuntime(rt: SocketRuntime): Candidate {
  const pair = async (onServer: (s: Socket) => void) => {
    const listener = await rt.listen({ host: "127.0.0.1", port: 0 }, onServer);
    return { listener, client: await rt.connect({ host: "127.0.0.1", port: listener.port }, 5000) };
  };
  const idle = { data() {}, end() {}, drain() {}, close() {} };
  return {
    async stream(bytes) {
      let done!: () => void;
      const received = new Promise<void>((r) => (done = r));
      const { listener, client } = await pair((s) => (s.events = { ...idle, end: () => (s.end(), done()) }));
      const t0 = performance.now();
      let sent = 0;
      const more = () => {
        while (sent < bytes) {
          sent += CHUNK.byteLength;
          if (!client.write(CHUNK)) return;
        }
        client.shutdown();
      };
      client.events = { ...idle, drain: more };
      more();
      await received;
      listener.close();
      return performance.now() - t0;
    },
    async pingPong(rounds) {
      const { listener, client } = await pair((s) => (s.events = { ...idle, data: (b) => s.write(b), end: () => s.end() }));
      const t0 = performance.now();
      await pingPongClient(rounds, (onData) => (client.events = { ...idle, data: onData }), () => client.write(MSG));
      const ms = performance.now() - t0;
      client.end(), listener.close();
      return ms;
    },
  };
}

const candidates: Record<string, Candidate> = onDeno
  ? {
    "Deno.connect (raw)": denoRaw,
    "node:net (raw)": nodeNet,
    denoSockets: viaRuntime((await import("../runtime/deno-sockets.ts")).denoSockets),
  }
  : { "node:net (raw)": nodeNet, bunSockets: viaRuntime((await import("../runtime/bun-sockets.ts")).bunSockets) };

function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over 120 s`)), 120_000)));
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

const streamMiBs: Record<string, number[]> = {};
const pingPerS: Record<string, number[]> = {};
for (let run = 0; run < RUNS; run++) {
  for (const [name, c] of Object.entries(candidates)) {
    (streamMiBs[name] ??= []).push(SIZE / 1048576 / ((await bounded(c.stream(SIZE), `${name} stream`)) / 1000));
    (pingPerS[name] ??= []).push(ROUNDS / ((await bounded(c.pingPong(ROUNDS), `${name} ping-pong`)) / 1000));
  }
}
console.log(`${onDeno ? `Deno ${Deno.version.deno}` : `Bun ${process.versions.bun}`}, median of ${RUNS} runs`);
console.log(`| candidate | ${SIZE / 1048576} MiB one way (MiB/s) | 64-byte ping-pong (messages/s) |\n| --- | --- | --- |`);
for (const name of Object.keys(candidates)) {
  console.log(`| ${name} | ${median(streamMiBs[name]).toFixed(0)} | ${median(pingPerS[name]).toFixed(0)} |`);
}
process.exit(0);
