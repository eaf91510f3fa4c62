import { describe, expect, test } from "bun:test";
import { ParseError } from "../../src/http1/errors.ts";
import { ascii, fieldName, fieldValue, findField, nameIs, type RequestHead, valueIs } from "../../src/http1/head.ts";
import { parseRequestHead } from "../../src/http1/parse-request.ts";
import { requestFraming } from "../../src/http1/framing.ts";

const MAX = 8192;
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** The status parsing (then framing, RFC 9112 §6.3) throws, or "ok"/"null". */
function outcome(buf: Uint8Array, max = MAX): number | "ok" | "null" {
  try {
    const h = parseRequestHead(buf, max);
    if (h) requestFraming(h);
    return h ? "ok" : "null";
  } catch (e) {
    if (e instanceof ParseError) return e.status;
    throw e;
  }
}

/** Everything a caller can see of a head, as plain data, to compare two parses. */
function view(h: RequestHead) {
  const fields = [];
  for (let i = 0; i < h.count; i++) fields.push([fieldName(h, i), fieldValue(h, i)]);
  return { method: h.method, target: h.target, minor: h.minor, length: h.length, fields, t: [h.targetStart, h.targetEnd] };
}

/** Parses `s` whole, and checks that every strict prefix (the buffer growing byte by byte) gives null. */
function parseGrowing(s: string, max = MAX): RequestHead {
  const buf = bytes(s);
  const whole = parseRequestHead(buf, max);
  if (!whole) throw new Error("incomplete");
  for (let n = 0; n < whole.length; n++) expect(parseRequestHead(buf.subarray(0, n), max)).toBeNull();
  // A copy, so the prefixes above and the final parse never share offsets by accident.
  expect(view(parseRequestHead(buf.slice(0, whole.length), max)!)).toEqual(view(whole));
  return whole;
}

describe("parseRequestHead() on valid heads", () => {
  test("parses the RFC 9110 §6.1 / RFC 9112 example GET", () => {
    const s = "GET /hello.txt HTTP/1.1\r\nUser-Agent: curl/7.64.1\r\nHost: www.example.com\r\nAccept-Language: en, mi\r\n\r\n";
    const h = parseGrowing(s);
    expect(view(h)).toEqual({
      method: "GET",
      target: "/hello.txt",
      minor: 1,
      length: s.length,
      fields: [["User-Agent", "curl/7.64.1"], ["Host", "www.example.com"], ["Accept-Language", "en, mi"]],
      t: [4, 14],
    });
    expect(h.count).toBe(3);
    expect(h.fields.length).toBe(12);
  });

  test("accepts the four request-target forms of RFC 9112 §3.2", () => {
    for (
      const [line, method, target] of [
        ["GET /where?q=now HTTP/1.1", "GET", "/where?q=now"],
        ["GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1", "GET", "http://www.example.org/pub/WWW/TheProject.html"],
        ["CONNECT www.example.com:80 HTTP/1.1", "CONNECT", "www.example.com:80"],
        ["OPTIONS * HTTP/1.1", "OPTIONS", "*"],
        ["GET HTTPS://a.test HTTP/1.1", "GET", "HTTPS://a.test"],
        ["GET svn+ssh://a.test/x HTTP/1.1", "GET", "svn+ssh://a.test/x"],
      ]
    ) {
      const h = parseGrowing(`${line}\r\nHost: www.example.org\r\n\r\n`);
      expect([h.method, h.target]).toEqual([method, target]);
    }
  });

  test("keeps unknown and lowercase methods as received (methods are case-sensitive, RFC 9110 §9.1)", () => {
    expect(parseGrowing("PROPFIND / HTTP/1.1\r\n\r\n").method).toBe("PROPFIND");
    expect(parseGrowing("get / HTTP/1.0\r\n\r\n").method).toBe("get");
    for (const m of ["GET", "PUT", "POST", "HEAD", "PATCH", "TRACE", "DELETE", "OPTIONS", "CONNECT", "GETX", "PUX"]) {
      expect(parseGrowing(`${m} / HTTP/1.1\r\n\r\n`).method).toBe(m);
    }
  });

  test("trims OWS around values and keeps inner whitespace and obs-text", () => {
    const h = parseGrowing("GET / HTTP/1.0\r\nA:  x  y \t\r\nB:\r\nC: \t \r\nD:\xe9t\xe9\r\n\r\n");
    expect(view(h).fields).toEqual([["A", "x  y"], ["B", ""], ["C", ""], ["D", "\xe9t\xe9"]]);
    expect(h.minor).toBe(0);
  });

  test("skips leading empty lines and counts them in length (RFC 9112 §2.2)", () => {
    const h = parseGrowing("\r\n\n\r\nGET / HTTP/1.1\r\n\r\n");
    expect(h.length).toBe(23);
    expect(h.targetStart).toBe(9);
  });

  test("accepts bare LF line ends (RFC 9112 §2.2 MAY)", () => {
    const h = parseGrowing("GET / HTTP/1.1\nHost: a\r\nX: 1\n\n");
    expect(view(h).fields).toEqual([["Host", "a"], ["X", "1"]]);
  });

  test("stops at the empty line: the body and a pipelined request are left alone", () => {
    const head = "POST /up HTTP/1.1\r\nContent-Length: 5\r\n\r\n";
    const h = parseRequestHead(bytes(head + "hello" + "GET / HTTP/1.1\r\n\r\n"), MAX)!;
    expect(h.length).toBe(head.length);
  });
});

