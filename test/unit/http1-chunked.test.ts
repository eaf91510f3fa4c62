import { describe, expect, test } from "bun:test";
import { ChunkedDecoder } from "../../src/http1/chunked.ts";
import { ParseError } from "../../src/http1/errors.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array) => String.fromCharCode(...b);
const NEXT = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";

/** Feeds `input` cut at `cuts`; returns the decoded body, the bytes left after the body, and the decoder. */
function feed(input: Uint8Array, cuts: number[], d = new ChunkedDecoder()) {
  let body = "", rest = "";
  const edges = [0, ...cuts, input.length];
  for (let k = 0; k + 1 < edges.length; k++) {
    const piece = input.slice(edges[k], edges[k + 1]);
    if (d.done) {
      rest += text(piece);
      continue;
    }
    const used = d.push(piece, (data) => {
      expect(data.length).toBeGreaterThan(0);
      // A view of the piece pushed, not a copy.
      expect(data.buffer).toBe(piece.buffer);
      body += text(data);
    });
    expect(used === piece.length || d.done).toBe(true);
    rest += text(piece.subarray(used));
  }
  return { body, rest, d };
}

function statusOf(input: Uint8Array, cuts: number[], d?: ChunkedDecoder): number | string {
  try {
    feed(input, cuts, d);
    return "ok";
  } catch (e) {
    if (e instanceof ParseError) return e.status;
    throw e;
  }
}

// Valid bodies and what they decode to.
const valid: [string, string, string][] = [
  ["the RFC 9112 §7.1 shape", "4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n", "Wikipedia in\r\n\r\nchunks."],
  ["an empty body", "0\r\n\r\n", ""],
  ["uppercase and lowercase hex, leading zeros", "000a\r\n0123456789\r\nA\r\nabcdefghij\r\n0000\r\n\r\n", "0123456789abcdefghij"],
  ["extensions: name, token value, quoted value, BWS", '3;a\r\nabc\r\n2 ; b = c ;d="x;\\"y\\\\"\t;e\r\nde\r\n0;last\r\n\r\n', "abcde"],
  ["a trailer section (RFC 9112 §7.1.2)", "3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum:\t1 2 \r\n\r\n", "abc"],
  ["bare LF line ends (RFC 9112 §2.2)", "3\nabc\n0\nX: y\n\n", "abc"],
  ["obs-text in a trailer value and a quoted extension", '1;q="\xe9"\r\nz\r\n0\r\nX: \xe9\r\n\r\n', "z"],
];

describe("ChunkedDecoder on valid bodies", () => {
  for (const [why, body, want] of valid) {
    test(`${why}: split at every byte boundary, a pipelined request left over`, () => {
      const input = bytes(body + NEXT);
      for (let cut = 0; cut <= input.length; cut++) {
        const r = feed(input, [cut]);
        expect([r.body, r.rest, r.d.done, r.d.bodyBytes]).toEqual([want, NEXT, true, want.length]);
      }
      const oneByOne = feed(input, Array.from({ length: input.length }, (_, i) => i));
      expect([oneByOne.body, oneByOne.rest]).toEqual([want, NEXT]);
      // Every pair of cuts, for the shorter bodies.
      if (input.length < 80) {
        for (let a = 1; a < input.length; a++) {
          for (let b = a; b < input.length; b++) expect(feed(input, [a, b]).body).toBe(want);
        }
      }
    });
  }
  test("push() consumes nothing once done and says how much of a piece was the body", () => {
    const d = new ChunkedDecoder();
    expect(d.push(bytes("0\r\n\r\nGET"), () => {})).toBe(5);
    expect(d.push(bytes("more"), () => {})).toBe(0);
    expect(d.done).toBe(true);
  });
  test("passes large chunks through as views, in as many calls as pieces", () => {
    const d = new ChunkedDecoder();
    const calls: number[] = [];
    const big = bytes("10000\r\n" + "x".repeat(0x10000) + "\r\n0\r\n\r\n");
    d.push(big.subarray(0, 30000), (data) => calls.push(data.length));
    d.push(big.subarray(30000), (data) => calls.push(data.length));
    expect(calls).toEqual([30000 - 7, 0x10000 - (30000 - 7)]);
    expect(d.bodyBytes).toBe(0x10000);
  });
  test("accepts 13 hex digits of size, the most that stays exact", () => {
    const d = new ChunkedDecoder();
    d.push(bytes("fffffffffffff\r\nabc"), () => {});
    expect(d.bodyBytes).toBe(3);
    expect(d.done).toBe(false);
  });
});

