import { afterAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { detectRuntime } from "../../runtime/index.ts";
import { ProxyError } from "../../src/errors.ts";
import { Spooler } from "../../src/spool/spooler.ts";
import { SpoolStore } from "../../src/spool/store.ts";

const rt = await detectRuntime();
const work = mkdtempSync("/dev/shm/holdfast-spooler-test-");
afterAll(() => rmSync(work, { recursive: true, force: true }));
const store = new SpoolStore(rt, [work], 0);
let id = 0;
const opts = (o: Partial<ConstructorParameters<typeof Spooler>[0]> = {}) => ({
  bufferBytes: 1024,
  maxBodyBytes: 0,
  store,
  requestId: `t${++id}`,
  ...o,
});
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

test("a body within --body-buffer stays in memory, whole and in order", async () => {
  const s = new Spooler(opts());
  s.data(new TextEncoder().encode("hello "));
  s.data(new TextEncoder().encode("world"));
  const body = await s.finish();
  expect(body.path).toBeUndefined();
  expect(new TextDecoder().decode(body.bytes)).toBe("hello world");
  expect(body.size).toBe(11);
});

test("a larger body spills to a spool file holding exactly the bytes received; abort() removes it", async () => {
  const parts = [random(700), random(700), random(70_000), random(1)];
  const s = new Spooler(opts());
  for (const p of parts) {
    s.data(p);
    // A spool file opening pauses the client: wait as the connection does.
    if (s.backlog) await s.backlog;
  }
  const body = await s.finish();
  const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  expect(body.size).toBe(all.byteLength);
  expect(sha(readFileSync(body.path!))).toBe(sha(all));
  await s.abort();
  expect(existsSync(body.path!)).toBe(false);
});

test("413 as soon as the body crosses --max-body; nothing of it is kept", async () => {
  const s = new Spooler(opts({ maxBodyBytes: 2000 }));
  s.data(random(1500));
  if (s.backlog) await s.backlog;
  let err: unknown;
  try {
    s.data(random(1000));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ProxyError);
  expect((err as ProxyError).status).toBe(413);
  await s.abort();
  expect(readdirSync(work).filter((n) => n.includes(`-t${id}.`))).toEqual([]);
});

test("507 before reading when the declared length leaves no spool directory its reserve", () => {
  const tight = new SpoolStore(rt, [work], Number.MAX_SAFE_INTEGER);
  let err: unknown;
  try {
    new Spooler(opts({ store: tight, declared: 10_000 }));
  } catch (e) {
    err = e;
  }
  expect((err as ProxyError).status).toBe(507);
});

test("a spool file that cannot be created in the first directory is created in the next one", async () => {
  const [bad, good] = [`${work}/fall-bad`, `${work}/fall-good`];
  // The first directory has room but refuses files, as a read-only remount after start-up does.
  const files = {
    ...rt.files,
    openSpool: (path: string) =>
      path.startsWith(`${bad}/`)
        ? Promise.reject(Object.assign(new Error(`EROFS: read-only file system, open '${path}'`), { code: "EROFS" }))
        : rt.files.openSpool(path),
  };
  const warnings: string[] = [];
  const fallStore = new SpoolStore({ ...rt, files }, [bad, good], 0, (w) => warnings.push(w));
  const s = new Spooler(opts({ store: fallStore, declared: 4096 }));
  const bytes = random(4096);
  s.data(bytes);
  const body = await s.finish();
  expect(body.path?.startsWith(`${good}/`)).toBe(true);
  expect(sha(readFileSync(body.path!))).toBe(sha(bytes));
  expect(warnings).toHaveLength(1);
  await s.abort();
  // With no directory left that works, the error is the upload's.
  const lone = new SpoolStore({ ...rt, files }, [bad], 0);
  const t = new Spooler(opts({ store: lone, declared: 4096 }));
  t.data(bytes);
  await expect(t.finish()).rejects.toMatchObject({ status: 500 });
});
