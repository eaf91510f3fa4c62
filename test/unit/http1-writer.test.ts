import { expect, test } from "bun:test";
import { HeadWriter } from "../../src/http1/writer.ts";
import { parseResponseHead } from "../../src/http1/parse-response.ts";

const text = (b: Uint8Array) => String.fromCharCode(...b);

test("HeadWriter writes text, raw bytes and CRLFs into a head the parser reads back", () => {
  const raw = Uint8Array.from("xx\r\nset-cookie: a=1\r\n", (c) => c.charCodeAt(0));
  const head = new HeadWriter(16).ascii("HTTP/1.1 200 OK").crlf().ascii("content-length: 2").crlf().bytes(raw.subarray(4, 19)).crlf().crlf()
    .finish();
  expect(text(head)).toBe("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nset-cookie: a=1\r\n\r\n");
  expect(parseResponseHead(head, 1024)!.count).toBe(2);
});

test("HeadWriter hands out heads that later heads never overwrite, across slabs", () => {
  const w = new HeadWriter(64);
  const heads: [Uint8Array, string][] = [];
  for (let i = 0; i < 200; i++) {
    const s = `h${i}:` + "x".repeat(i % 90);
    // A head cut short by a refused char leaves no trace in the next one.
    if (i % 7 === 0) expect(() => w.ascii("partial").ascii("\r")).toThrow(TypeError);
    const head = w.ascii(s).crlf().finish();
    expect(w.length).toBe(0);
    heads.push([head, s + "\r\n"]);
  }
  for (const [head, want] of heads) expect(text(head)).toBe(want);
  expect(text(w.ascii("b\xe9").finish())).toBe("b\xe9");
});

test("HeadWriter.ascii() refuses CR, LF, NUL and chars above U+00FF, and drops the unfinished head", () => {
  const w = new HeadWriter();
  for (const bad of ["a\rb", "a\nb", "a\x00", "\u0100", "😀"]) {
    w.ascii("GET / HTTP/1.1").crlf().ascii("X: ");
    expect(() => w.ascii(bad)).toThrow(TypeError);
    expect(w.length).toBe(0);
  }
  // The next head starts clean.
  expect(text(w.ascii("HTTP/1.1 204 ").crlf().crlf().finish())).toBe("HTTP/1.1 204 \r\n\r\n");
});
