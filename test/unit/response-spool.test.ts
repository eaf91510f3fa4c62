// ResponseSpool (nginx proxy_buffering): order across memory and the spill
// file, the limits that make the peer wait, and the file's removal.
import { afterAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { detectRuntime } from "../../runtime/index.ts";
import { ResponseSpool, type ResponseSpoolOptions } from "../../src/spool/response-spool.ts";
import { SpoolStore } from "../../src/spool/store.ts";
import type { BodyTarget } from "../../src/transport/types.ts";

const rt = await detectRuntime();
const work = mkdtempSync("/dev/shm/holdfast-response-spool-test-");
afterAll(() => rmSync(work, { recursive: true, force: true }));
let id = 0;
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const sha = (parts: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
};

/** A client socket that takes `room` bytes, then is full until {@link drain}. */
class SlowClient implements BodyTarget {
  onDrain: (() => void) | undefined;
  readonly got: Uint8Array[] = [];
  taken = 0;
  constructor(public room: number) {}
  write(b: Uint8Array): boolean {
    this.got.push(b);
    this.taken += b.byteLength;
    return this.taken < this.room;
  }
  /** The kernel took everything: room for `more` bytes. */
  drain(more: number): void {
    this.room = this.taken + more;
    this.onDrain?.();
  }
}

function spool(client: BodyTarget, o: Partial<ResponseSpoolOptions> = {}): ResponseSpool {
  return new ResponseSpool(client, {
    memoryBytes: 64 * 1024,
    maxFileBytes: 1 << 30,
    store: new SpoolStore(rt, [work], 0),
    openReader: (p) => rt.files.openReader(p),
    requestId: `t${++id}`,
    ...o,
  });
}

const spillFiles = () => readdirSync(work).filter((n) => n.endsWith(".spool"));
const turn = () => new Promise((r) => setTimeout(r, 5));

/** Drains `c` until `s.finish()` settles (bounded). */
async function drainAll(c: SlowClient, s: ResponseSpool): Promise<boolean> {
  let settled: boolean | undefined;
  const done = s.finish().then((ok) => (settled = ok));
  for (let i = 0; i < 10_000 && settled === undefined; i++) {
    c.drain(256 * 1024);
    await turn();
  }
  await done;
  return settled!;
}

test("a client that keeps up gets each piece as written, nothing held", async () => {
  const c = new SlowClient(Infinity);
  const s = spool(c);
  const parts = [random(1000), random(70_000), random(5)];
  for (const p of parts) expect(s.write(p)).toBe(true);
  expect(c.got).toEqual(parts);
  expect(await s.finish()).toBe(true);
  expect(s.spilled).toBe(0);
  await s.close();
});

test("a slow client: memory, then the spill file, in order; the peer never waits; close() removes the file", async () => {
  const c = new SlowClient(10_000);
  const s = spool(c);
  const parts = Array.from({ length: 64 }, () => random(64 * 1024));
  for (const p of parts) expect(s.write(p)).toBe(true);
  expect(s.spilled).toBeGreaterThan(3 * 1024 * 1024);
  await turn();
  expect(spillFiles().length).toBe(1);
  expect(await drainAll(c, s)).toBe(true);
  expect(c.taken).toBe(64 * 64 * 1024);
  expect(sha(c.got)).toBe(sha(parts));
  await s.close();
  expect(spillFiles()).toEqual([]);
});

test("past --max-temp-file-size the peer waits (write returns false) until the client takes bytes, and order holds", async () => {
  const c = new SlowClient(1);
  const s = spool(c, { memoryBytes: 1000, maxFileBytes: 3000 });
  let resumed = 0;
  s.onDrain = () => resumed++;
  const parts = Array.from({ length: 8 }, () => random(1000));
  const accepted = parts.map((p) => s.write(p));
  // 1 to the client, 1 in memory, 3 in the file; then the peer is told to wait.
  expect(accepted.slice(0, 5)).toEqual([true, true, true, true, true]);
  expect(accepted[5]).toBe(false);
  expect(await drainAll(c, s)).toBe(true);
  expect(resumed).toBeGreaterThan(0);
  expect(sha(c.got)).toBe(sha(parts));
  await s.close();
  expect(spillFiles()).toEqual([]);
});

test("--max-temp-file-size 0 never spills: memory only, then the peer waits", async () => {
  const c = new SlowClient(1);
  const s = spool(c, { memoryBytes: 2000, maxFileBytes: 0 });
  const parts = Array.from({ length: 5 }, () => random(1000));
  const accepted = parts.map((p) => s.write(p));
  expect(accepted).toEqual([true, true, true, false, false]);
  expect(await drainAll(c, s)).toBe(true);
  expect(sha(c.got)).toBe(sha(parts));
  expect(s.spilled).toBe(0);
});

test("a spill file that cannot be created: its bytes stay in memory, in order, and the peer waits", async () => {
  const c = new SlowClient(1);
  const requestId = `t${++id}`;
  // Spill files are created exclusively: one already there makes the creation fail (EEXIST).
  const taken = `${work}/holdfast-${rt.pid}-${requestId}r.spool`;
  writeFileSync(taken, "");
  try {
    const s = spool(c, { memoryBytes: 1000, requestId });
    const parts = Array.from({ length: 6 }, () => random(1000));
    for (const p of parts.slice(0, 4)) expect(s.write(p)).toBe(true);
    await turn();
    // The file could not be created: from now on nothing spills.
    expect(s.write(parts[4])).toBe(false);
    s.write(parts[5]);
    expect(await drainAll(c, s)).toBe(true);
    expect(sha(c.got)).toBe(sha(parts));
    expect(s.spilled).toBe(0);
  } finally {
    rmSync(taken);
  }
});

test("cancel() (the client left) settles finish() false and removes the file", async () => {
  const c = new SlowClient(1);
  const s = spool(c, { memoryBytes: 1000 });
  for (let i = 0; i < 10; i++) s.write(random(10_000));
  await turn();
  expect(spillFiles().length).toBe(1);
  const done = s.finish();
  s.cancel();
  expect(await done).toBe(false);
  await s.close();
  expect(spillFiles()).toEqual([]);
});
