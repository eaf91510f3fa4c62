/**
 * ClientConnection with a socket that can receive straight into a file
 * (`Socket.receiveToFile`, Bun's receiver thread): when it is asked, what
 * is counted, what a fallback and each outcome become. The socket is fake;
 * test/unit/sockets.test.ts and the e2e tests run the real thread.
 */
import { describe, expect, test } from "bun:test";
import type { ReceiveResult } from "../../runtime/socket-types.ts";
import { FakeSocket } from "../fixtures/fake-socket.ts";
import { ClientConnection } from "../../src/engine/client-conn.ts";
import { BodyFeed, type BodySink } from "../../src/engine/body-feed.ts";
import { ClientGoneError, ProxyError } from "../../src/errors.ts";

const enc = new TextEncoder();
const MIB = 1024 * 1024;

/** A fake socket whose receiveToFile answers with `result` and records its calls. */
class ReceivingSocket extends FakeSocket {
  calls: { fd: number; length: number }[] = [];
  paused = false;
  constructor(readonly result: (length: number) => ReceiveResult) {
    super();
  }
  receiveToFile(fd: number, length: number): Promise<ReceiveResult> {
    this.calls.push({ fd, length });
    return Promise.resolve(this.result(length));
  }
  override pause(): void {
    this.paused = true;
  }
  override resume(): void {
    this.paused = false;
  }
}

/** A sink that keeps what it is given and hands out fd 42 (or null). */
function sink(fd: number | null) {
  const s = { bytes: 0, direct: 0, directCalls: 0 };
  const impl: BodySink = {
    backlog: null,
    data: (b) => void (s.bytes += b.byteLength),
    direct: () => (s.directCalls++, Promise.resolve(fd)),
    wroteDirect: (n) => void (s.direct += n),
  };
  return { s, impl };
}

/** A connection that has read the head of a POST declaring `declared` bytes; `first` body bytes came with it. */
function post(sock: ReceivingSocket, declared: number, first: number, fd: number | null) {
  const { s, impl } = sink(fd);
  let feed!: BodyFeed;
  let done!: Promise<void>;
  const conn: ClientConnection = new ClientConnection(
    sock,
    { maxHeadBytes: 65536, headerTimeoutMs: 60_000, keepaliveTimeoutMs: 60_000, keepaliveRequests: 100 },
    () => {
      feed = new BodyFeed({ kind: "length", bytes: declared }, impl, 1000, 65536);
      done = conn.readBody(feed);
    },
    () => {},
  );
  const head = enc.encode(`POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: ${declared}\r\n\r\n`);
  const wire = new Uint8Array(head.byteLength + first);
  wire.set(head);
  sock.events.data(wire);
  return { conn, s, feed: () => feed, done: () => done };
}

describe("a large Content-Length body and Socket.receiveToFile", () => {
  test("the rest past the first read goes to the file: counted, complete, the socket resumed", async () => {
    const sock = new ReceivingSocket((length) => ({ received: length }));
    const p = post(sock, 5 * MIB, 64 * 1024, 42);
    await p.done();
    expect(sock.calls).toEqual([{ fd: 42, length: 5 * MIB - 64 * 1024 }]);
    expect(p.s.bytes).toBe(64 * 1024);
    expect(p.s.direct).toBe(5 * MIB - 64 * 1024);
    expect(p.feed().complete).toBe(true);
    expect(sock.paused).toBe(false);
    p.conn.abort();
  });

  test("a body with less than 1 MiB to come is read here", async () => {
    const sock = new ReceivingSocket((length) => ({ received: length }));
    const p = post(sock, MIB + 100, 200, 42);
    sock.events.data(new Uint8Array(MIB - 100));
    await p.done();
    expect(sock.calls).toEqual([]);
    expect(p.s.bytes).toBe(MIB + 100);
    p.conn.abort();
  });

  test("a sink with no file (the body fits in memory) is asked once, then the body is read here to its end", async () => {
    const sock = new ReceivingSocket((length) => ({ received: length }));
    const p = post(sock, 4 * MIB, 1000, null);
    await Promise.resolve();
    await Promise.resolve();
    for (let i = 0; i < 4 && !p.feed().complete; i++) sock.events.data(new Uint8Array(Math.min(MIB, 4 * MIB - 1000 - i * MIB)));
    await p.done();
    expect(p.s.directCalls).toBe(1);
    expect(sock.calls).toEqual([]);
    expect(p.s.bytes).toBe(4 * MIB);
    expect(sock.paused).toBe(false);
    p.conn.abort();
  });

  test("a receiver that could not start reads nothing: the body is read here", async () => {
    const sock = new ReceivingSocket(() => ({ received: 0, error: "unavailable" }));
    const p = post(sock, 2 * MIB, 0, 42);
    for (let i = 0; i < 10 && sock.calls.length === 0; i++) await Promise.resolve();
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(sock.paused).toBe(false);
    sock.events.data(new Uint8Array(2 * MIB));
    await p.done();
    expect(sock.calls.length).toBe(1);
    expect(p.s.bytes).toBe(2 * MIB);
    p.conn.abort();
  });

  const outcomes: [ReceiveResult, (e: unknown) => void][] = [
    [{ received: 1000, error: "eof" }, (e) => expect(e).toBeInstanceOf(ClientGoneError)],
    [{ received: 0, error: "reset", code: "ECONNRESET" }, (e) => expect(e).toBeInstanceOf(ClientGoneError)],
    [{ received: 10, error: "timeout" }, (e) => expect((e as ProxyError).status).toBe(408)],
    [{ received: 10, error: "write", code: "ENOSPC" }, (e) => expect((e as ProxyError).status).toBe(507)],
    [{ received: 10, error: "write", code: "EDQUOT" }, (e) => expect((e as ProxyError).status).toBe(507)],
    [{ received: 10, error: "write", code: "EIO" }, (e) => expect((e as ProxyError).status).toBe(500)],
    [{ received: -1, error: "unavailable", message: "thread died" }, (e) => expect((e as ProxyError).status).toBe(500)],
  ];
  for (const [result, check] of outcomes) {
    test(`${result.error} (${result.code ?? "no code"}) ends the body with the right error`, async () => {
      const sock = new ReceivingSocket(() => result);
      const p = post(sock, 3 * MIB, 0, 42);
      let caught: unknown;
      await p.done().catch((e) => (caught = e));
      check(caught);
      expect(p.s.direct).toBe(Math.max(0, result.received));
      p.conn.abort();
    });
  }
});
