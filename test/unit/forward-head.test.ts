import { describe, expect, test } from "bun:test";
import { parseRequestHead } from "../../src/http1/parse-request.ts";
import { parseResponseHead } from "../../src/http1/parse-response.ts";
import { forwardHead } from "../../src/proxy/forward-head.ts";
import { clientResponseHead } from "../../src/proxy/response-head.ts";

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");
const request = (s: string) => parseRequestHead(enc.encode(s), 65536)!;
const response = (s: string) => parseResponseHead(enc.encode(s), 65536)!;
const facts = { clientAddress: "10.0.0.7", proto: "http", fallbackHost: "127.0.0.1:3000", bodyBytes: undefined, upgrade: false };

describe("forwardHead()", () => {
  test("copies end-to-end field lines byte for byte, in order, and drops hop-by-hop ones and those Connection names", () => {
    const h = request(
      "PUT /up?x=1 HTTP/1.1\r\nHost: app.test\r\nX-MiXed:  two  spaces\r\nConnection: close, X-Hop\r\nx-hop: 1\r\nKeep-Alive: 5\r\n" +
        "TE: trailers\r\nTransfer-Encoding: chunked\r\nUpgrade: h2c\r\nExpect: 100-continue\r\nAccept: a\r\nAccept: b\r\n\r\n",
    );
    const out = dec.decode(forwardHead(h, { ...facts, bodyBytes: 12 }));
    expect(out).toBe(
      "PUT /up?x=1 HTTP/1.1\r\nHost: app.test\r\nX-MiXed:  two  spaces\r\nAccept: a\r\nAccept: b\r\n" +
        "X-Forwarded-For: 10.0.0.7\r\nX-Real-IP: 10.0.0.7\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: app.test\r\nContent-Length: 12\r\n\r\n",
    );
  });

  test("appends to X-Forwarded-For and replaces X-Real-IP, -Proto and -Host the client sent", () => {
    const h = request(
      "GET / HTTP/1.1\r\nHost: a.test\r\nX-Forwarded-For: 1.1.1.1\r\nX-Real-IP: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n\r\n",
    );
    const out = dec.decode(forwardHead(h, facts));
    expect(out).toContain("X-Forwarded-For: 1.1.1.1, 10.0.0.7\r\n");
    expect(out).not.toContain("6.6.6.6");
    expect(out).not.toContain("https");
    expect(out).not.toContain("Content-Length");
    expect(out).not.toContain("ccept-Encoding");
  });

  test("an HTTP/1.0 request without Host gets the peer's address; an absolute-form target becomes origin-form with its authority as Host", () => {
    expect(dec.decode(forwardHead(request("GET /a HTTP/1.0\r\n\r\n"), facts))).toStartWith("GET /a HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n");
    const abs = dec.decode(forwardHead(request("GET http://b.test:8080/p?q HTTP/1.1\r\nHost: other\r\n\r\n"), facts));
    expect(abs).toStartWith("GET /p?q HTTP/1.1\r\nHost: b.test:8080\r\n");
    expect(abs).not.toContain("Host: other");
  });

  test("keeps Upgrade and says Connection: upgrade for a handshake", () => {
    const h = request("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n");
    const out = dec.decode(forwardHead(h, { ...facts, upgrade: true }));
    expect(out).toContain("Upgrade: websocket\r\n");
    expect(out).toContain("Connection: upgrade\r\n");
    expect(out).toContain("Sec-WebSocket-Key: k\r\n");
  });
});

describe("clientResponseHead()", () => {
  const framing = { passChunked: false, keepLength: true, close: false, upgrade: false };
  test("keeps the status line's reason and every end-to-end field, drops hop-by-hop ones and those Connection names", () => {
    const h = response(
      "HTTP/1.1 201 Made It\r\nConnection: x-s\r\nx-s: 1\r\nKeep-Alive: t\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nETag: e\r\nContent-Length: 2\r\n\r\n",
    );
    expect(dec.decode(clientResponseHead(h, framing))).toBe(
      "HTTP/1.1 201 Made It\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nETag: e\r\nContent-Length: 2\r\n\r\n",
    );
  });
  test("Transfer-Encoding only when the body is relayed chunked; Connection: close when holdfast closes", () => {
    const h = response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    expect(dec.decode(clientResponseHead(h, { ...framing, passChunked: true }))).toBe(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    expect(dec.decode(clientResponseHead(h, { ...framing, close: true }))).toBe("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
  });
  test("a status line without a reason phrase stays without one", () => {
    expect(dec.decode(clientResponseHead(response("HTTP/1.1 204\r\n\r\n"), framing))).toStartWith("HTTP/1.1 204");
  });
});
