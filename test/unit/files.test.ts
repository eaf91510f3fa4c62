import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { nodeFiles as files } from "../../runtime/files.ts";

const ROOT = resolve(import.meta.dir, "../..");
const MiB = 1024 * 1024;
const work = mkdtempSync("/dev/shm/holdfast-files-test-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/** A fresh path under the test's directory, not yet created. */
const fresh = (name = "f") => join(work, `${name}-${++n}`);

/** Runs `fn` and returns the `code` of what it threw. */
function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  throw new Error("did not throw");
}

async function rejectionCode(p: Promise<unknown>): Promise<string | undefined> {
  return await p.then(() => {
    throw new Error("did not reject");
  }, (e) => (e as { code?: string }).code);
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe("directories", () => {
  test("mkdirp() creates missing parents with the mode given and accepts an existing directory", () => {
    const dir = join(fresh("d"), "a", "b");
    files.mkdirp(dir, 0o700);
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(mode(dir)).toBe(0o700);
    files.mkdirp(dir, 0o700);
    expect(statSync(dir).isDirectory()).toBe(true);
  });

  test("mkdirp() throws EEXIST when a file is in the way and ENOTDIR under a file", () => {
    const file = fresh();
    writeFileSync(file, "x");
    expect(codeOf(() => files.mkdirp(file, 0o700))).toBe("EEXIST");
    expect(codeOf(() => files.mkdirp(join(file, "sub"), 0o700))).toBe("ENOTDIR");
  });

  test("makeTempDir() creates a new directory, mode 0700, named by the prefix", () => {
    const prefix = join(work, "tmp-");
    const a = files.makeTempDir(prefix);
    const b = files.makeTempDir(prefix);
    expect(a).not.toBe(b);
    expect(a.startsWith(prefix) && a.length === prefix.length + 6).toBe(true);
    expect(statSync(a).isDirectory()).toBe(true);
    expect(mode(a)).toBe(0o700);
    expect(codeOf(() => files.makeTempDir(join(fresh("missing"), "x-")))).toBe("ENOENT");
  });

  test("list() gives the names of a directory's entries and throws ENOENT for a missing one", () => {
    const dir = fresh("d");
    mkdirSync(dir);
    writeFileSync(join(dir, "one"), "1");
    mkdirSync(join(dir, "two"));
    expect(files.list(dir).sort()).toEqual(["one", "two"]);
    expect(codeOf(() => files.list(fresh("missing")))).toBe("ENOENT");
  });

  test("tempDir() is the OS temp directory, without a trailing slash", () => {
    expect(files.tempDir()).toBe(tmpdir());
    expect(files.tempDir().endsWith("/")).toBe(false);
    expect(statSync(files.tempDir()).isDirectory()).toBe(true);
  });

  test("freeBytes() is statfs bavail × bsize and throws ENOENT for a missing directory", () => {
    const s = statfsSync(work);
    const expected = Number(s.bavail) * Number(s.bsize);
    // Other processes write to /dev/shm meanwhile: allow 64 MiB of drift.
    expect(Math.abs(files.freeBytes(work) - expected)).toBeLessThan(64 * MiB);
    expect(files.freeBytes(work)).toBeGreaterThan(0);
    expect(codeOf(() => files.freeBytes(fresh("missing")))).toBe("ENOENT");
  });
});

describe("paths", () => {
  test("remove() deletes a file, ignores a missing path, and deletes a directory only when recursive", () => {
    const file = fresh();
    writeFileSync(file, "x");
    files.remove(file);
    expect(existsSync(file)).toBe(false);
    files.remove(file);
    const dir = fresh("d");
    mkdirSync(dir);
    writeFileSync(join(dir, "inner"), "x");
    expect(() => files.remove(dir)).toThrow();
    expect(existsSync(dir)).toBe(true);
    files.remove(dir, { recursive: true });
    expect(existsSync(dir)).toBe(false);
  });

  test("rename() moves a file, replacing the target, and throws ENOENT for a missing source", () => {
    const from = fresh();
    const to = fresh();
    writeFileSync(from, "new");
    writeFileSync(to, "old");
    files.rename(from, to);
    expect(existsSync(from)).toBe(false);
    expect(readFileSync(to, "utf8")).toBe("new");
    expect(codeOf(() => files.rename(from, to))).toBe("ENOENT");
  });

  test("exists() is true for files and directories, false for a missing path", () => {
    const file = fresh();
    writeFileSync(file, "x");
    expect(files.exists(file)).toBe(true);
    expect(files.exists(work)).toBe(true);
    expect(files.exists(fresh("missing"))).toBe(false);
  });

  test("readFile() returns the bytes of a file and throws ENOENT for a missing one", () => {
    const file = fresh();
    const bytes = randomBytes(1000);
    writeFileSync(file, bytes);
    const got = files.readFile(file);
    expect(got).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(got).equals(bytes)).toBe(true);
    expect(codeOf(() => files.readFile(fresh("missing")))).toBe("ENOENT");
  });

  test("size() is the byte size of a file, undefined for a missing path", () => {
    const file = fresh();
    writeFileSync(file, new Uint8Array(12345));
    expect(files.size(file)).toBe(12345);
    expect(files.size(fresh("missing"))).toBeUndefined();
  });
});