const malformed: [string, string][] = [
  ["no size", "\r\nabc\r\n0\r\n\r\n"],
  ["non-hex size", "g\r\n"],
  ["sign before size", "+3\r\nabc\r\n0\r\n\r\n"],
  ["0x prefix", "0x3\r\nabc\r\n0\r\n\r\n"],
  ["14 significant hex digits", "10000000000000\r\n"],
  ["size over 2^53", "ffffffffffffffffff\r\n"],
  ["space after size without extension", "3 \r\nabc\r\n0\r\n\r\n"],
  ["space before size", " 3\r\nabc\r\n0\r\n\r\n"],
  ["bare CR after size", "3\rabc\r\n0\r\n\r\n"],
  ["empty extension name", "3;\r\nabc\r\n0\r\n\r\n"],
  ["extension name not a token", "3;a@b\r\nabc\r\n0\r\n\r\n"],
  ["extension = without value", "3;a=\r\nabc\r\n0\r\n\r\n"],
  ["unterminated quoted extension", '3;a="x\r\nabc\r\n0\r\n\r\n'],
  ["control byte in quoted extension", '3;a="\x01"\r\nabc\r\n0\r\n\r\n'],
  ["token right after a quoted value", '3;a="x"y\r\nabc\r\n0\r\n\r\n'],
  ["NUL in extension", "3;a\x00\r\nabc\r\n0\r\n\r\n"],
  ["data longer than its size", "3\r\nabcd\r\n0\r\n\r\n"],
  ["CR without LF after data", "3\r\nabc\rX0\r\n\r\n"],
  ["trailer line without a colon", "3\r\nabc\r\n0\r\nX\r\n\r\n"],
  ["space before colon in a trailer", "0\r\nX : y\r\n\r\n"],
  ["empty trailer name", "0\r\n: y\r\n\r\n"],
  ["obs-fold in trailers", "0\r\nX: y\r\n z\r\n\r\n"],
  ["NUL in a trailer value", "0\r\nX: \x00\r\n\r\n"],
  ["bare CR in a trailer", "0\r\nX: y\rZ\r\n\r\n"],
  ["bare CR at the end", "0\r\n\rX"],
];

describe("ChunkedDecoder on malformed bodies", () => {
  for (const [why, body] of malformed) {
    test(`${why}: 400 whole, byte by byte, and at every cut`, () => {
      const input = bytes(body);
      expect(statusOf(input, [])).toBe(400);
      expect(statusOf(input, Array.from({ length: input.length }, (_, i) => i))).toBe(400);
      for (let cut = 0; cut <= input.length; cut++) expect(statusOf(input, [cut])).toBe(400);
    });
  }
  test("bounds the size line, extensions included", () => {
    const line = "1;" + "a".repeat(100) + "\r\nx\r\n0\r\n\r\n";
    expect(statusOf(bytes(line), [], new ChunkedDecoder(104, 100))).toBe("ok");
    expect(statusOf(bytes(line), [], new ChunkedDecoder(103, 100))).toBe(400);
    // Leading zeros are bounded by the line too.
    expect(statusOf(bytes("0".repeat(5000) + "1\r\n"), [], new ChunkedDecoder())).toBe(400);
  });
  test("bounds the trailer section", () => {
    const body = "0\r\nX: " + "a".repeat(50) + "\r\n\r\n";
    expect(statusOf(bytes(body), [], new ChunkedDecoder(4096, 57))).toBe("ok");
    expect(statusOf(bytes(body), [], new ChunkedDecoder(4096, 56))).toBe(400);
  });
  test("the error names the fault and the body bytes read", () => {
    const d = new ChunkedDecoder();
    expect(() => d.push(bytes("4\r\nWiki\r\nzz\r\n"), () => {})).toThrow("Invalid chunked body: invalid chunk size after 4 body bytes");
  });
});
