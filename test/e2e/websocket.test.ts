// WebSockets through holdfast (RFC 6455 over an HTTP/1.1 Upgrade, RFC 9110
// §7.8): frames both ways unchanged, ping/pong and the close handshake end to
// end, a handshake held while the peer restarts, and a refused upgrade
// relayed as a plain response.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { finalResponses, parseResponses, rawRequest } from "../fixtures/raw-peer.ts";
import { freePort, type Holdfast, Proc, ROOT, sleep, startHoldfastOrExit, stopAll, TARGETS } from "./harness.ts";

afterAll(stopAll);

const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

/** Starts the WebSocket echo peer on `port` and waits until it listens. */
async function startWsEcho(port: number): Promise<Proc> {
  const p = new Proc(spawn(join(ROOT, "node_modules/.bin/bun"), [join(ROOT, "test/fixtures/ws-echo.ts"), String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
  }));
  await p.waitLine(/ws-echo listening/, 10_000);
  return p;
}

/** Bun's client has ping() and a "pong" event; the DOM typing the checker may pick has neither. */
type BunWebSocket = WebSocket & { ping(data?: string): void };

/** A WebSocket client whose messages and close are awaited with bounds. */
class WsClient {
  readonly ws: BunWebSocket;
  #messages: (string | Uint8Array)[] = [];
  #pongs: Uint8Array[] = [];
  #closed?: CloseEvent;
  #wake = () => {};
  readonly opened: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(url) as BunWebSocket;
    this.ws.binaryType = "arraybuffer";
    const wake = () => this.#wake();
    this.ws.addEventListener("message", (e) => {
      this.#messages.push(typeof e.data === "string" ? e.data : new Uint8Array(e.data as ArrayBuffer));
      wake();
    });
    this.ws.addEventListener("pong", (e) => {
      const data = (e as MessageEvent).data;
      this.#pongs.push(typeof data === "string" ? Buffer.from(data) : new Uint8Array(data as ArrayBuffer));
      wake();
    });
    this.ws.addEventListener("close", (e) => (this.#closed = e as CloseEvent, wake()));
    let error = "";
    this.ws.addEventListener("error", (e) => (error = (e as ErrorEvent).message ?? ""));
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener("open", () => resolve());
      this.ws.addEventListener("close", (e) => reject(new Error(`closed before opening: ${(e as CloseEvent).code} ${error}`)));
    });
    this.opened.catch(() => {});
  }

  /** Waits (bounded) until `done()` holds; throws `what` when it does not in time. */
  async #until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() >= until) throw new Error(`${what} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, until - Date.now()));
        this.#wake = () => (clearTimeout(t), r());
      });
    }
  }

  /** Waits for the open event, bounded. */
  async open(timeoutMs: number): Promise<void> {
    let t: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`not open within ${timeoutMs} ms`)), timeoutMs)));
    try {
      await Promise.race([this.opened, late]);
    } finally {
      clearTimeout(t);
    }
  }

  /** The next `n` messages, bounded. */
  async take(n: number, timeoutMs = 10_000): Promise<(string | Uint8Array)[]> {
    await this.#until(() => this.#messages.length >= n || !!this.#closed, timeoutMs, `no ${n} messages`);
    if (this.#messages.length < n) throw new Error(`closed (${this.#closed?.code}) after ${this.#messages.length} of ${n} messages`);
    return this.#messages.splice(0, n);
  }

  /** The next pong's payload, bounded. */
  async pong(timeoutMs = 5000): Promise<Uint8Array> {
    await this.#until(() => this.#pongs.length > 0, timeoutMs, "no pong");
    return this.#pongs.shift()!;
  }

  /** The close event, bounded. */
  async closed(timeoutMs = 5000): Promise<CloseEvent> {
    await this.#until(() => !!this.#closed, timeoutMs, "no close event");
    return this.#closed!;
  }
}

describe.each(TARGETS)("WebSockets on %s", (target) => {
  let wsPort: number;
  let peer: Proc;
  let hf: Holdfast;
  beforeAll(async () => {
    wsPort = await freePort();
    peer = await startWsEcho(wsPort);
    hf = await startHoldfastOrExit(target, ["--upstream", `127.0.0.1:${wsPort},max-fails=0`, "--hold", "10s"]);
  }, 30_000);

  test("1 MiB of binary frames each way arrive unchanged; ping gets its pong; close 1000 is seen by both ends", async () => {
    const c = new WsClient(`ws://127.0.0.1:${hf.port}/echo`);
    try {
      await c.open(5000);
      const frames = Array.from({ length: 64 }, () => randomBytes(16 * 1024));
      for (const f of frames) c.ws.send(f);
      const echoed = await c.take(64);
      expect(echoed.every((m) => m instanceof Uint8Array)).toBe(true);
      const sent = sha256(Buffer.concat(frames));
      expect(sha256(Buffer.concat(echoed as Uint8Array[]))).toBe(sent);
      // The peer's count and digest of what it received.
      c.ws.send("digest");
      expect(await c.take(1)).toEqual([`sha256 ${1024 * 1024} ${sent}`]);
      c.ws.send("text stays text");
      expect(await c.take(1)).toEqual(["text stays text"]);
      c.ws.ping("are you there");
      expect(Buffer.from(await c.pong()).toString()).toBe("are you there");
      c.ws.close(1000, "done");
      const closed = await c.closed();
      expect(closed.code).toBe(1000);
      expect(closed.wasClean).toBe(true);
      await peer.waitLine(/^close 1000 done$/, 5000);
    } finally {
      c.ws.close();
    }
  }, 20_000);

  test("a 404 answer to an upgrade request is relayed as a normal 404", async () => {
    const upgrade = "GET /missing HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
      `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\n\r\n`;
    const r = await rawRequest(hf.port, [upgrade], { until: finalResponses(1) });
    const [res] = parseResponses(r.bytes);
    expect(res?.status).toBe(404);
    expect(res.complete).toBe(true);
    expect(res.body.toString()).toBe("no such socket\n");
  }, 10_000);

  test("a handshake is held while the peer restarts, then opens and echoes", async () => {
    peer.kill("SIGKILL");
    await peer.exited;
    const c = new WsClient(`ws://127.0.0.1:${hf.port}/echo`);
    try {
      await sleep(1500);
      peer = await startWsEcho(wsPort);
      await c.open(8000);
      c.ws.send("after the restart");
      expect(await c.take(1)).toEqual(["after the restart"]);
      c.ws.close(1000, "done");
      expect((await c.closed()).code).toBe(1000);
    } finally {
      c.ws.close();
    }
  }, 20_000);
});
