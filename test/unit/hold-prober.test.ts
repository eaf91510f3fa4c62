import { afterEach, describe, expect, test } from "bun:test";
import { parsePeerSpec } from "../../src/config/upstream-flags.ts";
import { Group } from "../../src/upstream/group.ts";
import { HeldRequests } from "../../src/upstream/held.ts";
import { HoldProber } from "../../src/upstream/hold-prober.ts";
import type { Peer } from "../../src/upstream/peer.ts";
import type { ProbeVerdict } from "../../src/upstream/probe.ts";
import { parsePolicy } from "../../src/upstream/policies/index.ts";
import { GoneSignal } from "../../src/proxy/gone.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function group(...peers: string[]): Group {
  return new Group({ name: "default", peers: peers.map(parsePeerSpec), policy: parsePolicy("round-robin") });
}

/** A probe that answers what `verdicts` says for each peer now, and counts calls per peer. */
function fakeProbe(verdicts: Map<string, ProbeVerdict>) {
  const calls = new Map<string, number>();
  const probe = (p: Peer): Promise<ProbeVerdict> => {
    calls.set(p.key, (calls.get(p.key) ?? 0) + 1);
    return Promise.resolve(verdicts.get(p.key) ?? "down");
  };
  return { probe, calls };
}

const probers: HoldProber[] = [];
afterEach(() => {
  for (const p of probers.splice(0)) p.stop();
});

describe("HeldRequests", () => {
  test("wait() ends at wakeAll(), and onBusy says when the first starts and the last stops waiting", async () => {
    const held = new HeldRequests();
    const busy: boolean[] = [];
    held.onBusy = (b) => busy.push(b);
    const a = held.wait(10_000, new GoneSignal());
    const b = held.wait(10_000, new GoneSignal());
    expect(held.count).toBe(2);
    held.wakeAll();
    await Promise.all([a, b]);
    expect(held.count).toBe(0);
    expect(busy).toEqual([true, false]);
  });

  test("wait() ends after its time, and rejects at once when the client leaves, leaving nothing behind", async () => {
    const held = new HeldRequests();
    const busy: boolean[] = [];
    held.onBusy = (b) => busy.push(b);
    const t0 = Date.now();
    await held.wait(30, new GoneSignal());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    const gone = new GoneSignal();
    const w = held.wait(10_000, gone);
    gone.abort(new Error("client left"));
    await expect(w).rejects.toThrow("client left");
    expect(held.count).toBe(0);
    expect(busy).toEqual([true, false, true, false]);
  });
});

describe("HoldProber", () => {
  test("probes every peer (not down ones) only while a request is held, and wakes all held requests when one answers", async () => {
    const g = group("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3,down");
    const verdicts = new Map<string, ProbeVerdict>();
    const { probe, calls } = fakeProbe(verdicts);
    probers.push(new HoldProber(g, probe, 20));
    await sleep(100);
    expect(calls.size).toBe(0);
    const waits = [g.waitForPeer(10_000, new GoneSignal()), g.waitForPeer(10_000, new GoneSignal())];
    await sleep(110);
    // About 5 probes each in 110 ms at 20 ms; the two held requests share them.
    expect(calls.get("127.0.0.1:1")).toBeGreaterThanOrEqual(2);
    expect(calls.get("127.0.0.1:1")).toBeLessThanOrEqual(6);
    expect(calls.has("127.0.0.1:3")).toBe(false);
    verdicts.set("127.0.0.1:2", "up");
    await Promise.all(waits);
    expect(g.held.count).toBe(0);
    const after = calls.get("127.0.0.1:1")!;
    await sleep(100);
    expect(calls.get("127.0.0.1:1")).toBe(after);
  });

  test("a peer that is still starting does not wake anyone", async () => {
    const g = group("127.0.0.1:1");
    const { probe, calls } = fakeProbe(new Map([["127.0.0.1:1", "starting"]]));
    probers.push(new HoldProber(g, probe, 10));
    let woken = false;
    const w = g.waitForPeer(150, new GoneSignal()).then(() => (woken = true));
    await sleep(100);
    expect(woken).toBe(false);
    expect(calls.get("127.0.0.1:1")).toBeGreaterThanOrEqual(3);
    await w;
  });

  test("the first probe of a hold comes an interval after it began, and a new hold keeps the cadence", async () => {
    const g = group("127.0.0.1:1");
    const starts: number[] = [];
    probers.push(
      new HoldProber(g, () => {
        starts.push(Date.now());
        return Promise.resolve("up");
      }, 50),
    );
    const t0 = Date.now();
    await g.waitForPeer(10_000, new GoneSignal());
    expect(starts[0] - t0).toBeGreaterThanOrEqual(45);
    // Held again at once, as a request that finds the peer gone again would be: no probe sooner than 50 ms after the last.
    await g.waitForPeer(10_000, new GoneSignal());
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(45);
  });
});
