import { expect, test } from "bun:test";
import { accessLineFormatter, type AccessRecord, formatAccessLine } from "../../src/access-log.ts";
import { parseRequestHead } from "../../src/http1/parse-request.ts";
import { escapeNginx, timeLocal } from "../../src/log/access-combined.ts";
import { statusSummary, upstreamSummary } from "../../src/log/attempt-summary.ts";
import { receivedLine } from "../../src/log/request-fields.ts";
import type { AttemptRecord } from "../../src/proxy/hold.ts";

const STARTED = Date.UTC(2026, 0, 2, 3, 4, 5);
const ENDED = Date.UTC(2026, 0, 2, 3, 4, 7);

function record(over: Partial<AccessRecord> = {}): AccessRecord {
  return {
    id: "abc",
    startedAt: STARTED,
    clientAddress: "127.0.0.1",
    method: "POST",
    target: "/up?x=1",
    status: 200,
    bodyBytes: 10,
    sentBytes: 3,
    heldMs: 1500,
    attempts: [{ peer: "127.0.0.1:1", status: 502, ms: 1 }, { peer: "127.0.0.1:1", status: 200, ms: 7 }],
    ...over,
  };
}

function head(text: string) {
  const h = parseRequestHead(new TextEncoder().encode(text), 8192);
  if (!h) throw new Error("incomplete head");
  return h;
}

const refused = (peer: string): AttemptRecord => ({ peer, status: 502, ms: 0, failure: "refused" });

test("formatAccessLine() collapses runs like $upstream_addr and $upstream_status, and marks absent fields -", () => {
  expect(formatAccessLine(record(), ENDED)).toBe(
    '2026-01-02T03:04:05.000Z 127.0.0.1 "POST /up?x=1" 200 body=10 sent=3 upstream=127.0.0.1:1×2 upstream_status=502,200 attempts=2 held_ms=1500 request_ms=2000 upstream_ms=7 id=abc host=- referer=- ua=-',
  );
});

test("the kv line has Host, Referer and User-Agent, quoted when they are not a plain token", () => {
  const h = head('GET /a HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0 (X11; "Linux")\r\nReferer: https://example.com/\r\n\r\n');
  const line = formatAccessLine(record({ head: h, method: h.method, target: h.target, attempts: [] }), ENDED);
  expect(line).toEndWith(' host=example.com referer=https://example.com/ ua="Mozilla/5.0 (X11; \\"Linux\\")"');
  expect(line).toContain("upstream=- upstream_status=- attempts=0");
});

test("a held request's attempts collapse to runs, and connection failures are named, not 502", () => {
  const attempts = [...Array(16).fill(refused("127.0.0.1:9001")), { peer: "127.0.0.1:9001", status: 200, ms: 3 }];
  expect(upstreamSummary(attempts)).toBe("127.0.0.1:9001×17");
  expect(statusSummary(attempts)).toBe("refused×16,200");
  const kinds = (...names: string[]): AttemptRecord[] =>
    names.map((k) => ({ peer: "p", status: 504, ms: 0, failure: k as AttemptRecord["failure"] }));
  expect(statusSummary(kinds("connect-timeout", "reset", "send-timeout", "read-timeout"))).toBe(
    "connect-timeout,reset,send-timeout,read-timeout",
  );
  expect(statusSummary(kinds("tls", "invalid-response"))).toBe("tls,invalid-response");
  expect(upstreamSummary([])).toBeUndefined();
});

test("attempts spread over many peers show the first and last runs around …×N: a line stays short", () => {
  const peers = Array.from({ length: 20 }, (_, i) => `127.0.0.1:${40000 + i}`);
  const attempts = Array.from({ length: 140 }, (_, i) => refused(peers[i % 20]));
  attempts.push({ peer: peers[0], status: 200, ms: 1 });
  const up = upstreamSummary(attempts)!;
  expect(up).toBe(`${peers[0]},…×138,${peers[19]},${peers[0]}`);
  expect(statusSummary(attempts)).toBe("refused×140,200");
  expect(formatAccessLine(record({ attempts }), ENDED).length).toBeLessThan(400);
  // JSON repeats its key names; what the attempts add is as short as in kv.
  const o = JSON.parse(accessLineFormatter("json")(record({ attempts }), ENDED));
  expect(o.upstream).toBe(up);
  expect(o.attempts).toBe(141);
});

test("the json line parses, with every field typed and null for what kv prints as -", () => {
  const h = head("GET /a?b=1 HTTP/1.0\r\nUser-Agent: curl/8\r\n\r\n");
  const o = JSON.parse(accessLineFormatter("json")(record({ head: h, method: h.method, target: h.target }), ENDED));
  expect(o).toEqual({
    time: "2026-01-02T03:04:05.000Z",
    client: "127.0.0.1",
    request: "GET /a?b=1 HTTP/1.0",
    method: "GET",
    target: "/a?b=1",
    protocol: "HTTP/1.0",
    status: 200,
    body: 10,
    sent: 3,
    upstream: "127.0.0.1:1×2",
    upstream_status: "502,200",
    attempts: 2,
    held_ms: 1500,
    request_ms: 2000,
    upstream_ms: 7,
    id: "abc",
    host: null,
    referer: null,
    ua: "curl/8",
  });
});

test("the combined line is nginx's combined plus $request_time, escaped as nginx escapes", () => {
  const h = head('GET /a HTTP/1.1\r\nHost: x\r\nUser-Agent: a"b\\c\xe9\r\n\r\n');
  const line = accessLineFormatter("combined")(record({ head: h, method: h.method, target: h.target, sentBytes: 42 }), ENDED);
  expect(line).toBe(`127.0.0.1 - - [${timeLocal(ENDED)}] "GET /a HTTP/1.1" 200 42 "-" "a\\x22b\\x5Cc\\xC3\\xA9" 2.000`);
  expect(line).toMatch(
    /^(\S+) - (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)" (\d+\.\d{3})$/,
  );
  expect(escapeNginx("plain")).toBe("plain");
});

test("$time_local is dd/Mon/yyyy:hh:mm:ss and the zone offset", () => {
  expect(timeLocal(ENDED)).toMatch(/^\d{2}\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}$/);
});

test("a head that did not parse is logged with its received line in every format", () => {
  const line = receivedLine(new TextEncoder().encode('BAD "LINE\r\nHost: x\r\n\r\n'));
  expect(line).toBe('BAD "LINE');
  const r = record({ method: "", target: "", requestLine: line, status: 400, attempts: [] });
  expect(formatAccessLine(r, ENDED)).toStartWith('2026-01-02T03:04:05.000Z 127.0.0.1 "BAD \\"LINE" 400 ');
  expect(JSON.parse(accessLineFormatter("json")(r, ENDED))).toMatchObject({
    request: 'BAD "LINE',
    method: null,
    target: null,
    protocol: null,
  });
  expect(accessLineFormatter("combined")(r, ENDED)).toContain('"BAD \\x22LINE" 400 ');
  expect(receivedLine(new Uint8Array(5000).fill(65)).length).toBe(1024);
});
