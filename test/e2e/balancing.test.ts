// Upstream groups (issue 3): selection policies, backup peers, passive and
// active health, retries across peers, keepalive, unix sockets.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { curl, freePort, type Holdfast, type Proc, sleep, startHoldfast, startUpstream, stopAll, TARGETS } from "./harness.ts";

afterAll(stopAll);

interface Seen {
  status: number;
  port?: number;
  remotePort?: number;
}

/** One request through holdfast; `port` is the peer that answered. */
async function send(url: string, init?: RequestInit): Promise<Seen> {
  const r = await fetch(url, init);
  const text = await r.text();
  try {
    const j = JSON.parse(text);
    return { status: r.status, port: j.port, remotePort: j.remotePort };
  } catch {
    return { status: r.status };
  }
}

/** `n` sequential requests; the answering peer's port of each. */
async function ports(url: string, n: number, path = (i: number) => `/p/${i}`): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await send(url + path(i))).port ?? 0);
  return out;
}

async function peers(n: number, args: string[][] = []): Promise<{ ports: number[]; procs: Proc[] }> {
  const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
  const procs = await Promise.all(ports.map((p, i) => startUpstream(p, args[i] ?? [])));
  return { ports, procs };
}

const count = (xs: number[], x: number) => xs.filter((y) => y === x).length;
const up = (port: number, opts = "") => ["--upstream", `127.0.0.1:${port}${opts}`];

