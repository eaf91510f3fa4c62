import type { Socket, SocketEvents } from "../../runtime/socket-types.ts";
import { ParseError } from "../http1/errors.ts";
import type { RequestHead } from "../http1/head.ts";
import { parseRequestHead } from "../http1/parse-request.ts";
import { endsHead, HeadBuffer } from "../http1/head-buffer.ts";
import { ClientGoneError, ProxyError } from "../errors.ts";
import { Deadline } from "./deadline.ts";
import type { BodyFeed } from "./body-feed.ts";
import { canReceiveDirect, receiveDirect } from "./direct-body.ts";
import { ownResponseHead } from "../proxy/response-head.ts";
import { reasonOf } from "../http1/reasons.ts";

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

/** Starts a request's lifecycle; called once per parsed head, in order. */
export type StartRequest = (conn: ClientConnection, head: RequestHead) => void;

/** Receives a request head parse failure for the log: status and reason. */
export type OnParseError = (conn: ClientConnection, status: number, message: string) => void;

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");

// Phases of a client connection.
const IDLE = 0, HEAD = 1, BODY = 2, BUSY = 3, TUNNEL = 4, LINGER = 5, CLOSED = 6;

// nginx lingering_time / lingering_timeout: after an early error response the
// rest of the body is read and thrown away for a while, so the client gets to
// read the response instead of a reset on a half-sent upload.
const LINGER_MS = 5000;
const LINGER_IDLE_MS = 1000;
// How long after a client's FIN a pending response may take before the
// client is probed to tell a close from a half-close.
const PROBE_DELAY_MS = 200;
// Bytes of body a read may carry with a head before the head is copied out of it.
const HEAD_COPY_SLACK = 16 * 1024;

/**
 * One client connection: reads request heads (RFC 9112 §2-5), one request at
 * a time in order (pipelined bytes wait their turn, so responses go out in
 * request order, §9.3.2), routes body bytes to the request that reads them,
 * and decides after each response whether the connection stays open
 * (keep-alive, `--keepalive-requests`, a client's half-close).
 *
 * A half-closed client (a FIN after a complete request) still gets its
 * response. A client that closes or resets is known gone at once: on a FIN
 * while its response is pending, holdfast sends an interim `100 Continue`
 * (HTTP/1.1 clients must accept unexpected 1xx, RFC 9110 §15.2), which a
 * closed socket answers with a reset; a half-closed one reads and ignores it.
 */
export class ClientConnection implements SocketEvents {
  readonly socket: Socket;
  readonly clientAddress: string;
  #phase = IDLE;
  readonly #in = new HeadBuffer();
  #requests = 0;
  #finReceived = false;
  #responseStarted = false;
  #head: RequestHead | undefined;
  #body: BodyFeed | undefined;
  #lingerUntil = 0;
  readonly #deadline: Deadline;
  /** Set by the request's lifecycle when the client sent `Connection: close`. */
  closeRequested = false;
  /** Called when the client goes away while a request is in progress. */
  onGone: ((error: Error) => void) | undefined;
  /** Called once when the connection has closed, whoever closed it. */
  onClosed: (() => void) | undefined;
  /** Called when the socket can take more bytes after {@link write} returned false. */
  onDrain: (() => void) | undefined;

  constructor(socket: Socket, readonly limits: ClientLimits, readonly start: StartRequest, readonly onParseError: OnParseError) {
    this.socket = socket;
    this.clientAddress = socket.remoteAddress;
    this.#deadline = new Deadline(this.#timedOut);
    this.#deadline.set(limits.headerTimeoutMs);
    socket.events = this;
  }

  /** The request being served, HTTP minor version: 0 or 1. */
  get minor(): number {
    return this.#head?.minor ?? 1;
  }

  /** Whether the client half-closed (sent a FIN) after its request. */
  get halfClosed(): boolean {
    return this.#finReceived;
  }

  /** Whether the connection is closed (the client left or holdfast closed it). */
  get closed(): boolean {
    return this.#phase === CLOSED;
  }

  // ---- socket events ----

