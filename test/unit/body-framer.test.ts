import { describe, expect, test } from "bun:test";
import { BodyFramer } from "../../src/transport/body-framer.ts";
import type { BodyTarget } from "../../src/transport/types.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A target that keeps what it is given and says "full" after `room` bytes. */
function sink(room = Infinity): BodyTarget & { got: Uint8Array[]; text(): string } {
  let taken = 0;
  const got: Uint8Array[] = [];
  return {
    got,
    onDrain: undefined,
    write(b) {
      got.push(b.slice());
      taken += b.byteLength;
      return taken <= room;
    },
    text: () => got.map((b) => dec.decode(b)).join(""),
  };
}

describe("BodyFramer", () => {
  test("a Content-Length body ends at its length; bytes after it mark the connection unusable", () => {
    const f = new BodyFramer({ kind: "length", bytes: 5 }, false, 1024);
    const t = sink();
    expect(f.push(enc.encode("hel"), t)).toBe(true);
    expect(f.complete).toBe(false);
    f.push(enc.encode("loEXTRA"), t);
    expect(f.complete).toBe(true);
    expect(f.extra).toBe(true);
    expect(t.text()).toBe("hello");
    expect(f.relayed).toBe(5);
  });

  test("a chunked body is relayed exactly as received, split anywhere, and ends after its last chunk", () => {
    const wire = "5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n";
    for (let cut = 1; cut < wire.length; cut++) {
      const f = new BodyFramer({ kind: "chunked" }, false, 1024);
      const t = sink();
      f.push(enc.encode(wire.slice(0, cut)), t);
      f.push(enc.encode(wire.slice(cut) + "GET /next"), t);
      expect(f.complete).toBe(true);
      expect(f.extra).toBe(true);
      expect(t.text()).toBe(wire);
    }
  });

  test("de-chunking (an HTTP/1.0 client) passes only the data", () => {
    const f = new BodyFramer({ kind: "chunked" }, true, 1024);
    const t = sink();
    f.push(enc.encode("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), t);
    expect(f.complete).toBe(true);
    expect(t.text()).toBe("abcde");
    expect(f.relayed).toBe(5);
  });

  test("a close-delimited body never completes by itself; a full target is reported", () => {
    const f = new BodyFramer({ kind: "close" }, false, 1024);
    const t = sink(3);
    expect(f.push(enc.encode("ab"), t)).toBe(true);
    expect(f.push(enc.encode("cd"), t)).toBe(false);
    expect(f.complete).toBe(false);
  });

  test("a malformed chunked body throws (the relay breaks the response off)", () => {
    const f = new BodyFramer({ kind: "chunked" }, false, 1024);
    expect(() => f.push(enc.encode("zz\r\n"), sink())).toThrow();
  });
});
