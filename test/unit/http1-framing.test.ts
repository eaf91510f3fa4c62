import { describe, expect, test } from "bun:test";
import { ParseError } from "../../src/http1/errors.ts";
import { type Framing, requestFraming, responseFraming } from "../../src/http1/framing.ts";
import { parseRequestHead } from "../../src/http1/parse-request.ts";
import { parseResponseHead } from "../../src/http1/parse-response.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const request = (fields: string[], version = "1.1") =>
  parseRequestHead(bytes(`POST /x HTTP/${version}\r\nHost: a\r\n${fields.map((f) => f + "\r\n").join("")}\r\n`), 8192)!;
const response = (status: number, fields: string[], version = "1.1") =>
  parseResponseHead(bytes(`HTTP/${version} ${status} X\r\n${fields.map((f) => f + "\r\n").join("")}\r\n`), 8192)!;

function statusOf(f: () => Framing): number | Framing {
  try {
    return f();
  } catch (e) {
    if (e instanceof ParseError) return e.status;
    throw e;
  }
}

describe("requestFraming() (RFC 9112 §6.3 items 3-7)", () => {
  const cases: [string, string[], Framing | number, string?][] = [
    ["no fields: no body (item 7)", [], { kind: "none" }],
    ["Content-Length (item 6)", ["Content-Length: 42"], { kind: "length", bytes: 42 }],
    ["Content-Length: 0", ["Content-Length: 0"], { kind: "length", bytes: 0 }],
    ["leading zeros", ["Content-Length: 007"], { kind: "length", bytes: 7 }],
    ["identical fields collapse (item 5)", ["Content-Length: 5", "content-length: 5"], { kind: "length", bytes: 5 }],
    ["identical list collapses (item 5)", ["Content-Length: 5 , 5,5"], { kind: "length", bytes: 5 }],
    ["MAX_SAFE_INTEGER", ["Content-Length: 9007199254740991"], { kind: "length", bytes: 9007199254740991 }],
    ["over MAX_SAFE_INTEGER", ["Content-Length: 9007199254740992"], 400],
    ["20 digits", ["Content-Length: 99999999999999999999"], 400],
    ["differing fields", ["Content-Length: 5", "Content-Length: 6"], 400],
    ["differing list", ["Content-Length: 5, 6"], 400],
    ["plus sign", ["Content-Length: +5"], 400],
    ["minus sign", ["Content-Length: -1"], 400],
    ["hex", ["Content-Length: 0x10"], 400],
    ["empty", ["Content-Length:"], 400],
    ["space inside", ["Content-Length: 1 0"], 400],
    ["empty list element", ["Content-Length: 5,"], 400],
    ["decimal point", ["Content-Length: 5.0"], 400],
    ["chunked", ["Transfer-Encoding: chunked"], { kind: "chunked" }],
    ["chunked, any case", ["Transfer-Encoding: ChUnKeD"], { kind: "chunked" }],
    ["chunked with empty list elements (RFC 9110 §5.6.1)", ["Transfer-Encoding: , chunked ,"], { kind: "chunked" }],
    ["TE and CL (item 3)", ["Transfer-Encoding: chunked", "Content-Length: 5"], 400],
    ["CL and TE (item 3)", ["Content-Length: 5", "Transfer-Encoding: chunked"], 400],
    ["final coding not chunked (item 4)", ["Transfer-Encoding: gzip"], 400],
    ["chunked then gzip (item 4)", ["Transfer-Encoding: chunked, gzip"], 400],
    ["chunked then gzip in two fields", ["Transfer-Encoding: chunked", "Transfer-Encoding: gzip"], 400],
    ["chunked twice (§6.1)", ["Transfer-Encoding: chunked, chunked"], 400],
    ["chunked twice in two fields", ["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"], 400],
    ["gzip then chunked: unknown to holdfast (§6.1 501)", ["Transfer-Encoding: gzip, chunked"], 501],
    ["gzip then chunked in two fields", ["Transfer-Encoding: gzip", "Transfer-Encoding: chunked"], 501],
    ["identity then chunked", ["Transfer-Encoding: identity, chunked"], 501],
    ["empty Transfer-Encoding", ["Transfer-Encoding:"], 400],
    ["parameter on chunked (§7)", ["Transfer-Encoding: chunked;q=1"], 400],
    ["quoted coding", ['Transfer-Encoding: "chunked"'], 400],
    ["coding with a space inside", ["Transfer-Encoding: chun ked"], 400],
    ["chunked with obs-text after", ["Transfer-Encoding: chunked\xff"], 400],
  ];
  for (const [why, fields, want] of cases) {
    test(`${why}: ${typeof want === "number" ? want : want.kind}`, () => {
      expect(statusOf(() => requestFraming(request(fields)))).toEqual(want);
    });
  }
  test("Transfer-Encoding in an HTTP/1.0 request is faulty framing (§6.1): 400", () => {
    expect(statusOf(() => requestFraming(request(["Transfer-Encoding: chunked"], "1.0")))).toBe(400);
    expect(statusOf(() => requestFraming(request(["Content-Length: 3"], "1.0")))).toEqual({ kind: "length", bytes: 3 });
  });
});

