import { describe, expect, test } from "bun:test";
import { ParseError } from "../../src/http1/errors.ts";
import { fieldName, fieldValue, type ResponseHead } from "../../src/http1/head.ts";
import { latin1 } from "../../src/http1/_latin1.ts";
import { parseResponseHead } from "../../src/http1/parse-response.ts";

const MAX = 8192;
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function outcome(buf: Uint8Array, max = MAX): number | "ok" | "null" {
  try {
    return parseResponseHead(buf, max) ? "ok" : "null";
  } catch (e) {
    if (e instanceof ParseError) return e.status;
    throw e;
  }
}

function view(h: ResponseHead) {
  const fields = [];
  for (let i = 0; i < h.count; i++) fields.push([fieldName(h, i), fieldValue(h, i)]);
  return { status: h.status, reason: latin1(h.buf, h.reasonStart, h.reasonEnd), minor: h.minor, length: h.length, fields };
}

/** Parses whole and checks every strict prefix gives null. */
function parseGrowing(s: string): ResponseHead {
  const buf = bytes(s);
  const whole = parseResponseHead(buf, MAX)!;
  expect(whole).not.toBeNull();
  for (let n = 0; n < whole.length; n++) expect(parseResponseHead(buf.subarray(0, n), MAX)).toBeNull();
  return whole;
}

describe("parseResponseHead() on valid heads", () => {
  test("parses the RFC 9110 §6.1 example response", () => {
    const s = "HTTP/1.1 200 OK\r\nDate: Mon, 27 Jul 2009 12:28:53 GMT\r\nServer: Apache\r\n" +
      'Last-Modified: Wed, 22 Jul 2009 19:15:56 GMT\r\nETag: "34aa387-d-1568eb00"\r\nAccept-Ranges: bytes\r\n' +
      "Content-Length: 51\r\nVary: Accept-Encoding\r\nContent-Type: text/plain\r\n\r\n";
    const h = parseGrowing(s + "Hello World! My content includes a trailing CRLF.\r\n");
    expect(view(h).status).toBe(200);
    expect(view(h).reason).toBe("OK");
    expect(h.length).toBe(s.length);
    expect(h.count).toBe(8);
    expect(view(h).fields[3]).toEqual(["ETag", '"34aa387-d-1568eb00"']);
  });
  test("keeps the reason phrase, empty or with spaces and obs-text", () => {
    expect(view(parseGrowing("HTTP/1.0 404 Not  Found \xe9\r\n\r\n"))).toMatchObject({ status: 404, reason: "Not  Found \xe9", minor: 0 });
    expect(view(parseGrowing("HTTP/1.1 204 \r\n\r\n"))).toMatchObject({ status: 204, reason: "" });
  });
  test("tolerates a status-line without the SP before an empty reason", () => {
    const h = parseGrowing("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
    expect(view(h)).toMatchObject({ status: 200, reason: "", fields: [["Content-Length", "0"]] });
    expect(view(parseGrowing("HTTP/1.1 304\n\n")).status).toBe(304);
  });
  test("accepts 1xx heads (the caller reads the final response after them)", () => {
    const s = "HTTP/1.1 100 Continue\r\n\r\n";
    expect(parseGrowing(s + "HTTP/1.1 200 OK\r\n\r\n").length).toBe(s.length);
  });
  test("accepts a head exactly maxHeadBytes long, 502 at one byte less", () => {
    const s = "HTTP/1.1 200 OK\r\nA: b\r\n\r\n";
    expect(outcome(bytes(s), s.length)).toBe("ok");
    expect(outcome(bytes(s), s.length - 1)).toBe(502);
    expect(outcome(bytes(s.slice(0, 10)), s.length)).toBe("null");
  });
});

const malformed: [string, string][] = [
  ["leading empty line", "\r\nHTTP/1.1 200 OK\r\n\r\n"],
  ["HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n"],
  ["HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n"],
  ["lowercase name", "http/1.1 200 OK\r\n\r\n"],
  ["no SP after version", "HTTP/1.1\t200 OK\r\n\r\n"],
  ["two SP after version", "HTTP/1.1  200 OK\r\n\r\n"],
  ["two-digit status", "HTTP/1.1 20 OK\r\n\r\n"],
  ["four-digit status", "HTTP/1.1 2000 OK\r\n\r\n"],
  ["status 099", "HTTP/1.1 099 X\r\n\r\n"],
  ["status 600", "HTTP/1.1 600 X\r\n\r\n"],
  ["NUL in reason", "HTTP/1.1 200 O\x00K\r\n\r\n"],
  ["bare CR in reason", "HTTP/1.1 200 O\rK\r\n\r\n"],
  ["space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n"],
  ["obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n\tb\r\n\r\n"],
  ["NUL in value", "HTTP/1.1 200 OK\r\nX: \x00\r\n\r\n"],
  ["too many fields", "HTTP/1.1 200 OK\r\n" + "X: 1\r\n".repeat(257) + "\r\n"],
  ["head over the limit", "HTTP/1.1 200 OK\r\nX: " + "a".repeat(MAX) + "\r\n\r\n"],
];

describe("parseResponseHead() on malformed heads", () => {
  for (const [why, s] of malformed) {
    test(`${why}: 502, also when the buffer grows byte by byte`, () => {
      const buf = bytes(s);
      expect(outcome(buf)).toBe(502);
      let first: number | "ok" | "null" = "null";
      for (let n = 0; n <= buf.length && first === "null"; n++) first = outcome(buf.subarray(0, n));
      expect(first).toBe(502);
    });
  }
});
