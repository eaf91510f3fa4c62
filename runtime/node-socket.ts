/**
 * A {@link Socket} over a `node:net` socket: Deno's TCP and unix sockets
 * (deno-sockets.ts), and TLS sockets on both runtimes (`node:tls`'s
 * `TLSSocket` is a `net.Socket`, tls-listen.ts and tls-connect.ts). It has
 * neither `sendFile` nor `receiveToFile`: both would bypass the socket's own
 * reads and writes, which on TLS carry the encryption.
 *
 * @module
 */
import type net from "node:net";
import type { Socket, SocketEvents } from "./socket-types.ts";

/** User-space bytes queued above which `write` returns false. */
const HIGH_WATER_BYTES = 64 * 1024;
/** After `end()` sent our FIN, how long the peer may take to send its own (nginx `lingering_timeout`). */
const LINGER_MS = 5_000;
const NO_EVENTS: SocketEvents = { data() {}, end() {}, drain() {}, close() {} };

/**
 * See the module comment; the socket must be connected (or a server-side
 * socket just accepted).
 *
 * `holdOnPause`: Deno's `node:tls` sockets read ahead whatever `pause()` says
 * (a paused one took 32 MiB), and one paused and resumed loses the peer's FIN
 * (`end` never comes; test/fixtures/socket-scenarios.ts). For them `pause()`
 * holds what arrives, FIN and close included, and `resume()` hands it on: the
 * events stay right, but nothing pushes back on the peer (README, Runtimes).
 */
export class NodeSocket implements Socket {
  events: SocketEvents = NO_EVENTS;
  readonly remoteAddress: string;
  readonly remotePort: number;
  #sock: net.Socket;
  #wantDrain = false;
  #shut = false; // shutdown() or end() called node's end(): no more writes
  #closing = false; // end() or destroy() began: the holder hears only `close` from now on
  #destroyed = false;
  #closed = false; // node's close came
  #reported = false; // ours went out
  #error?: Error;
  #linger?: ReturnType<typeof setTimeout>;
  readonly #holdOnPause: boolean;
  #paused = false; // only with holdOnPause
  #held: Uint8Array[] = [];
  #heldEnd = false;

  constructor(sock: net.Socket, opts?: { holdOnPause?: boolean }) {
    this.#sock = sock;
    this.#holdOnPause = opts?.holdOnPause === true;
    // Read now: node:net forgets them after close; a unix socket has neither.
    this.remoteAddress = sock.remoteAddress ?? "";
    this.remotePort = sock.remotePort ?? 0;
    if (this.remoteAddress) sock.setNoDelay(true);
    sock.on("data", (b: Uint8Array) => {
      if (this.#closing) return;
      // A plain Uint8Array over the Buffer's own memory: a Buffer's slice() would not copy.
      const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      if (this.#paused || this.#held.length > 0) this.#held.push(bytes);
      else this.events.data(bytes);
    });
    sock.on("end", () => {
      if (this.#closing) return;
      if (this.#paused || this.#held.length > 0) this.#heldEnd = true;
      else this.events.end();
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
      // What the holder has not read yet comes first; resume() (or a close from this side) reports it.
      if (this.#destroyed || this.#closing || (this.#held.length === 0 && !this.#heldEnd)) this.#report();
    });
  }

  #report(): void {
    if (this.#reported) return;
    this.#reported = true;
    this.events.close(this.#destroyed ? undefined : this.#error);
  }

  get bufferedBytes(): number {
    return this.#sock.writableLength;
  }

  get closed(): boolean {
    return this.#closing || this.#reported;
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
    if (this.#closing || this.#reported) return;
    this.#closing = true;
    this.#drop();
    // Reading goes on, discarded, so that the peer's FIN closes the socket (node:net's autoDestroy once
    // both sides ended), not unread bytes turned into a RST that could cut the response short.
    this.#sock.resume();
    if (!this.#shut) this.#sock.end();
    else if (this.#sock.writableFinished) this.#startLinger();
    this.#shut = true;
  }

  destroy(): void {
    if (this.#destroyed || this.#reported) return;
    this.#closing = this.#destroyed = true;
    this.#drop();
    this.#sock.destroy();
  }

  pause(): void {
    if (this.closed) return;
    if (this.#holdOnPause) this.#paused = true;
    else this.#sock.pause();
  }

  resume(): void {
    if (this.closed) return;
    if (!this.#holdOnPause) return void this.#sock.resume();
    this.#paused = false;
    // SocketEvents come from the event loop, never from inside a call of the holder's.
    if (this.#held.length > 0 || this.#heldEnd || this.#closed) queueMicrotask(() => this.#release());
  }

  // Hands on what was held while paused, in order, until the holder pauses again.
  #release(): void {
    while (!this.#paused && !this.#closing && this.#held.length > 0) this.events.data(this.#held.shift()!);
    if (this.#paused || this.#closing || this.#held.length > 0) return;
    if (this.#heldEnd) {
      this.#heldEnd = false;
      this.events.end();
    }
    if (this.#closed && !this.#paused) this.#report();
  }

  // A close from this side: what was held is dropped; a close of node's that waited for it is reported.
  #drop(): void {
    this.#held = [];
    this.#heldEnd = false;
    if (this.#closed) queueMicrotask(() => this.#report());
  }

  #startLinger(): void {
    this.#linger ??= setTimeout(() => this.#sock.destroy(), LINGER_MS);
  }
}
