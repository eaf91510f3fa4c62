/**
 * Sending a request on a peer connection (RFC 9112 §2-6): a head with no
 * body or a small one in one write, else the head and then the body, from
 * memory or replayed from its spool file (replay.ts), piece by piece as the
 * peer takes it (`--send-timeout`, nginx `proxy_send_timeout`, between two
 * writes it accepted). When the request is sent the exchange waits for the
 * response head (phase HEAD, `--read-timeout`).
 *
 * Functions of the exchange's state (exchange-state.ts); Exchange calls
 * them, for src/transport/ only.
 *
 * @module
 */
import { type ExchangeState, HEAD, SEND } from "./exchange-state.ts";
import { replaySpool } from "./replay.ts";
import type { BodyStream } from "./types.ts";

// A head and body up to this many bytes go out as one write, one segment.
const SMALL_BYTES = 16384;

/**
 * Sends a request with no body or a small one in one write, without an
 * async function's promise per request.
 * @returns false when the body needs {@link sendLarge}
 */
export function sendSmall(ex: ExchangeState): boolean {
  const b = ex.input.body;
  const head = ex.input.head;
  if (b.kind === "file" || b.kind === "stream" || (b.kind === "bytes" && b.bytes.byteLength + head.byteLength > SMALL_BYTES)) return false;
  ex.wroteAny = true;
  if (b.kind === "none" || b.bytes.byteLength === 0) ex.conn.socket.write(head);
  else {
    const one = new Uint8Array(head.byteLength + b.bytes.byteLength);
    one.set(head);
    one.set(b.bytes, head.byteLength);
    ex.conn.socket.write(one);
  }
  // The send may have ended inside the write: an error or a response reported at once.
  if (ex.phase !== SEND) return true;
  ex.sent = true;
  ex.phase = HEAD;
  ex.deadline.set(ex.input.readTimeoutMs);
  return true;
}

/**
 * Sends the head, then a large body from memory or the spool file, piece by
 * piece as the socket takes it. Never rejects: a spool file that cannot be
 * read fails the exchange ("reset"), and an exchange that ended meanwhile
 * (an early response, a timeout, the client gone) stops the sending.
 */
export async function sendLarge(ex: ExchangeState): Promise<void> {
  const s = ex.conn.socket;
  const b = ex.input.body;
  ex.wroteAny = true;
  ex.deadline.set(ex.input.sendTimeoutMs);
  s.write(ex.input.head);
  if (b.kind === "bytes" && !(await write(ex, b.bytes))) return;
  if (b.kind === "stream" && !(await sendStream(ex, b.stream))) return;
  if (b.kind === "file") {
    try {
      ex.spool = await ex.input.openSpool(b.path);
      const sending = {
        socket: s,
        write: (bytes: Uint8Array) => write(ex, bytes),
        progressed: () => ex.deadline.set(ex.input.sendTimeoutMs),
        sending: () => ex.phase === SEND,
      };
      if (!(await replaySpool(sending, ex.spool, b.size))) return;
    } catch (e) {
      if (ex.phase === SEND) ex.fail("reset", `Cannot replay the spool file: ${(e as Error).message}`);
      return;
    } finally {
      ex.spool?.close().catch(() => {});
    }
  }
  if (ex.phase !== SEND) return;
  ex.sent = true;
  ex.phase = HEAD;
  ex.deadline.set(ex.input.readTimeoutMs);
}

const CRLF = new Uint8Array([13, 10]);
const LAST_CHUNK = new Uint8Array([48, 13, 10, 13, 10]);
const ENCODER = new TextEncoder();

/**
 * Sends a body as the client sends it (`buffer-request=off`), in chunks of
 * its own when the client's was chunked (RFC 9112 §7.1; extensions and
 * trailers are not passed on). `--send-timeout` runs only while the peer
 * holds bytes back: waiting for the client is `--client-body-timeout`'s.
 * A client body that fails (it left, 408, 413) fails the exchange; the
 * lifecycle answers with that error, not a 502.
 * @returns false when the exchange ended meanwhile
 */
async function sendStream(ex: ExchangeState, body: BodyStream): Promise<boolean> {
  for (;;) {
    ex.deadline.clear();
    let bytes: Uint8Array | null;
    try {
      bytes = await body.read();
    } catch (e) {
      if (ex.phase === SEND) ex.fail("reset", `The client's body ended early: ${(e as Error).message}`);
      return false;
    }
    if (ex.phase !== SEND) return false;
    ex.deadline.set(ex.input.sendTimeoutMs);
    if (bytes === null) return !body.chunked || await write(ex, LAST_CHUNK);
    if (body.chunked) {
      ex.conn.socket.write(ENCODER.encode(`${bytes.byteLength.toString(16)}\r\n`));
      ex.conn.socket.write(bytes);
      if (!(await write(ex, CRLF))) return false;
    } else if (!(await write(ex, bytes))) return false;
  }
}

/** Writes and waits for the socket to drain when it is full. @returns false when the exchange ended meanwhile */
async function write(ex: ExchangeState, bytes: Uint8Array): Promise<boolean> {
  if (ex.conn.socket.write(bytes)) return ex.phase === SEND;
  await new Promise<void>((resolve) => (ex.drainWaiter = resolve));
  return ex.phase === SEND;
}
