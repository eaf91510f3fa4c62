import { afterEach, expect, test } from "bun:test";
import { configureEvents, event, formatEvent } from "../../src/log/events.ts";
import { heldCount, holdBegan, holdEnded } from "../../src/proxy/hold-episodes.ts";
import { Peer } from "../../src/upstream/peer.ts";
import { parsePeerSpec } from "../../src/config/upstream-flags.ts";
import { ClientGoneError } from "../../src/errors.ts";

const NOW = Date.UTC(2026, 4, 1, 10, 0, 0);

afterEach(() => configureEvents(undefined));

function capture(): string[] {
  const lines: string[] = [];
  configureEvents((l) => lines.push(l), "kv");
  return lines;
}

test("formatEvent() writes kv with plain tokens bare and anything else quoted, undefined fields left out", () => {
  expect(
    formatEvent(
      "peer-down",
      { group: "default", peer: "127.0.0.1:3000", reason: "status 502", fails: 1, x: undefined, id: "a1" },
      NOW,
      "kv",
    ),
  )
    .toBe('2026-05-01T10:00:00.000Z peer-down group=default peer=127.0.0.1:3000 reason="status 502" fails=1 id=a1');
  expect(formatEvent("reload", { result: "" }, NOW, "kv")).toBe('2026-05-01T10:00:00.000Z reload result=""');
});

test("formatEvent() writes json with typed fields", () => {
  expect(JSON.parse(formatEvent("stopped", { clean: true, n: 2, x: undefined }, NOW, "json"))).toEqual({
    time: "2026-05-01T10:00:00.000Z",
    event: "stopped",
    clean: true,
    n: 2,
  });
});

test("event() is dropped until a sink is configured", () => {
  event("x", {});
  const lines = capture();
  event("y", { a: 1 });
  expect(lines.length).toBe(1);
  expect(lines[0]).toEndWith(" y a=1");
});

test("a hold episode is one hold-start at the first held request and one hold-end at the last one's exit", () => {
  const lines = capture();
  const held = (id: string) => ({ id, attempts: [], heldSince: 0, heldGroup: undefined as string | undefined });
  const [r1, r2] = [held("r1"), held("r2")];
  holdBegan("g", r1, "refused");
  holdBegan("g", r2, "no-peer-available");
  expect(r1.heldSince).toBeGreaterThan(0);
  expect(heldCount("g")).toBe(2);
  holdEnded(r1);
  // A second call (the handler's catch after a replayed request failed later) changes nothing.
  holdEnded(r1, new Error("relay failed"));
  expect(lines.length).toBe(1);
  expect(lines[0]).toEndWith(" hold-start group=g reason=refused id=r1");
  holdEnded(r2, new ClientGoneError());
  expect(lines[1]).toMatch(/ hold-end group=g ms=\d+ requests=2 replayed=1 gave_up=0 client_gone=1 id=r2$/);
  expect(heldCount("g")).toBe(0);
  holdEnded(held("never"));
  expect(lines.length).toBe(2);
});

test("a peer's passive down and up are one event each, with the reason and the request id", () => {
  const lines = capture();
  const peer = new Peer(parsePeerSpec("api=127.0.0.1:3000,max-fails=2,fail-timeout=10s"));
  peer.report(false, NOW, "refused", { id: "r1" });
  expect(lines).toEqual([]);
  peer.report(false, NOW + 1, "reset", { id: "r2" });
  expect(lines.length).toBe(1);
  expect(lines[0]).toContain(" peer-down group=api peer=127.0.0.1:3000 source=passive reason=reset fails=2 until=");
  expect(lines[0]).toEndWith(" id=r2");
  // A failed trial keeps it out: no second down.
  peer.report(false, NOW + 20_000, 502, { id: "r3" });
  expect(lines.length).toBe(1);
  peer.report(true, NOW + 40_000, 200, { id: "r4" });
  expect(lines[1]).toMatch(/ peer-up group=api peer=127.0.0.1:3000 source=passive reason="status 200" id=r4$/);
  peer.report(true, NOW + 40_001, 200, { id: "r5" });
  expect(lines.length).toBe(2);
});
