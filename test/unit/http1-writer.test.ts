import { expect, test } from "bun:test";
import { HeadWriter } from "../../src/http1/writer.ts";
import { parseResponseHead } from "../../src/http1/parse-response.ts";

const text = (b: Uint8Array) => String.fromCharCode(...b);

test("HeadWriter writes text, raw bytes and CRLFs into a head the parser reads back", () => {
  const raw = Uint8Array.from("xx\r\nset-cookie: a=1\r\n", (c) => c.charCodeAt(0));
  const head = new HeadWriter(16).ascii("HTTP/1.1 200 OK").crlf().ascii("content-length: 2").crlf().bytes(raw.subarray(4, 19)).crlf().crlf()
    .finish();
  expect(text(head)).toBe("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nset-cookie: a=1\r\n\r\n");
  expect(head.byteLength).toBe(head.buffer.byteLength);
  expect(parseResponseHead(head, 1024)!.count).toBe(2);
});

test("HeadWriter grows past its initial size and is empty and reusable after finish()", () => {
  const w = new HeadWriter(16);
  const first = w.ascii("a".repeat(5000)).crlf().finish();
  expect(first.length).toBe(5002);
  expect(w.length).toBe(0);
  const second = w.ascii("b\xe9").finish();
  expect(Array.from(second)).toEqual([0x62, 0xe9]);
  // The first head is a copy the second did not overwrite.
  expect(first[0]).toBe(0x61);
});

test("HeadWriter.ascii() refuses CR, LF, NUL and chars above U+00FF, writing nothing", () => {
  const w = new HeadWriter();
  for (const bad of ["a\rb", "a\nb", "a\x00", "\u0100", "😀"]) expect(() => w.ascii(bad)).toThrow(TypeError);
  expect(w.length).toBe(0);
});