describe("responseFraming() (RFC 9112 §6.3 items 1-8)", () => {
  const cases: [string, number, string[], string, Framing | number][] = [
    ["HEAD (item 1)", 200, ["Content-Length: 10"], "HEAD", { kind: "none" }],
    ["1xx (item 1)", 101, ["Content-Length: 10"], "GET", { kind: "none" }],
    ["204 (item 1)", 204, ["Transfer-Encoding: chunked"], "GET", { kind: "none" }],
    ["304 (item 1)", 304, ["Content-Length: 10"], "GET", { kind: "none" }],
    ["chunked (item 3-4)", 200, ["Transfer-Encoding: chunked"], "GET", { kind: "chunked" }],
    ["gzip, chunked", 200, ["Transfer-Encoding: gzip, chunked"], "GET", { kind: "chunked" }],
    ["TE overrides CL (item 3)", 200, ["Content-Length: 10", "Transfer-Encoding: chunked"], "GET", { kind: "chunked" }],
    ["TE overrides an invalid CL (item 3)", 200, ["Content-Length: x", "Transfer-Encoding: chunked"], "GET", { kind: "chunked" }],
    ["final coding not chunked: to the close (item 4)", 200, ["Transfer-Encoding: gzip"], "GET", { kind: "close" }],
    ["chunked twice", 200, ["Transfer-Encoding: chunked, chunked"], "GET", 502],
    ["malformed TE", 200, ["Transfer-Encoding: chunked;x"], "GET", 502],
    ["CL (item 6)", 200, ["Content-Length: 10"], "GET", { kind: "length", bytes: 10 }],
    ["CL on a 404", 404, ["Content-Length: 3"], "POST", { kind: "length", bytes: 3 }],
    ["identical CLs (item 5)", 200, ["Content-Length: 10, 10"], "GET", { kind: "length", bytes: 10 }],
    ["differing CLs (item 5)", 200, ["Content-Length: 10", "Content-Length: 11"], "GET", 502],
    ["invalid CL (item 5)", 200, ["Content-Length: -1"], "GET", 502],
    ["neither: to the close (item 8)", 200, [], "GET", { kind: "close" }],
  ];
  for (const [why, status, fields, method, want] of cases) {
    test(`${why}: ${typeof want === "number" ? want : want.kind}`, () => {
      expect(statusOf(() => responseFraming(response(status, fields), method))).toEqual(want);
    });
  }
  test("Transfer-Encoding in an HTTP/1.0 response is faulty framing (§6.1): 502", () => {
    expect(statusOf(() => responseFraming(response(200, ["Transfer-Encoding: chunked"], "1.0"), "GET"))).toBe(502);
  });
});