describe("writing and reading", () => {
  test("createExclusive() creates an empty file, mode 0600, and throws EEXIST the second time", () => {
    const file = fresh();
    files.createExclusive(file);
    expect(statSync(file).size).toBe(0);
    expect(mode(file)).toBe(0o600);
    expect(codeOf(() => files.createExclusive(file))).toBe("EEXIST");
    expect(codeOf(() => files.createExclusive(join(fresh("missing"), "f")))).toBe("ENOENT");
  });

  test("openSpool() writes chunks of any size in order, mode 0600, and close() leaves them all on disk", async () => {
    const file = fresh();
    const w = await files.openSpool(file);
    const chunks = [1, 7, 64 * 1024, 300 * 1024, 3, 256 * 1024].map((size) => randomBytes(size));
    for (const c of chunks) await w.write(c);
    await w.close();
    expect(mode(file)).toBe(0o600);
    expect(readFileSync(file).equals(Buffer.concat(chunks))).toBe(true);
  });

  test("openSpool() throws EEXIST for an existing file; abort() closes without writing what is pending", async () => {
    const file = fresh();
    writeFileSync(file, "");
    expect(await rejectionCode(files.openSpool(file))).toBe("EEXIST");
    const other = fresh();
    const w = await files.openSpool(other);
    await w.write(new Uint8Array(10));
    await w.abort();
    expect(statSync(other).size).toBe(0);
  });

  test("openWriter() writes chunks in order, mode 0600, and throws EEXIST for an existing file", async () => {
    const file = fresh();
    const w = await files.openWriter(file);
    const chunks = [randomBytes(5), randomBytes(200 * 1024), randomBytes(1)];
    for (const c of chunks) await w.write(c);
    // Each write is in the file when it resolves, before close().
    expect(statSync(file).size).toBe(5 + 200 * 1024 + 1);
    await w.close();
    expect(mode(file)).toBe(0o600);
    expect(readFileSync(file).equals(Buffer.concat(chunks))).toBe(true);
    expect(await rejectionCode(files.openWriter(file))).toBe("EEXIST");
  });

  test("openReader() reads a 3 MiB file back in 1 MiB pieces from given positions, then 0, with the same sha256", async () => {
    const file = fresh();
    const bytes = randomBytes(3 * MiB);
    writeFileSync(file, bytes);
    const r = await files.openReader(file);
    const piece = new Uint8Array(MiB);
    const hash = createHash("sha256");
    const sizes: number[] = [];
    let at = 0;
    for (let got; (got = await r.read(piece, at)) > 0; at += got) {
      sizes.push(got);
      hash.update(piece.subarray(0, got));
    }
    expect(await r.read(piece, at)).toBe(0);
    // A position is absolute, not where the last read ended.
    expect(await r.read(piece.subarray(0, 4), MiB + 1)).toBe(4);
    expect(piece.subarray(0, 4)).toEqual(bytes.subarray(MiB + 1, MiB + 5));
    expect(typeof r.fd).toBe("number");
    await r.close();
    await r.close();
    expect(sizes).toEqual([MiB, MiB, MiB]);
    expect(hash.digest("hex")).toBe(createHash("sha256").update(bytes).digest("hex"));
  });

  test("openReader() throws ENOENT for a missing file", async () => {
    expect(await rejectionCode(files.openReader(fresh("missing")))).toBe("ENOENT");
  });

  test("fsync() flushes an existing file and throws ENOENT for a missing one", () => {
    const file = fresh();
    writeFileSync(file, "x");
    files.fsync(file);
    expect(codeOf(() => files.fsync(fresh("missing")))).toBe("ENOENT");
  });
});

// ENOSPC itself needs a full file system (test/e2e/disk-full.test.ts mounts
// one). A file-size limit (ulimit -f) makes writev(2) come up short and then
// fail with EFBIG: the same path a disk filling mid-body takes, and Deno
// reports EFBIG without a `code` of its own.
describe.each([
  ["bun", [join(ROOT, "node_modules/.bin/bun")]],
  ["deno", [join(ROOT, "node_modules/.bin/deno"), "run", "-A"]],
])("write errors on %s", (_name, runtime) => {
  test("a spool write the file system refuses rejects with its code, not a shorter file", () => {
    const script = fresh("limit") + ".ts";
    writeFileSync(
      script,
      `import { nodeFiles } from ${JSON.stringify(join(ROOT, "runtime/files.ts"))};
const w = await nodeFiles.openSpool(${JSON.stringify(fresh("limited"))});
try {
  for (let i = 0; i < 8; i++) await w.write(new Uint8Array(128 * 1024));
  await w.close();
  console.log("no error");
} catch (e) {
  await w.abort();
  console.log("code " + e.code);
}`,
    );
    // 128 blocks of 512 bytes; SIGXFSZ ignored, so write(2) fails instead of killing.
    const r = spawnSync("sh", ["-c", 'ulimit -f 128; trap "" XFSZ; exec "$@"', "sh", ...runtime, script], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("code EFBIG");
  }, 30_000);
});
