import { expect, test } from "bun:test";
import { parseRequestHead } from "../../src/http1/parse-request.ts";
import { HeadWriter } from "../../src/http1/writer.ts";
import { FieldCopier, linesEndInCRLF } from "../../src/proxy/field-copier.ts";

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");

function copy(head: string, keep: (i: number) => boolean): string {
  const h = parseRequestHead(enc.encode(head), 65536)!;
  const w = new HeadWriter();
  const c = new FieldCopier().start(w, h);
  for (let i = 0; i < h.count; i++) c.line(i, keep(i));
  c.end();
  return dec.decode(w.finish());
}

test("kept lines are copied as received, runs at a time, dropped ones left out (CRLF head)", () => {
  const head = "GET / HTTP/1.1\r\nA: 1\r\nB:  two \r\nC: 3\r\nD: 4\r\n\r\n";
  expect(linesEndInCRLF(parseRequestHead(enc.encode(head), 65536)!)).toBe(true);
  expect(copy(head, (i) => i !== 2)).toBe("A: 1\r\nB:  two \r\nD: 4\r\n");
  expect(copy(head, () => false)).toBe("");
});

test("a head with bare LF line ends is copied line by line and rewritten with CRLF (RFC 9112 §2.2)", () => {
  const head = "GET / HTTP/1.1\nA: 1\r\nB: 2\nC: 3\n\n";
  expect(linesEndInCRLF(parseRequestHead(enc.encode(head), 65536)!)).toBe(false);
  expect(copy(head, (i) => i !== 1)).toBe("A: 1\r\nC: 3\r\n");
});
