import { describe, expect, test } from "bun:test";
import { downstreamResponseHeaders, upstreamRequestHeaders } from "../../src/headers.ts";

describe("upstreamRequestHeaders()", () => {
  const fwd = { clientAddress: "10.0.0.7", proto: "http" };
  test("drops hop-by-hop headers and those Connection names; keeps Host", () => {
    const h = new Headers({
      host: "app.test", connection: "close, x-hop", "x-hop": "1", "keep-alive": "5", te: "trailers",
      "transfer-encoding": "chunked", upgrade: "h2c", expect: "100-continue", "x-end": "2", "content-length": "9",
    });
    const out = new Map(upstreamRequestHeaders(h, fwd, 12));
    for (const k of ["connection", "x-hop", "keep-alive", "te", "transfer-encoding", "upgrade", "expect"]) expect(out.has(k)).toBe(false);
    expect(out.get("host")).toBe("app.test");
    expect(out.get("x-end")).toBe("2");
    expect(out.get("content-length")).toBe("12");
  });
  test("appends X-Forwarded-For and sets X-Real-IP, -Proto and -Host", () => {
    const out = new Map(upstreamRequestHeaders(new Headers({ host: "a.test", "x-forwarded-for": "1.1.1.1", "x-real-ip": "6.6.6.6" }), fwd, undefined));
    expect(out.get("x-forwarded-for")).toBe("1.1.1.1, 10.0.0.7");
    expect(out.get("x-real-ip")).toBe("10.0.0.7");
    expect(out.get("x-forwarded-proto")).toBe("http");
    expect(out.get("x-forwarded-host")).toBe("a.test");
    expect(out.has("content-length")).toBe(false);
  });
  test("asks for identity encoding when the client named none", () => {
    expect(new Map(upstreamRequestHeaders(new Headers(), fwd, undefined)).get("accept-encoding")).toBe("identity");
    expect(new Map(upstreamRequestHeaders(new Headers({ "accept-encoding": "gzip" }), fwd, undefined)).get("accept-encoding")).toBe("gzip");
  });
});

test("downstreamResponseHeaders() drops hop-by-hop headers and keeps every Set-Cookie", () => {
  const h = new Headers([["connection", "x-s"], ["x-s", "1"], ["keep-alive", "t"], ["set-cookie", "a=1"], ["set-cookie", "b=2"], ["etag", "e"]]);
  const out = downstreamResponseHeaders(h);
  expect(out.has("x-s")).toBe(false);
  expect(out.has("keep-alive")).toBe(false);
  expect(out.getSetCookie()).toEqual(["a=1", "b=2"]);
  expect(out.get("etag")).toBe("e");
});
