/**
 * {@link SocketRuntime} on `Bun.listen`/`Bun.connect`. Bun's `write` takes
 * what the kernel takes and returns that count, so the rest is queued here and
 * flushed on Bun's `drain`; every Bun socket is `allowHalfOpen`, so a peer's FIN
 * is reported as `end` and our side stays writable.
 *
 * @module
 */
import { ConnectError } from "./socket-types.ts";
import { describeAddress, toConnectError } from "./connect-error.ts";
import type { Listener, ListenOptions, ReceiveResult, Socket, SocketAddress, SocketEvents, SocketRuntime } from "./socket-types.ts";
import { libc } from "./bun-libc.ts";
import { canReceive, receive } from "./bun-receiver.ts";
import { listenTls } from "./tls-listen.ts";
import { isIpAddress, trustOf } from "./tls-trust.ts";
import type { ClientTls } from "./tls-types.ts";

/** User-space bytes queued above which `write` returns false. */
const HIGH_WATER_BYTES = 64 * 1024;
/** After `end()` sent our FIN, how long the peer may take to send its own (nginx `lingering_timeout`). */
const LINGER_MS = 5_000;
const NO_EVENTS: SocketEvents = { data() {}, end() {}, drain() {}, close() {} };

type Raw = Bun.Socket<BunSocket | undefined>;

class BunSocket implements Socket {
  events: SocketEvents = NO_EVENTS;
  readonly remoteAddress: string;
  readonly remotePort: number;
  #raw: Raw;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #wantDrain = false;
  #finAfterFlush = false; // shutdown() or end() asked for a FIN
  #finSent = false;
  #peerEnded = false;
  #closing = false; // end() or destroy() began: the holder hears only `close` from now on
  #destroyed = false;
  #closed = false;
  #depth = 0; // > 0 while inside one of our methods: Bun may call back synchronously there
  #linger?: ReturnType<typeof setTimeout>;

  constructor(raw: Raw) {
    this.#raw = raw;
    raw.data = this;
    // A unix socket has no address or port; Bun leaves them undefined.
    this.remoteAddress = raw.remoteAddress ?? "";
    this.remotePort = raw.remotePort ?? 0;
    if (this.remoteAddress) raw.setNoDelay(true);
  }

  get bufferedBytes(): number {
    return this.#queuedBytes;
  }

  get closed(): boolean {
    return this.#closing || this.#closed;
  }

