/**
 * {@link SocketRuntime} for Deno, on Deno's `node:net`.
 *
 * Why `node:net` and not `Deno.listen`/`Deno.connect`: `bench/sockets.ts` on
 * Deno 2.9.5, loopback, 2 vCPUs shared with other jobs; the lowest and highest
 * of three sessions' medians (5 runs each, 512 MiB or 1 GiB one way):
 *
 * | candidate                                   | one way, MiB/s | 64-byte ping-pong, messages/s |
 * | ------------------------------------------- | -------------- | ----------------------------- |
 * | `Deno.connect`, raw (a copy per read)       | 1267-1641      | 37 300-42 500                 |
 * | `node:net`, raw                             | 1685-2176      | 37 200-42 700                 |
 * | `denoSockets` (this file, on `node:net`)    | 1689-2152      | 35 300-42 500                 |
 * | a full `SocketRuntime` on `Deno.connect`(*) | 1331-1684      | 37 400-39 400                 |
 *
 * (*) built to measure, not kept: a read loop into a 64 KiB buffer copied per
 * read, a write queue drained by one `await conn.write` loop, `closeWrite()`.
 *
 * Streams are about 25% faster on `node:net`; small messages are even. It also
 * meets the interface where `Deno.*` does not: `Deno.listen({ reusePort })`
 * exits the process (code 70) without `--unstable-net`, and `Deno.Conn.close()`
 * sends a FIN (shutdown) before closing, so a destroy with unread bytes shows
 * its peer an `end` rather than a reset. Every `data` Buffer of `node:net` on
 * Deno has an ArrayBuffer of its own (the echo scenario keeps every chunk and
 * hashes them at the end), so ownership passes as the interface says.
 *
 * @module
 */
import net from "node:net";
import { ConnectError } from "./socket-types.ts";
import { describeAddress, toConnectError } from "./connect-error.ts";
import type { Listener, ListenOptions, Socket, SocketAddress, SocketEvents, SocketRuntime } from "./socket-types.ts";

/** User-space bytes queued above which `write` returns false. */
const HIGH_WATER_BYTES = 64 * 1024;
/** After `end()` sent our FIN, how long the peer may take to send its own (nginx `lingering_timeout`). */
const LINGER_MS = 5_000;
const NO_EVENTS: SocketEvents = { data() {}, end() {}, drain() {}, close() {} };

class NodeSocket implements Socket {
  events: SocketEvents = NO_EVENTS;
  readonly remoteAddress: string;
  readonly remotePort: number;
  #sock: net.Socket;
  #wantDrain = false;
  #shut = false; // shutdown() or end() called node's end(): no more writes
  #closing = false; // end() or destroy() began: the holder hears only `close` from now on
  #destroyed = false;
  #closed = false;
  #error?: Error;
  #linger?: ReturnType<typeof setTimeout>;

  constructor(sock: net.Socket) {
    this.#sock = sock;
    // Read now: node:net forgets them after close; a unix socket has neither.
    this.remoteAddress = sock.remoteAddress ?? "";
    this.remotePort = sock.remotePort ?? 0;
    if (this.remoteAddress) sock.setNoDelay(true);
    sock.on("data", (b: Uint8Array) => {
      // A plain Uint8Array over the Buffer's own memory: a Buffer's slice() would not copy.
      if (!this.#closing) this.events.data(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    });
    sock.on("end", () => {
      if (!this.#closing) this.events.end();
    });
    sock.on("drain", () => {
      if (!this.#wantDrain || this.#closing) return;
      this.#wantDrain = false;
      this.events.drain();
    });
    sock.on("finish", () => {
      if (this.#closing) this.#startLinger();
    });
    sock.on("error", (err: Error) => (this.#error ??= err));
    sock.on("close", () => {
      if (this.#closed) return;
      this.#closed = true;
      clearTimeout(this.#linger);
      this.events.close(this.#destroyed ? undefined : this.#error);
    });
  }

  get bufferedBytes(): number {
    return this.#sock.writableLength;
  }

  get closed(): boolean {
    return this.#closing || this.#closed;
  }

  write(bytes: Uint8Array): boolean {
    if (this.#shut || this.#closing || this.#closed || this.#sock.destroyed) return false;
    // node:net's own high-water mark (16 KiB) is lower, so its `drain` comes whenever ours is due.
    this.#sock.write(bytes);
    if (this.#sock.writableLength <= HIGH_WATER_BYTES) return true;
    this.#wantDrain = true;
    return false;
  }

  shutdown(): void {
    if (this.#shut || this.#closing || this.#closed) return;
    this.#shut = true;
    this.#sock.end(); // with allowHalfOpen: FIN after the queue, reading goes on
  }

  end(): void {
    if (this.#closing || this.#closed) return;
    this.#closing = true;
    // Reading goes on, discarded, so that the peer's FIN closes the socket (node:net's autoDestroy once
    // both sides ended), not unread bytes turned into a RST that could cut the response short.
    this.#sock.resume();
    if (!this.#shut) this.#sock.end();
    else if (this.#sock.writableFinished) this.#startLinger();
    this.#shut = true;
  }

  destroy(): void {
    if (this.#destroyed || this.#closed) return;
    this.#closing = this.#destroyed = true;
    this.#sock.destroy();
  }

  pause(): void {
    if (!this.closed) this.#sock.pause();
  }

  resume(): void {
    if (!this.closed) this.#sock.resume();
  }

  #startLinger(): void {
    this.#linger ??= setTimeout(() => this.#sock.destroy(), LINGER_MS);
  }
}

/**
 * Byte sockets on Deno (`node:net`): TCP (IPv4, IPv6) and unix, half-close,
 * 64 KiB user-space high-water mark, TCP_NODELAY, SO_REUSEPORT on Linux.
 * `connect` rejects with {@link ConnectError}; a connect still pending at its
 * timeout is aborted.
 */
export const denoSockets: SocketRuntime = {
  listen(addr: SocketAddress, onAccept: (socket: Socket) => void, opts?: ListenOptions): Promise<Listener> {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: true }, (sock) => onAccept(new NodeSocket(sock)));
      server.once("error", reject);
      const where = "path" in addr ? { path: addr.path } : { host: addr.host, port: addr.port, reusePort: opts?.reusePort };
      server.listen(where, () => {
        server.off("error", reject);
        // An accept that fails (EMFILE) is node's server `error`: unheard, it would end the process.
        server.on("error", () => {});
        const bound = server.address();
        resolve({ port: typeof bound === "object" && bound ? bound.port : 0, close: () => server.close() });
      });
    });
  },

  connect(addr: SocketAddress, timeoutMs: number): Promise<Socket> {
    const where = describeAddress(addr);
    return new Promise((resolve, reject) => {
      const target = "path" in addr ? { path: addr.path } : { host: addr.host, port: addr.port };
      const sock = net.connect({ ...target, allowHalfOpen: true });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new ConnectError("timeout", `Cannot connect to "${where}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(toConnectError(err, where));
      };
      sock.once("error", onError);
      sock.once("connect", () => {
        clearTimeout(timer);
        sock.off("error", onError);
        resolve(new NodeSocket(sock));
      });
    });
  },
};
