/**
 * Byte sockets: the part of {@link Runtime} that holdfast's own HTTP/1.1
 * engine runs on. TCP and unix sockets, on Bun (`Bun.listen`/`Bun.connect`)
 * and on Deno, with the same semantics on both; TLS on either side of the
 * proxy (tls-types.ts).
 *
 * @module
 */

/**
 * What a socket reports. The runtime calls these on the event loop, never
 * re-entrantly from inside a {@link Socket} method call.
 */
export interface SocketEvents {
  /**
   * Bytes read. Ownership passes to the callee: the runtime never reuses or
   * overwrites the array afterwards, so a subarray of it may be kept.
   */
  data(bytes: Uint8Array): void;
  /**
   * The peer shut down its sending side (a FIN): no more `data` will come.
   * The socket stays writable (half-close, RFC 9112 §9.6 does not end the
   * exchange); call {@link Socket.end} or {@link Socket.destroy} to close it.
   */
  end(): void;
  /** Everything queued by {@link Socket.write} has been handed to the kernel, after a write returned false. */
  drain(): void;
  /**
   * The socket is closed, for whatever reason; called exactly once, last.
   * `error` is set when it broke (ECONNRESET, EPIPE, a timeout of the OS),
   * undefined after an orderly close.
   */
  close(error?: Error): void;
}

/** A connected TCP or unix socket. */
export interface Socket {
  /** Receives this socket's events; may be replaced at any time (a pooled peer connection changes hands). */
  events: SocketEvents;
  /** The peer's IP address (`127.0.0.1`, `::1`), or `""` for a unix socket. */
  readonly remoteAddress: string;
  /** The peer's port, 0 for a unix socket. */
  readonly remotePort: number;
  /**
   * Queues `bytes` for sending (the array must not be changed afterwards).
   * @returns false when more than the high-water mark (64 KiB) is now queued
   *   in user space: the caller should stop producing until `drain`.
   *   Writing on a closed socket does nothing and returns false.
   */
  write(bytes: Uint8Array): boolean;
  /**
   * Sends up to `length` bytes of the open file `fd` from `offset` straight
   * from the kernel's page cache (sendfile(2)), when nothing is queued in
   * user space. Absent where the runtime cannot do it (Deno).
   * @returns the bytes the kernel took; 0 when it took none (the socket's
   *   buffer is full, bytes are queued, or sendfile failed): the caller then
   *   sends the next piece with {@link write}, whose `drain` tells when to
   *   try again, and which reports a broken socket as usual
   */
  sendFile?(fd: number, offset: number, length: number): number;
  /**
   * Moves exactly `length` request-body bytes from the socket into the open
   * file `fd` (appending at its offset) off the JavaScript thread, with no
   * `data` event for them. Call it with the socket paused (it stays paused;
   * resume to read on). Absent where the runtime cannot (Deno).
   * @param idleMs longest wait for the next byte, in ms
   */
  receiveToFile?(fd: number, length: number, idleMs: number): Promise<ReceiveResult>;
  // Both are absent on a TLS socket: they move raw bytes past the encryption.
  /** Bytes queued in user space and not yet taken by the kernel. */
  readonly bufferedBytes: number;
  /** Half-close: sends a FIN once queued bytes are flushed; reading goes on. */
  shutdown(): void;
  /** Flushes queued bytes, then closes both directions; `close` follows. */
  end(): void;
  /** Closes at once, dropping queued bytes; `close` follows (without an error). */
  destroy(): void;
  /** Stops reading (the kernel's buffers then push back on the peer). */
  pause(): void;
  /** Starts reading again after {@link pause}. */
  resume(): void;
  /** Whether `close` has been reported (or destroy/end has begun). */
  readonly closed: boolean;
}

/**
 * How {@link Socket.receiveToFile} ended. `error` is undefined when all
 * bytes arrived; else `eof` (the client closed or half-closed early),
 * `reset` (the connection broke), `timeout` (no byte within `idleMs`),
 * `write` (the file could not be written: `code` ENOSPC or EDQUOT when
 * the disk is full) or `unavailable` (the runtime cannot do it now: with `received`
 * 0 nothing was read and the caller reads the body itself).
 */
export interface ReceiveResult {
  /** Bytes written to the file; -1 when unknown (the receiver failed mid-way). */
  received: number;
  error?: "eof" | "reset" | "timeout" | "write" | "unavailable";
  /** The error code of a `reset` or `write`, as node:fs names it (`ENOSPC`, `ECONNRESET`). */
  code?: string;
  message?: string;
}

export type { CertificateFacts, CertificateTools, ClientTls, KeyPair, ServerCertificates, ServerTls } from "./tls-types.ts";
import type { ClientTls, ServerCertificates, ServerTls } from "./tls-types.ts";

/** Where to listen or connect: a TCP host and port, or a unix socket path. */
export type SocketAddress = { host: string; port: number } | { path: string };

/** A listening socket. */
export interface Listener {
  /** The bound TCP port (the one chosen when 0 was asked), 0 for a unix socket. */
  readonly port: number;
  /** Stops accepting; connections already accepted go on. */
  close(): void;
  /**
   * Serves `certificates` to connections accepted from now on; those already
   * accepted keep theirs (a SIGHUP's reload). Present on TLS listeners only.
   */
  setCertificates?(certificates: ServerCertificates): void;
}

/** Options for {@link SocketRuntime.listen}. */
export interface ListenOptions {
  /** SO_REUSEPORT, so several processes can share the port (a later `--workers`). */
  reusePort?: boolean;
  /** Terminates TLS on every accepted connection: `onAccept` gets the socket once its handshake is done. */
  tls?: ServerTls;
}

/** Why a connect failed. `refused`: nothing reached the peer; `timeout`: no connection within the time given. */
export class ConnectError extends Error {
  override name = "ConnectError";
  /**
   * @param kind `refused` (ECONNREFUSED, ENOENT for a unix path, unreachable,
   *   unresolvable), `timeout`, or `tls`: the TCP connection was made but the
   *   TLS handshake failed (an untrusted or mismatching certificate, a peer
   *   that does not speak TLS); nothing of a request was sent in any case
   */
  constructor(readonly kind: "refused" | "timeout" | "tls", message: string) {
    super(message);
  }
}

/** Socket operations a runtime provides. */
export interface SocketRuntime {
  /**
   * Listens on `addr` and calls `onAccept` for each new connection, with
   * TCP_NODELAY set; the callee sets `socket.events` before returning.
   * Rejects when the address cannot be bound (EADDRINUSE, EACCES).
   */
  listen(addr: SocketAddress, onAccept: (socket: Socket) => void, opts?: ListenOptions): Promise<Listener>;
  /**
   * Connects to `addr` with TCP_NODELAY set, within `timeoutMs` ms (the TLS
   * handshake included when `tls` is given: the socket comes back ready).
   * `events` starts as no-ops: set it before the next turn of the event loop.
   * @throws {ConnectError} refused, timeout, or tls (the handshake failed)
   */
  connect(addr: SocketAddress, timeoutMs: number, tls?: ClientTls): Promise<Socket>;
}
