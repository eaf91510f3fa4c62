/**
 * The state of one client connection, and the few moves on it that every
 * part of the connection makes: pause, resume, the ways it closes, what a
 * passing deadline does.
 *
 * ClientConnection (client-conn.ts) extends it with the socket
 * events and what a request's lifecycle calls; the rarer turns live next
 * to it and work on this state: client-body.ts (a request body),
 * own-response.ts (holdfast's own responses and the lingering close),
 * half-close.ts (a FIN while a response is pending), tunnel-handoff.ts
 * (after a 101). Members under "for src/engine/ only" are public so that
 * those modules can reach them, not for the rest of holdfast, which uses
 * what ClientConnection documents. They are fields of the connection itself,
 * not of an object it points to: the per-request path reads them directly.
 *
 * @module
 */
import type { Socket } from "../../runtime/socket-types.ts";
import type { RequestHead } from "../http1/head.ts";
import { HeadBuffer } from "../http1/head-buffer.ts";
import { ProxyError } from "../errors.ts";
import { Deadline } from "./deadline.ts";
import type { BodyFeed } from "./body-feed.ts";

/**
 * Phases of a client connection ({@link ConnectionState.phase}): between
 * requests, reading a head, reading a body, waiting for the response,
 * relaying a tunnel, lingering after an own response, closed.
 */
export const IDLE = 0, HEAD = 1, BODY = 2, BUSY = 3, TUNNEL = 4, LINGER = 5, CLOSED = 6;

/** The limits of a client connection, from the command line. Times in ms, sizes in bytes. */
export interface ClientLimits {
  /** `--max-header-size` (nginx `large_client_header_buffers`): 414 / 431 past it. */
  maxHeadBytes: number;
  /** `--client-header-timeout` (nginx `client_header_timeout`): a head must be complete within it. */
  headerTimeoutMs: number;
  /** `--keepalive-timeout` (nginx `keepalive_timeout`): idle time between requests. */
  keepaliveTimeoutMs: number;
  /** `--keepalive-requests` (nginx `keepalive_requests`): requests per connection. */
  keepaliveRequests: number;
}

/** A client connection's state; see the module comment for who reads what. */
export abstract class ConnectionState {
  /** The client's socket; its events come to the connection. */
  readonly socket: Socket;
  /** The client's address, as the socket reported it on accept (for the log and `X-Forwarded-For`). */
  readonly clientAddress: string;
  /** Set by the request's lifecycle when the client sent `Connection: close`. */
  closeRequested = false;
  /** Called when the client goes away while a request is in progress. */
  onGone: ((error: Error) => void) | undefined;
  /** Called once when the connection has closed, whoever closed it. */
  onClosed: (() => void) | undefined;
  /** Called when the socket can take more bytes after `write` returned false. */
  onDrain: (() => void) | undefined;

  // ---- for src/engine/ only ----

  /** One of {@link IDLE} .. {@link CLOSED}: what a read, a FIN or a timeout means now. */
  phase = IDLE;
  /** Bytes read and not used yet: a head coming in, or pipelined requests waiting their turn. */
  readonly input = new HeadBuffer();
  /** Requests started on this connection, against `--keepalive-requests`. */
  requests = 0;
  /** Whether the client sent its FIN. */
  finReceived = false;
  /** Whether the final response head went out: from then on no probe may be written (half-close.ts). */
  responseStarted = false;
  /** The head of the request being served. */
  head: RequestHead | undefined;
  /** The body being read, in phase {@link BODY} (client-body.ts). */
  body: BodyFeed | undefined;
  /** Epoch ms after which a lingering close stops reading (own-response.ts). */
  lingerUntil = 0;
  /** Where client bytes go in phase {@link TUNNEL} (tunnel-handoff.ts). */
  tunnelData: ((bytes: Uint8Array) => void) | undefined;
  /** Where the client's FIN goes in phase {@link TUNNEL}. */
  tunnelEnd: (() => void) | undefined;
  /** The one timer of the connection: header, body, keep-alive or lingering timeout, as the phase says. */
  readonly deadline: Deadline;

  constructor(socket: Socket, readonly limits: ClientLimits) {
    this.socket = socket;
    this.clientAddress = socket.remoteAddress;
    this.deadline = new Deadline(this.#timedOut);
  }

  /** The request being served, HTTP minor version: 0 or 1. */
  get minor(): number {
    return this.head?.minor ?? 1;
  }

  /** Whether the client half-closed (sent a FIN) after its request. */
  get halfClosed(): boolean {
    return this.finReceived;
  }

  /** Whether the connection is closed (the client left or holdfast closed it). */
  get closed(): boolean {
    return this.phase === CLOSED;
  }

  // Each pause or resume is a system call (epoll_ctl): only when it changes something.
  #paused = false;

  /** Stops reading the socket (for src/engine/ only). */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.socket.pause();
  }

  /** Reads the socket again after {@link pause} (for src/engine/ only). */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.socket.resume();
  }

  /** Closes the connection when it waits between requests (shutdown). */
  closeIfIdle(): void {
    if (this.phase === IDLE || this.phase === HEAD && this.input.bytes.byteLength === 0) this.closeGracefully();
  }

  /** Closes at once: a response cut short must not look complete to the client. */
  abort(): void {
    if (this.phase === CLOSED) return;
    this.phase = CLOSED;
    this.deadline.stop();
    this.socket.destroy();
  }

  /** Closes once, after the queued bytes are flushed (a FIN, not a reset); for src/engine/ only. */
  closeGracefully(): void {
    if (this.phase === CLOSED) return;
    this.phase = CLOSED;
    this.deadline.stop();
    this.socket.end();
  }

  #timedOut = (): void => {
    switch (this.phase) {
      case BODY:
        return this.body!.fail(new ProxyError(408, `Client sent nothing for --client-body-timeout ${this.body!.timeoutMs} ms`));
      case IDLE:
      case HEAD:
      case LINGER:
        return this.closeGracefully();
    }
  };
}