describe("parseRequestHead() limits", () => {
  const head = "GET /a HTTP/1.1\r\nHost: example.test\r\n\r\n";
  test("accepts a head exactly maxHeadBytes long and rejects one byte less of room with 431", () => {
    expect(outcome(bytes(head), head.length)).toBe("ok");
    expect(outcome(bytes(head), head.length - 1)).toBe(431);
    // Only the first maxHeadBytes bytes matter: more data after them changes nothing.
    expect(outcome(bytes(head + "xyz"), head.length - 1)).toBe(431);
  });
  test("returns null below the limit and throws once the buffer reaches it", () => {
    expect(outcome(bytes(head.slice(0, 20)), 30)).toBe("null");
    expect(outcome(bytes(head.slice(0, 29)), 30)).toBe("null");
    expect(outcome(bytes(head.slice(0, 30)), 30)).toBe(431);
  });
  test("answers 414 when the request line does not end within the limit, leading empty lines included", () => {
    expect(outcome(bytes("GET /" + "a".repeat(100)), 50)).toBe(414);
    expect(outcome(bytes("\r\n".repeat(30)), 50)).toBe(414);
    expect(outcome(bytes("GET / HTTP/1.1\r"), 15)).toBe(414);
    expect(outcome(bytes("GET / HTTP/1.1\r\n"), 16)).toBe(431);
  });
  test("accepts 256 fields and answers 431 to 257", () => {
    const lines = (n: number) => "GET / HTTP/1.1\r\n" + "X: 1\r\n".repeat(n) + "\r\n";
    expect(parseRequestHead(bytes(lines(256)), MAX)!.count).toBe(256);
    expect(outcome(bytes(lines(257)))).toBe(431);
  });
});