  /** {@link SocketEvents.data}: a head's bytes, a body's, a pipelined request's, or a tunnel's. */
  data(bytes: Uint8Array): void {
    switch (this.#phase) {
      case IDLE:
      case HEAD: {
        const seen = this.#in.bytes.byteLength;
        this.#in.append(bytes);
        // The parser runs when the head can be complete, or is too large.
        if (seen === 0 || endsHead(this.#in.bytes, seen) || this.#in.bytes.byteLength > this.limits.maxHeadBytes) this.#parse();
        else this.#startHead();
        return;
      }
      case BODY:
        this.#feed(bytes);
        return;
      case BUSY:
        this.#in.append(bytes);
        // Pipelined requests wait; bound what waits with them.
        if (this.#in.bytes.byteLength > this.limits.maxHeadBytes) this.#pause();
        return;
      case TUNNEL:
        this.#tunnelData?.(bytes);
        return;
      case LINGER:
        if (Date.now() < this.#lingerUntil) this.#deadline.set(LINGER_IDLE_MS);
        return;
    }
  }

  /** {@link SocketEvents.end}: the client's FIN; a half-close unless it cuts a head or a body short. */
  end(): void {
    this.#finReceived = true;
    switch (this.#phase) {
      case IDLE:
        return this.#close();
      case HEAD:
        return this.#close();
      case BODY:
        return this.#body!.fail(new ClientGoneError());
      case BUSY:
        if (this.#head?.minor === 1) {
          setTimeout(this.#probe, PROBE_DELAY_MS);
          // A socket whose read side has ended may only learn of the reset
          // from a second write (EPIPE): node:net on Deno stops reading at the FIN.
          setTimeout(this.#probe, 2 * PROBE_DELAY_MS);
        }
        return;
      case TUNNEL:
        this.#tunnelEnd?.();
        return;
      case LINGER:
        return this.#close();
    }
  }

  /** {@link SocketEvents.drain}: the client took what was queued; the relay reads the peer again. */
  drain(): void {
    this.onDrain?.();
  }

  /** {@link SocketEvents.close}: the connection is gone; a request in progress learns it (499). */
  close(error?: Error): void {
    const was = this.#phase;
    this.onClosed?.();
    this.#phase = CLOSED;
    this.#deadline.stop();
    if (was === BODY) this.#body!.fail(new ClientGoneError());
    else if (was === BUSY || was === TUNNEL) this.onGone?.(error ?? new ClientGoneError());
  }

  // ---- what a request's lifecycle calls ----

  /**
   * Reads the request body through `feed` (de-chunking, counting) into its
   * sink, starting with bytes already received. Bytes after the body stay
   * for the next request.
   * @throws {ClientGoneError} when the client leaves first; {@link ProxyError}
   *   408 after `--client-body-timeout` without a byte, or what the sink or
   *   the chunked decoder threw (413, 507, 400)
   */
  readBody(feed: BodyFeed): Promise<void> {
    this.#body = feed;
    this.#phase = BODY;
    this.#deadline.set(feed.timeoutMs);
    const rest = this.#in.take();
    if (rest.byteLength > 0) this.#feed(rest);
    else if (this.#finReceived) feed.fail(new ClientGoneError());
    else if (canReceiveDirect(this.socket, feed)) this.#receiveDirect(feed);
    return feed.done;
  }

  /** Sends an interim `100 Continue` (RFC 9110 §10.1.1) before the body is read. */
  sendContinue(): void {
    this.socket.write(CONTINUE);
  }

  /** Writes a response head (an interim 1xx may come first). */
  writeHead(bytes: Uint8Array, final = true): boolean {
    if (final) this.#responseStarted = true;
    return this.socket.write(bytes);
  }

  /** Writes response body bytes. @returns false when the caller should wait for {@link onDrain} */
  write(bytes: Uint8Array): boolean {
    return this.socket.write(bytes);
  }

  /**
   * The response is complete. The next pipelined request starts, or the
   * connection waits for one (`--keepalive-timeout`), or closes after the
   * bytes are flushed when `keepAlive` is false, the client half-closed, or
   * `--keepalive-requests` is reached.
   */
  finish(keepAlive: boolean): void {
    this.onGone = undefined;
    this.onDrain = undefined;
    this.#head = undefined;
    this.#body = undefined;
    this.#responseStarted = false;
    this.closeRequested = false;
    if (this.#phase === CLOSED) return;
    if (!keepAlive || this.#requests >= this.limits.keepaliveRequests) return this.#close();
    this.#phase = IDLE;
    this.#resume();
    if (this.#in.bytes.byteLength > 0) return this.#parse();
    if (this.#finReceived) return this.#close();
    this.#deadline.set(this.limits.keepaliveTimeoutMs);
  }

  /** Whether the next response should say `Connection: close` (keep-alive ends after it). */
  get lastRequest(): boolean {
    return this.closeRequested || this.#finReceived || this.#requests >= this.limits.keepaliveRequests;
  }

  /**
   * Sends a complete response holdfast made itself, then closes with a
   * lingering close (the rest of an unread body is read and dropped for up to
   * 5 s, nginx `lingering_close`) so the client reads the response instead
   * of a reset.
   */
  respondAndClose(status: number, reason: string, body: Uint8Array, extra: [string, string][] = []): void {
    if (this.#phase === CLOSED) return;
    this.#responseStarted = true;
    const head = ownResponseHead(status, reason, [
      ["Content-Type", "text/plain; charset=utf-8"],
      ["Content-Length", String(body.byteLength)],
      ...extra,
      ["Connection", "close"],
    ]);
    this.socket.write(head);
    if (body.byteLength) this.socket.write(body);
    this.onGone = undefined;
    this.#body = undefined;
    this.#phase = LINGER;
    this.#lingerUntil = Date.now() + LINGER_MS;
    this.#resume();
    this.socket.shutdown();
    this.#deadline.set(LINGER_IDLE_MS);
  }

  /** Closes the connection when it waits between requests (shutdown). */
  closeIfIdle(): void {
    if (this.#phase === IDLE || this.#phase === HEAD && this.#in.bytes.byteLength === 0) this.#close();
  }

  /** Closes at once: a response cut short must not look complete to the client. */
  abort(): void {
    if (this.#phase === CLOSED) return;
    this.#phase = CLOSED;
    this.#deadline.stop();
    this.socket.destroy();
  }

  // Each pause or resume is a system call (epoll_ctl): only when it changes something.
  #paused = false;
  #pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.socket.pause();
  }
  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.socket.resume();
  }

  #tunnelData: ((bytes: Uint8Array) => void) | undefined;
  #tunnelEnd: (() => void) | undefined;

  /**
   * Hands the connection to a tunnel (after a 101): client bytes go to
   * `onData`, the client's FIN to `onEnd`; bytes that came after the
   * handshake are delivered first.
   */
  tunnel(onData: (bytes: Uint8Array) => void, onEnd: () => void): void {
    this.#phase = TUNNEL;
    this.#deadline.stop();
    this.#tunnelData = onData;
    this.#tunnelEnd = onEnd;
    const rest = this.#in.take();
    if (rest.byteLength) onData(rest);
    if (this.#finReceived) onEnd();
  }

  // ---- internals ----

  #startHead(): void {
    if (this.#phase !== IDLE) return;
    this.#phase = HEAD;
    this.#deadline.set(this.limits.headerTimeoutMs);
  }

  #parse(): void {
    this.#startHead();
    let head: RequestHead | null;
    try {
      head = parseRequestHead(this.#in.bytes, this.limits.maxHeadBytes);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.onParseError(this, e.status, e.message);
      this.respondAndClose(e.status, reasonOf(e.status), new TextEncoder().encode(`${e.status} ${e.message}\n`));
      return;
    }
    if (head === null) {
      if (this.#finReceived) this.#close();
      return;
    }
    // The head lives as long as its request, and its bytes are usually one
    // read's own buffer: when that read also carried a large piece of the
    // body (an upload's first read is 64-512 KiB), the head keeps a copy of
    // itself, so the rest can be freed once it is spooled.
    if (head.buf.buffer.byteLength - head.length > HEAD_COPY_SLACK) head.buf = head.buf.slice(0, head.length);
    this.#in.consume(head.length);
    this.#head = head;
    this.#requests++;
    this.#phase = BUSY;
    this.#deadline.clear();
    this.start(this, head);
  }

  #feed(bytes: Uint8Array): void {
    const feed = this.#body!;
    if (feed.failed) return;
    let used: number;
    try {
      used = feed.push(bytes);
    } catch (e) {
      feed.fail(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    this.#deadline.set(feed.timeoutMs);
    if (feed.backlog) {
      this.#pause();
      feed.backlog.then(() => this.#phase !== CLOSED && this.#resume(), () => {});
    }
    if (feed.complete) {
      this.#phase = BUSY;
      this.#deadline.clear();
      if (used < bytes.byteLength) this.#in.append(bytes.subarray(used));
      feed.succeed();
    } else if (!feed.failed && !feed.backlog && canReceiveDirect(this.socket, feed)) this.#receiveDirect(feed);
  }

  /** The rest of the body goes straight to its spool file (direct-body.ts); the socket is not read here meanwhile. */
  #receiveDirect(feed: BodyFeed): void {
    this.#pause();
    this.#deadline.clear();
    receiveDirect(this.socket, feed).then((r) => {
      if (this.#phase !== BODY || this.#body !== feed || feed.failed) return;
      if (r === "complete") {
        this.#phase = BUSY;
        feed.succeed();
        this.#resume();
      } else if (r === "fallback") {
        feed.notDirect = true;
        this.#deadline.set(feed.timeoutMs);
        this.#resume();
      } else feed.fail(r);
    });
  }

  // A FIN alone does not say whether the client closed or only half-closed.
  // A byte sent to a closed socket is answered with a reset, so an interim
  // 100 (which a 1.1 client must accept and ignore, RFC 9110 §15.2) tells the
  // two apart. It waits a little, so a quick response needs no probe.
  #probe = (): void => {
    if (this.#phase === BUSY && !this.#responseStarted) this.socket.write(CONTINUE);
  };

  #timedOut = (): void => {
    switch (this.#phase) {
      case BODY:
        return this.#body!.fail(new ProxyError(408, `Client sent nothing for --client-body-timeout ${this.#body!.timeoutMs} ms`));
      case IDLE:
      case HEAD:
      case LINGER:
        return this.#close();
    }
  };

  #close(): void {
    if (this.#phase === CLOSED) return;
    this.#phase = CLOSED;
    this.#deadline.stop();
    this.socket.end();
  }
}
