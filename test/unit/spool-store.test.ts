import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { detectRuntime, type Files, type Runtime } from "../../runtime/index.ts";
import { SpoolStore } from "../../src/spool/store.ts";

const rt = await detectRuntime();
const work = mkdtempSync("/dev/shm/holdfast-store-test-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
const freshDir = () => join(work, `d${++n}`);

/** A pid that surely does not run: a process that has already exited. */
async function deadPid(): Promise<number> {
  const child = rt.spawn(["true"], { quiet: true });
  await child.exited;
  return child.pid;
}

test("the constructor creates missing spool directories with mode 0700", () => {
  const dir = join(freshDir(), "nested");
  new SpoolStore(rt, [dir], 0);
  expect(statSync(dir).mode & 0o777).toBe(0o700);
});

test("removeStale() removes spool files of dead pids and of this pid (a previous process), keeps live ones and others", async () => {
  const a = freshDir();
  const b = freshDir();
  mkdirSync(a);
  mkdirSync(b);
  const dead = await deadPid();
  const stale = [join(a, `holdfast-${dead}-abc123.spool`), join(b, `holdfast-${dead}-x.spool`), join(a, `holdfast-${rt.pid}-r1.spool`)];
  const kept = [
    // pid 1 always runs.
    join(a, "holdfast-1-def456.spool"),
    join(a, "notes.txt"),
    join(b, `holdfast-${dead}-abc.spool.part`),
    join(b, `holdfast-${dead}-ABC.spool`),
  ];
  for (const f of [...stale, ...kept]) writeFileSync(f, "x");
  const removed = new SpoolStore(rt, [a, b], 0).removeStale();
  expect(removed.sort()).toEqual([...stale].sort());
  for (const f of stale) expect(existsSync(f)).toBe(false);
  for (const f of kept) expect(existsSync(f)).toBe(true);
});

test("pickDir() takes the first directory that keeps --spool-reserve free after the body", () => {
  const [a, b, c] = [freshDir(), freshDir(), freshDir()];
  const free = new Map<string, number>([[a, 150], [b, 1000]]);
  const files: Files = {
    ...rt.files,
    freeBytes: (dir) => {
      const bytes = free.get(dir);
      if (bytes === undefined) throw Object.assign(new Error(`statfs ${dir}`), { code: "EIO" });
      return bytes;
    },
  };
  const fake: Runtime = { ...rt, files };
  const store = new SpoolStore(fake, [a, b, c], 100);
  // 150 - 50 leaves exactly the reserve.
  expect(store.pickDir(50)).toBe(a);
  expect(store.pickDir(51)).toBe(b);
  expect(store.pickDir(900)).toBe(b);
  // b would keep 99; c's statfs fails, which counts as no room.
  expect(store.pickDir(901)).toBeUndefined();
  free.set(c, 10_000);
  expect(store.pickDir(901)).toBe(c);
  free.set(a, 10_000);
  expect(store.pickDir(901)).toBe(a);
  expect(store.hasRoom(b, 900)).toBe(true);
  expect(store.hasRoom(b, 901)).toBe(false);
});

test("create() and createEmpty() make files named by pid and request id, mode 0600; remove() and removeAll() unlink them", async () => {
  const dir = freshDir();
  const store = new SpoolStore(rt, [dir], 0);
  const written = await store.create(dir, "req1");
  expect(written.path).toBe(join(dir, `holdfast-${rt.pid}-req1.spool`));
  await written.writer.write(new TextEncoder().encode("body"));
  await written.writer.close();
  expect(statSync(written.path).size).toBe(4);
  const empty = store.createEmpty(dir, "req2");
  expect(empty).toBe(join(dir, `holdfast-${rt.pid}-req2.spool`));
  expect(statSync(empty).mode & 0o777).toBe(0o600);
  expect(() => store.createEmpty(dir, "req2")).toThrow();
  expect(store.liveCount).toBe(2);
  store.remove(written.path);
  store.remove(written.path);
  expect(existsSync(written.path)).toBe(false);
  expect(store.liveCount).toBe(1);
  store.removeAll();
  expect(existsSync(empty)).toBe(false);
  expect(store.liveCount).toBe(0);
});

test("the default --spool-reserve is the smaller of 64 MiB and 5 % of the file system", () => {
  const [small, big, odd] = [freshDir(), freshDir(), freshDir()];
  const total = new Map<string, number>([[small, 50_000_000], [big, 10 * 2 ** 30]]);
  const files: Files = {
    ...rt.files,
    totalBytes: (dir) => {
      const bytes = total.get(dir);
      if (bytes === undefined) throw Object.assign(new Error(`statfs ${dir}`), { code: "EIO" });
      return bytes;
    },
  };
  const store = new SpoolStore({ ...rt, files }, [small, big, odd], undefined);
  expect(store.reserveOf(small)).toBe(2_500_000);
  expect(store.reserveOf(big)).toBe(64 * 2 ** 20);
  // A file system whose size cannot be read keeps the old default.
  expect(store.reserveOf(odd)).toBe(64 * 2 ** 20);
  expect(new SpoolStore({ ...rt, files }, [small], 1000).reserveOf(small)).toBe(1000);
});

test("reportFailure() skips a directory for 10 s, with one warning; a full one is not skipped; pickDir(after) looks further on", () => {
  const [a, b] = [freshDir(), freshDir()];
  const warnings: string[] = [];
  const store = new SpoolStore(rt, [a, b], 0, (w) => warnings.push(w));
  expect(store.pickDir(1)).toBe(a);
  expect(store.pickDir(1, a)).toBe(b);
  expect(store.pickDir(1, b)).toBeUndefined();
  store.reportFailure(a, Object.assign(new Error("ENOSPC: no space left"), { code: "ENOSPC" }));
  expect(store.pickDir(1)).toBe(a);
  expect(warnings).toEqual([]);
  const erofs = Object.assign(new Error("EROFS: read-only file system"), { code: "EROFS" });
  store.reportFailure(a, erofs);
  store.reportFailure(a, erofs);
  expect(store.pickDir(1)).toBe(b);
  expect(warnings).toEqual([`spool directory ${a} failed (EROFS: read-only file system); skipping it for 10 s`]);
});