// Each malformed head with its status and why.
const malformed: [string, string, number][] = [
  ["method not a token", "GE(T / HTTP/1.1\r\n\r\n", 400],
  ["empty method", " / HTTP/1.1\r\n\r\n", 400],
  ["two spaces after the method", "GET  / HTTP/1.1\r\n\r\n", 400],
  ["two spaces after the target", "GET /  HTTP/1.1\r\n\r\n", 400],
  ["tab as separator", "GET\t/ HTTP/1.1\r\n\r\n", 400],
  ["HTTP/0.9 simple request", "GET /\r\n\r\n", 400],
  ["non-ASCII target", "GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n", 400],
  ["target in no form (RFC 9112 §3.2)", 'GET "p HTTP/1.1\r\n\r\n', 400],
  ["authority-form without CONNECT", "GET app.test:443 HTTP/1.1\r\n\r\n", 400],
  ["absolute-URI without authority", "GET mailto:a@b HTTP/1.1\r\n\r\n", 400],
  ["asterisk followed by more", "OPTIONS *x HTTP/1.1\r\n\r\n", 400],
  ["DEL in target", "GET /a\x7f HTTP/1.1\r\n\r\n", 400],
  ["NUL in target", "GET /a\x00 HTTP/1.1\r\n\r\n", 400],
  ["lowercase version", "GET / http/1.1\r\n\r\n", 400],
  ["version with two minor digits", "GET / HTTP/1.10\r\n\r\n", 400],
  ["version without minor", "GET / HTTP/1\r\n\r\n", 400],
  ["space after version", "GET / HTTP/1.1 \r\n\r\n", 400],
  ["HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", 505],
  ["HTTP/3.0", "GET / HTTP/3.0\r\n\r\n", 505],
  ["HTTP/0.9 with version", "GET / HTTP/0.9\r\n\r\n", 505],
  ["HTTP/1.2", "GET / HTTP/1.2\r\n\r\n", 505],
  ["malformed other major", "GET / HTTP/2.0x\r\n\r\n", 400],
  ["bare CR ending the request line", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400],
  ["bare CR before the request line", "\rGET / HTTP/1.1\r\n\r\n", 400],
  ["space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400],
  ["tab before colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400],
  ["empty field name", "GET / HTTP/1.1\r\n: a\r\n\r\n", 400],
  ["no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", 400],
  ["non-token name", "GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", 400],
  ["obs-fold", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400],
  ["whitespace line after the request line", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400],
  ["NUL in value", "GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n", 400],
  ["bare CR in value", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400],
  ["DEL in value", "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", 400],
  ["control byte in value", "GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", 400],
  ["bare CR in the final line", "GET / HTTP/1.1\r\nX: a\r\n\rx", 400],
  ["request line over the limit", "GET /" + "a".repeat(MAX) + " HTTP/1.1\r\n\r\n", 414],
  ["Content-Length and Transfer-Encoding (framing)", "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
  ["differing Content-Lengths (framing)", "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400],
  ["gzip under chunked (framing)", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501],
  ["head over the limit", "GET / HTTP/1.1\r\nCookie: " + "a".repeat(MAX) + "\r\n\r\n", 431],
];

describe("parseRequestHead() and requestFraming() on malformed heads", () => {
  for (const [why, s, status] of malformed) {
    test(`${why}: ${status}, also when the buffer grows byte by byte`, () => {
      const buf = bytes(s);
      expect(outcome(buf)).toBe(status);
      // Every prefix is null or the same error: never a head, never another status.
      let first: number | "ok" | "null" = "null";
      for (let n = 0; n <= buf.length && first === "null"; n++) first = outcome(buf.subarray(0, n));
      expect(first).toBe(status);
    });
  }
  test("errors say what was wrong", () => {
    expect(() => parseRequestHead(bytes("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), MAX)).toThrow("whitespace before the colon");
    expect(() => parseRequestHead(bytes("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"), MAX)).toThrow("obs-fold");
  });
});

describe("head helpers", () => {
  const h = parseRequestHead(bytes("GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\nX-A^b: 1\r\nconnection: te\r\n\r\n"), MAX)!;
  test("nameIs() and findField() compare names case-insensitively", () => {
    const CONNECTION = ascii("connection");
    expect(nameIs(h, 1, CONNECTION)).toBe(true);
    expect(nameIs(h, 0, CONNECTION)).toBe(false);
    expect(findField(h, CONNECTION)).toBe(1);
    expect(findField(h, CONNECTION, 2)).toBe(3);
    expect(findField(h, ascii("absent"))).toBe(-1);
    // "^" and "~" differ by 0x20 but are not letters.
    expect(findField(h, ascii("x-a~b"))).toBe(-1);
    expect(findField(h, ascii("x-a^b"))).toBe(2);
  });
  test("valueIs() compares a whole value case-insensitively", () => {
    expect(valueIs(h, 1, ascii("close"))).toBe(true);
    expect(valueIs(h, 3, ascii("close"))).toBe(false);
  });
  test("fieldValue() decodes long values in pieces", () => {
    const long = "v".repeat(20000) + "\xff";
    const big = parseRequestHead(bytes(`GET / HTTP/1.1\r\nCookie: ${long}\r\n\r\n`), 30000)!;
    expect(fieldValue(big, 0)).toBe(long);
  });
});

describe("parseRequestHead() on long values (read 4 bytes at a time)", () => {
  // Every offset of the buffer and of the bad byte in a value long enough for the word loop.
  const value = "v".repeat(120);
  test("rejects a control byte at any position of a long value, at any alignment", () => {
    for (const bad of ["\x00", "\x01", "\x1f", "\x7f", "\r"]) {
      for (let at = 0; at < value.length; at++) {
        for (let shift = 0; shift < 4; shift++) {
          const s = " ".repeat(shift) + `GET / HTTP/1.1\r\nX: ${value.slice(0, at)}${bad}${value.slice(at + 1)}\r\n\r\n`;
          const buf = bytes(s).subarray(shift);
          expect(outcome(buf)).toBe(400);
        }
      }
    }
  });
  test("accepts HTAB, SP and obs-text at any inner position of a long value, and ends it at the CR", () => {
    for (const ok of ["\t", " ", "\x80", "\xff", "~"]) {
      for (let at = 1; at < value.length - 1; at++) {
        for (let shift = 0; shift < 4; shift++) {
          const v = `${value.slice(0, at)}${ok}${value.slice(at + 1)}`;
          const buf = bytes(" ".repeat(shift) + `GET / HTTP/1.1\r\nX: ${v}\r\nY: 1\r\n\r\n`).subarray(shift);
          const h = parseRequestHead(buf, MAX)!;
          expect([fieldValue(h, 0), fieldValue(h, 1)]).toEqual([v, "1"]);
        }
      }
    }
  });
});