describe.each(TARGETS)("upstream groups on %s", (target) => {
  test("round-robin with weights 3:2:1 gives 300/200/100 of 600, the heaviest never more than 2 in a row", async () => {
    const { ports: [a, b, c] } = await peers(3);
    const hf = await startHoldfast(target, [...up(a, ",weight=3"), ...up(b, ",weight=2"), ...up(c), "--access-log", "off"]);
    const got = await ports(hf.url, 600);
    for (const [p, want] of [[a, 300], [b, 200], [c, 100]]) {
      expect(Math.abs(count(got, p) - want)).toBeLessThanOrEqual(want * 0.02);
    }
    let run = 0, longest = 0;
    for (const p of got) longest = Math.max(longest, run = p === a ? run + 1 : 0);
    expect(longest).toBeLessThanOrEqual(2);
  }, 60_000);

  test("least-conn sends new requests away from a peer holding a slow request", async () => {
    const { ports: [a, b], procs } = await peers(2);
    const hf = await startHoldfast(target, [...up(a), ...up(b), "--balance", "least-conn"]);
    const slow = send(`${hf.url}/slow/3000`);
    let busy = 0;
    for (let i = 0; i < 200 && !busy; i++) {
      await sleep(10);
      busy = procs[0].lines.some((l) => l.includes("/slow/")) ? a : procs[1].lines.some((l) => l.includes("/slow/")) ? b : 0;
    }
    const got = await ports(hf.url, 10);
    expect(got).toEqual(Array(10).fill(busy === a ? b : a));
    expect((await slow).port).toBe(busy);
  }, 30_000);

  test("ip-hash keeps each client /24 on one peer and spreads clients over peers", async () => {
    const { ports: ps } = await peers(4);
    const hf = await startHoldfast(target, [...ps.flatMap((p) => up(p)), "--balance", "ip-hash"]);
    const seen = new Map<string, Set<number>>();
    for (let n = 1; n <= 12; n++) {
      for (const host of [`127.0.${n}.1`, `127.0.${n}.2`]) {
        for (let k = 0; k < 2; k++) {
          const r = await curl(["--interface", host, `${hf.url}/who`]);
          expect(`${r.status} ${r.json ? "json" : JSON.stringify(r.body)}`).toBe("200 json");
          const s = seen.get(`127.0.${n}`) ?? new Set();
          s.add((r.json as { port: number }).port);
          seen.set(`127.0.${n}`, s);
        }
      }
    }
    for (const s of seen.values()) expect(s.size).toBe(1);
    expect(new Set([...seen.values()].map((s) => [...s][0])).size).toBeGreaterThanOrEqual(2);
  }, 60_000);

  test("hash:uri is sticky, and removing one of 4 peers remaps only that peer's keys", async () => {
    const { ports: ps } = await peers(4);
    const flags = ["--balance", "hash:uri", "--access-log", "off"];
    const hf = await startHoldfast(target, [...ps.flatMap((p) => up(p)), ...flags]);
    const before = await ports(hf.url, 1000, (i) => `/key/${i}`);
    expect(await ports(hf.url, 200, (i) => `/key/${i}`)).toEqual(before.slice(0, 200));
    const removed = ps[3];
    const hf3 = await startHoldfast(target, [...ps.slice(0, 3).flatMap((p) => up(p)), ...flags]);
    const after = await ports(hf3.url, 1000, (i) => `/key/${i}`);
    let moved = 0;
    for (let i = 0; i < 1000; i++) {
      if (before[i] !== removed) expect(after[i]).toBe(before[i]);
      else moved++;
    }
    expect(moved).toBeGreaterThan(100);
    expect(moved).toBeLessThanOrEqual(400);
  }, 90_000);

  test("a backup peer serves only while every primary is down, and stops when one is back", async () => {
    const { ports: [a, c], procs: [pa] } = await peers(2);
    const hf = await startHoldfast(target, [...up(a, ",fail-timeout=1s"), ...up(c, ",backup")]);
    expect(await ports(hf.url, 5)).toEqual(Array(5).fill(a));
    pa.kill("SIGKILL");
    await pa.exited;
    expect(await ports(hf.url, 5)).toEqual(Array(5).fill(c));
    await startUpstream(a);
    await sleep(1300);
    expect(await ports(hf.url, 5)).toEqual(Array(5).fill(a));
  }, 30_000);

  test("passive health: a failed peer is left out for fail-timeout, then tried again", async () => {
    const { ports: [a, b], procs: [pa] } = await peers(2);
    const hf = await startHoldfast(target, [...up(a, ",max-fails=1,fail-timeout=2s"), ...up(b)]);
    pa.kill("SIGKILL");
    await pa.exited;
    const first = await send(`${hf.url}/p/0`);
    expect(first.status).toBe(200);
    expect(first.port).toBe(b);
    const markedAt = Date.now();
    await startUpstream(a);
    // Within fail-timeout the restarted peer gets nothing.
    const during: number[] = [];
    while (Date.now() - markedAt < 1500) during.push(...(await ports(hf.url, 1)));
    expect(during.length).toBeGreaterThan(3);
    expect(count(during, a)).toBe(0);
    await sleep(Math.max(0, markedAt + 2300 - Date.now()));
    expect(count(await ports(hf.url, 6), a)).toBe(3);
  }, 30_000);

  test("active health checks take a peer out within interval × fails and put it back within interval × passes", async () => {
    const { ports: [a, b] } = await peers(2);
    const hf = await startHoldfast(target, [...up(a), ...up(b), "--health-check", "/health,interval=300ms,fails=2,passes=2"]);
    await curl([`http://127.0.0.1:${a}/control/health/503`]);
    const t0 = Date.now();
    await hf.waitStderrLine(
      new RegExp(`peer-down group=default peer=127.0.0.1:${a} source=health-check reason="status 503" probes=2`),
      5000,
    );
    expect(Date.now() - t0).toBeLessThan(300 * 3 + 500);
    expect(await ports(hf.url, 6)).toEqual(Array(6).fill(b));
    await curl([`http://127.0.0.1:${a}/control/health/200`]);
    const t1 = Date.now();
    await hf.waitStderrLine(new RegExp(`peer-up group=default peer=127.0.0.1:${a} source=health-check reason=ok probes=2`), 5000);
    expect(Date.now() - t1).toBeLessThan(300 * 3 + 500);
    expect(count(await ports(hf.url, 6), a)).toBe(3);
  }, 30_000);

  test("a GET is passed to the next peer after http_502 only when --next-upstream names it", async () => {
    const { ports: [a, b] } = await peers(2, [["--fail-status", "502"]]);
    const named = await startHoldfast(target, [...up(a, ",max-fails=0"), ...up(b), "--next-upstream", "error,timeout,http_502"]);
    const got = await Promise.all([0, 1, 2, 3].map(async () => (await send(`${named.url}/g`)).status));
    expect(got).toEqual([200, 200, 200, 200]);
    expect(named.lines.some((l) => l.includes(`upstream=127.0.0.1:${a},127.0.0.1:${b} upstream_status=502,200`))).toBe(true);
    const plain = await startHoldfast(target, [...up(a, ",max-fails=0"), ...up(b)]);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(`${plain.url}/g`)).status);
    expect(statuses.sort()).toEqual([200, 200, 502, 502]);
  }, 30_000);

  test("a status named in --next-upstream is passed on when the first try went out at once on a pooled connection", async () => {
    const { ports: [a, b] } = await peers(2);
    const hf = await startHoldfast(target, [
      ...up(a, ",max-fails=0"),
      ...up(b, ",max-fails=0"),
      "--next-upstream",
      "error,timeout,http_502",
    ]);
    // Round-robin: one request to each peer leaves an idle connection in both pools.
    expect((await send(`${hf.url}/p/1`)).status).toBe(200);
    expect((await send(`${hf.url}/p/2`)).status).toBe(200);
    // Both peers answer 502 on this path: the first try's 502 goes to the other peer, whose 502 is final.
    expect((await send(`${hf.url}/status/502`)).status).toBe(502);
    expect(await hf.waitLine(/"GET \/status\/502" 502/)).toContain(`upstream=127.0.0.1:${a},127.0.0.1:${b} upstream_status=502×2`);
  }, 30_000);

  test("a POST that reached a peer which broke mid-request is not retried unless non_idempotent; a GET is", async () => {
    const { ports: [a, b] } = await peers(2, [["--reset"]]);
    const post = { method: "POST", body: "payload" };
    const plain = await startHoldfast(target, [...up(a), ...up(b)]);
    const p1 = await send(`${plain.url}/post`, post);
    expect(p1.status).toBe(502);
    expect(await plain.waitLine(/"POST \/post" 502/)).toContain(`upstream=127.0.0.1:${a} upstream_status=reset attempts=1`);
    const plainGet = await startHoldfast(target, [...up(a), ...up(b)]);
    expect(await send(`${plainGet.url}/get`)).toMatchObject({ status: 200, port: b });
    const allowed = await startHoldfast(target, [...up(a), ...up(b), "--next-upstream", "error,timeout,non_idempotent"]);
    expect(await send(`${allowed.url}/post`, post)).toMatchObject({ status: 200, port: b });
  }, 30_000);

  test("with every peer SIGKILLed during an upload and one restarted after the body ended, the client gets one 200 from it", async () => {
    const { ports: [a, b], procs } = await peers(2);
    const hf: Holdfast = await startHoldfast(target, [...up(a), ...up(b), "--hold", "30s"]);
    const body = new Uint8Array(8 * 1024 * 1024).map((_, i) => i * 7);
    const sha = new Bun.CryptoHasher("sha256").update(body).digest("hex");
    const res = curl(["--limit-rate", String(4 * 1024 * 1024), "--data-binary", "@-", `${hf.url}/store`], 60_000, body);
    await sleep(800);
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    await sleep(2500);
    await startUpstream(b);
    const r = await res;
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ port: b, sha256: sha, bytes: body.length });
    expect(await hf.waitLine(/"POST \/store" 200/)).toMatch(/held_ms=\d{3,}/);
  }, 60_000);

  test("connections to peers are reused (keepalive), and --keepalive 0 closes each", async () => {
    const { ports: [a] } = await peers(1);
    const kept = await startHoldfast(target, [...up(a)]);
    const reused = new Set<number>();
    for (let i = 0; i < 20; i++) reused.add((await send(`${kept.url}/k`)).remotePort!);
    expect(reused.size).toBeLessThanOrEqual(3);
    const off = await startHoldfast(target, [...up(a), "--keepalive", "0"]);
    const fresh = new Set<number>();
    for (let i = 0; i < 20; i++) fresh.add((await send(`${off.url}/k`)).remotePort!);
    expect(fresh.size).toBe(20);
  }, 30_000);

  test("a unix:/path.sock peer is reached over its socket", async () => {
    const sock = `/tmp/holdfast-test-${process.pid}-${target}.sock`;
    rmSync(sock, { force: true });
    await startUpstream(sock);
    const hf = await startHoldfast(target, ["--upstream", `unix:${sock}`]);
    const r = await curl(["--data-binary", "over a socket", `${hf.url}/store`]);
    expect(r.status).toBe(200);
    expect((r.json as { bytes: number }).bytes).toBe(13);
    expect(await hf.waitLine(/"POST \/store" 200/)).toContain(`upstream=unix:${sock}`);
  }, 30_000);
});