  write(bytes: Uint8Array): boolean {
    if (this.#closing || this.#closed || this.#finAfterFlush) return false;
    if (this.#queue.length === 0 && bytes.byteLength > 0) {
      // The guard, inline: a closure per write shows in small-request profiles.
      let taken: number;
      this.#depth++;
      try {
        taken = this.#raw.write(bytes);
      } finally {
        this.#depth--;
      }
      if (taken < 0) return false; // closed under us: Bun's close callback follows
      if (taken === bytes.byteLength) return true;
      bytes = bytes.subarray(taken);
    }
    if (bytes.byteLength > 0) {
      this.#queue.push(bytes);
      this.#queuedBytes += bytes.byteLength;
    }
    if (this.#queuedBytes <= HIGH_WATER_BYTES) return true;
    this.#wantDrain = true;
    return false;
  }

  /** The socket's descriptor (bun-types does not list the socket's `fd`, which Bun 1.4 has). */
  protected get rawFd(): number {
    return (this.#raw as unknown as { fd: number }).fd;
  }

  /** Whether bytes may go to the kernel past this class's queue now: nothing queued, no FIN asked for, open. */
  protected get sendable(): boolean {
    return this.#queue.length === 0 && !this.#closing && !this.#closed && !this.#finAfterFlush;
  }

  /** Called as this side begins to close (end, destroy), before anything else. */
  protected beforeClose(): void {}

  shutdown(): void {
    if (this.#closing || this.#closed || this.#finAfterFlush) return;
    this.#finAfterFlush = true;
    this.#guard(() => this.#flush());
  }

  end(): void {
    if (this.#closing || this.#closed) return;
    this.beforeClose();
    this.#closing = true;
    this.#finAfterFlush = true;
    this.#guard(() => {
      // Reading goes on, discarded, so that a FIN (or the 5 s bound) ends the linger, not unread bytes turned into a RST.
      this.#raw.resume();
      if (this.#finSent) this.#startLinger();
      else this.#flush();
    });
  }

  destroy(): void {
    if (this.#destroyed || this.#closed) return;
    this.beforeClose();
    this.#closing = this.#destroyed = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    // Bun's end() is close(2) (FIN, or RST when bytes are unread); terminate() would always reset.
    this.#guard(() => this.#raw.end());
  }

  pause(): void {
    if (!this.closed) this.#raw.pause();
  }

  resume(): void {
    if (!this.closed) this.#raw.resume();
  }

  #guard<T>(fn: () => T): T {
    this.#depth++;
    try {
      return fn();
    } finally {
      this.#depth--;
    }
  }

  // SocketEvents promises no event from inside one of our own method calls.
  #emit(fn: () => void): void {
    if (this.#depth > 0) queueMicrotask(fn);
    else fn();
  }

  #flush(): void {
    if (this.#destroyed || this.#closed) return;
    while (this.#queue.length > 0) {
      const head = this.#queue[0];
      const taken = this.#raw.write(head);
      if (taken < 0) return;
      this.#queuedBytes -= taken;
      if (taken < head.byteLength) {
        this.#queue[0] = head.subarray(taken);
        return;
      }
      this.#queue.shift();
    }
    if (this.#finAfterFlush && !this.#finSent) {
      this.#finSent = true;
      // Both FINs make Bun close the socket, so once the peer has ended, shutting down is the orderly close.
      this.#raw.shutdown();
      if (this.#closing) this.#startLinger();
    }
    if (this.#wantDrain && !this.#closing) {
      this.#wantDrain = false;
      this.#emit(() => this.events.drain());
    }
  }

  #startLinger(): void {
    this.#linger ??= setTimeout(() => this.#raw.end(), LINGER_MS);
  }

  #onData(bytes: Uint8Array): void {
    if (this.#closing || this.#closed) return;
    // #emit without its closure on the usual path (Bun calls this from its event loop, not from inside our methods).
    if (this.#depth > 0) queueMicrotask(() => this.events.data(bytes));
    else this.events.data(bytes);
  }

  #onEnd(): void {
    if (this.#closed || this.#peerEnded) return;
    this.#peerEnded = true;
    // While end() still flushes, the flush's FIN completes the close; after our FIN, both are in.
    if (this.#closing) {
      if (this.#finSent && !this.#destroyed) this.#guard(() => this.#raw.end());
    } else this.#emit(() => this.events.end());
  }

  #onClose(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#linger);
    this.#queue = [];
    this.#queuedBytes = 0;
    // Bun skips its `end` callback when the peer's FIN completes a close we half-began with shutdown().
    const missedEnd = !error && !this.#closing && !this.#peerEnded;
    const reported = this.#destroyed ? undefined : error;
    this.#emit(() => {
      if (missedEnd) this.events.end();
      this.events.close(reported);
    });
  }

  /**
   * Bun callbacks shared by every socket; `open` differs between listen and
   * connect, `handshake` is a TLS connect's (with it, Bun calls `open` before
   * the handshake).
   */
  static handler(
    open: (raw: Raw) => void,
    handshake?: (raw: Raw, ok: boolean, error: Error | null) => void,
  ): Bun.SocketHandler<BunSocket | undefined> {
    return {
      // Present only for TLS: with a handshake callback Bun changes when `open` comes.
      ...(handshake ? { handshake } : {}),
      // Plain Uint8Arrays, each its own (Bun copies every read): a Buffer's slice() would not copy.
      binaryType: "uint8array",
      open,
      data: (raw, bytes) => raw.data && raw.data.#onData(bytes),
      end: (raw) => raw.data && raw.data.#onEnd(),
      drain: (raw) => raw.data && raw.data.#flush(),
      close: (raw, error) => raw.data && raw.data.#onClose(error),
      connectError: () => {}, // Bun.connect rejects as well; connect() maps that
    };
  }
}

/**
 * A plain TCP or unix socket, which also moves file bytes in the kernel:
 * sendfile(2) out of a spool file, and the receiver thread into one. A TLS
 * socket is a {@link BunSocket} without them: they would skip the encryption.
 */
class BunTcpSocket extends BunSocket {
  #receiving = false; // the receiver thread reads this socket

  sendFile(fd: number, offset: number, length: number): number {
    // Bytes still queued here must reach the kernel first; so must a FIN asked for.
    if (!libc || !this.sendable) return 0;
    const sent = libc.sendFile(this.rawFd, fd, offset, length);
    return sent > 0 ? sent : 0;
  }

  receiveToFile(fd: number, length: number, idleMs: number): Promise<ReceiveResult> {
    if (!canReceive || this.closed) return Promise.resolve({ received: 0, error: "unavailable" });
    this.#receiving = true;
    return receive(this.rawFd, fd, length, idleMs).finally(() => (this.#receiving = false));
  }

  // The receiver thread holds its own descriptor of this socket: on a close
  // from this side it must see end-of-file at once, not wait for the client.
  protected override beforeClose(): void {
    if (this.#receiving) libc!.shutdownRead(this.rawFd);
  }
}

/**
 * Byte sockets on Bun: TCP (IPv4, IPv6) and unix, half-close, 64 KiB
 * user-space high-water mark, TCP_NODELAY. `reusePort` is Bun's SO_REUSEPORT
 * (Linux). `connect` rejects with {@link ConnectError}; a connect that
 * completes after its timeout is closed at once. TLS listeners are
 * `node:tls` ones (tls-listen.ts: `Bun.listen` has no SNI and cannot change
 * its certificate); TLS connections to peers are Bun's own (`Bun.connect`
 * with `tls`), {@link BunSocket}s without the kernel file paths.
 */
export const bunSockets: SocketRuntime = {
  listen(addr: SocketAddress, onAccept: (socket: Socket) => void, opts?: ListenOptions): Promise<Listener> {
    if (opts?.tls) return listenTls(addr, onAccept, opts.tls, opts.reusePort);
    const socket = BunSocket.handler((raw) => onAccept(new BunTcpSocket(raw)));
    // bun-types lists reusePort for Bun.connect only, but Bun.listen honours it too (SO_REUSEPORT).
    const where = "path" in addr ? { unix: addr.path } : { hostname: addr.host, port: addr.port, reusePort: opts?.reusePort };
    // The executor turns Bun.listen's throw (EADDRINUSE, EACCES) into a rejection.
    return new Promise((resolve) => {
      const server = Bun.listen({ ...where, allowHalfOpen: true, socket } as Bun.TCPSocketListenOptions<BunSocket | undefined>);
      resolve({ port: "path" in addr ? 0 : server.port, close: () => server.stop(false) });
    });
  },

  async connect(addr: SocketAddress, timeoutMs: number, tls?: ClientTls): Promise<Socket> {
    const name = describeAddress(addr);
    // With TLS the socket is ready once the handshake verified the peer: `open` comes before it.
    const handshake = tls ? Promise.withResolvers<void>() : undefined;
    const socket = tls
      ? BunSocket.handler((raw) => {
        const s = new BunSocket(raw);
        s.events = { ...NO_EVENTS, close: (e) => handshake!.reject(new ConnectError("tls", tlsFailure(name, e?.message ?? "closed"))) };
      }, (raw, ok, error) => {
        // Bun reports an unverified peer as not ok even when told not to reject it (verify off).
        if (ok || !tls.verify) return handshake!.resolve();
        handshake!.reject(new ConnectError("tls", tlsFailure(name, error?.message ?? "not authorized")));
        raw.data?.destroy();
      })
      : BunSocket.handler((raw) => void new BunTcpSocket(raw));
    const where = "path" in addr ? { unix: addr.path } : { hostname: addr.host, port: addr.port };
    const pending = Bun.connect(
      { ...where, allowHalfOpen: true, socket, ...(tls ? { tls: bunClientTls(tls) } : {}) } as Bun.TCPSocketConnectOptions<
        BunSocket | undefined
      >,
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ConnectError("timeout", `Cannot connect to "${name}" within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const raw = await Promise.race([pending, timeout]);
      if (handshake) {
        await Promise.race([handshake.promise, timeout]);
        raw.data!.events = NO_EVENTS;
      }
      return raw.data!;
    } catch (err) {
      if (!(err instanceof ConnectError)) throw toConnectError(err, name);
      // Bun.connect cannot be aborted: close the socket should it still connect.
      pending.then((raw) => raw.data?.destroy(), () => {});
      throw err;
    } finally {
      clearTimeout(timer);
    }
  },
};

const tlsFailure = (name: string, why: string) => `TLS handshake with "${name}" failed: ${why}`;

/**
 * Bun's TLS options for a peer: SNI and the name checked are `serverName`.
 * Left out, Bun sends the connect address as SNI, an IP included; `""` sends
 * none and still checks the certificate against the address.
 */
function bunClientTls(t: ClientTls): Bun.TLSOptions {
  return { serverName: isIpAddress(t.serverName) ? "" : t.serverName, ca: trustOf(t), rejectUnauthorized: t.verify };
}
