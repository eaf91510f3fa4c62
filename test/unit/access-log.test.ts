import { expect, test } from "bun:test";
import { formatAccessLine } from "../../src/access-log.ts";

test("formatAccessLine() lists every attempt like $upstream_addr and $upstream_status", () => {
  const line = formatAccessLine({
    id: "abc",
    startedAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    clientAddress: "127.0.0.1",
    method: "POST",
    target: "/up?x=1",
    status: 200,
    bodyBytes: 10,
    sentBytes: 3,
    heldMs: 1500,
    attempts: [{ peer: "127.0.0.1:1", status: 502, ms: 1 }, { peer: "127.0.0.1:1", status: 200, ms: 7 }],
  }, Date.UTC(2026, 0, 2, 3, 4, 7));
  expect(line).toBe(
    '2026-01-02T03:04:05.000Z 127.0.0.1 "POST /up?x=1" 200 body=10 sent=3 upstream=127.0.0.1:1,127.0.0.1:1 upstream_status=502,200 attempts=2 held_ms=1500 request_ms=2000 upstream_ms=7 id=abc',
  );
});
