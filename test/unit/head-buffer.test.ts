import { describe, expect, test } from "bun:test";
import { FakeSocket } from "../fixtures/fake-socket.ts";
import { ClientConnection } from "../../src/engine/client-conn.ts";
import { fieldValue, type RequestHead } from "../../src/http1/head.ts";
import { endsHead, HeadBuffer } from "../../src/http1/head-buffer.ts";

const enc = new TextEncoder();

describe("endsHead()", () => {
  test("finds the empty line ending a head, CRLF or bare LF, only at or after `from`", () => {
    const crlf = enc.encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    expect(endsHead(crlf, 0)).toBe(true);
    expect(endsHead(crlf, crlf.length - 1)).toBe(true);
    expect(endsHead(crlf.subarray(0, crlf.length - 1), 0)).toBe(false);
    expect(endsHead(enc.encode("GET / HTTP/1.1\nHost: a\n\n"), 0)).toBe(true);
    expect(endsHead(enc.encode("GET / HTTP/1.1\r\nHost: a\r\n"), 0)).toBe(false);
  });
});

describe("HeadBuffer", () => {
  test("keeps the first read as it is, grows for later ones, and never writes over a view it handed out", () => {
    const b = new HeadBuffer();
    const first = enc.encode("abc");
    b.append(first);
    expect(b.bytes).toBe(first);
    b.append(enc.encode("def"));
    const view = b.bytes;
    expect(new TextDecoder().decode(view)).toBe("abcdef");
    b.consume(2);
    b.append(enc.encode("XYZ"));
    expect(new TextDecoder().decode(b.bytes)).toBe("cdefXYZ");
    expect(new TextDecoder().decode(view)).toBe("abcdef");
  });
});

/** The request heads a client connection parses from `reads`, delivered one data event each. */
function headsFrom(reads: Uint8Array[]): RequestHead[] {
  const heads: RequestHead[] = [];
  const sock = new FakeSocket();
  const conn = new ClientConnection(
    sock,
    { maxHeadBytes: 65536, headerTimeoutMs: 60_000, keepaliveTimeoutMs: 60_000, keepaliveRequests: 100 },
    (_c, h) => heads.push(h),
    () => {},
  );
  for (const r of reads) sock.events.data(r);
  conn.abort();
  return heads;
}

test("a head sent one byte a read is parsed once it ends, exactly as sent", () => {
  const cookie = "c".repeat(20_000);
  const wire = enc.encode(`GET /dribble HTTP/1.1\r\nHost: a\r\nCookie: ${cookie}\r\n\r\n`);
  const heads = headsFrom(Array.from(wire, (_, i) => wire.subarray(i, i + 1)));
  expect(heads.length).toBe(1);
  expect(heads[0].target).toBe("/dribble");
  expect(fieldValue(heads[0], 1)).toBe(cookie);
});

test("a head that came in one read with a large piece of body does not keep that read alive", () => {
  const head = `POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 300000\r\n\r\n`;
  const read = new Uint8Array(head.length + 200_000).fill(0x61);
  read.set(enc.encode(head));
  const small = enc.encode(`GET /small HTTP/1.1\r\nHost: a\r\n\r\nPOST /next HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello`);
  const [upload] = headsFrom([read]);
  const [get] = headsFrom([small]);
  // The upload's head is a copy of its own bytes; the 200 kB of body after it can be freed once spooled.
  expect(upload.buf.buffer.byteLength).toBe(head.length);
  expect(new TextDecoder().decode(upload.buf.subarray(0, upload.length))).toBe(head);
  expect(fieldValue(upload, 1)).toBe("300000");
  // A small read is not copied: the head is parsed in place (the GET hot path).
  expect(get.buf.buffer).toBe(small.buffer);
  expect(get.target).toBe("/small");
});
