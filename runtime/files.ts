// Files on node:fs, which Bun and Deno both implement (Deno with a few errors short of a `code`).
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import type { Files, FileWriter, SpoolReader, SpoolWriter } from "./fs-types.ts";
import { freeBytesOf, openSpoolFile, totalBytesOf } from "./node-common.ts";
import { errnoCode } from "./errno.ts";

/** Rethrows `e` with the `code` its message names, when it has none. */
function withCode(e: unknown): never {
  const err = e as { code?: unknown; message?: unknown } | null;
  if (err && typeof err === "object" && err.code === undefined && typeof err.message === "string") {
    // Deno's node:fs leaves some errors without a `code` ("File too large (os error 27)").
    const code = errnoCode(Number(/\(os error (\d+)\)$/.exec(err.message)?.[1] ?? NaN));
    if (code) Object.defineProperty(err, "code", { value: code, enumerable: true, configurable: true });
  }
  throw e;
}

async function openSpool(path: string): Promise<SpoolWriter> {
  const w = await openSpoolFile(path).catch(withCode);
  return {
    fd: w.fd,
    flush() {
      try {
        w.flush();
      } catch (e) {
        withCode(e);
      }
    },
    write: (chunk) => w.write(chunk).catch(withCode),
    close: () => w.close().catch(withCode),
    abort: () => w.abort(),
  };
}

async function openReader(path: string): Promise<SpoolReader> {
  const fh = await open(path, "r").catch(withCode);
  let closed = false;
  return {
    fd: fh.fd,
    // Synchronous reads, as nginx reads its temp files: the spool was just
    // written and fsynced, so its pages are in memory and a read is a copy;
    // FileHandle.read paid a thread-pool round trip per piece.
    read: (into, position) =>
      new Promise<number>((resolve) => resolve(readSync(fh.fd, into, 0, into.byteLength, position))).catch(withCode),
    async close() {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}

async function openWriter(path: string): Promise<FileWriter> {
  const fh = await open(path, "wx", 0o600).catch(withCode);
  return {
    async write(chunk) {
      for (let at = 0; at < chunk.byteLength;) {
        at += (await fh.write(chunk, at, chunk.byteLength - at).catch(withCode)).bytesWritten;
      }
    },
    close: () => fh.close().catch(withCode),
  };
}

function fsync(path: string): void {
  try {
    const fd = openSync(path, "r+");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    withCode(e);
  }
}

function createExclusive(path: string): void {
  try {
    closeSync(openSync(path, "wx", 0o600));
  } catch (e) {
    withCode(e);
  }
}

/** {@link Files} on node:fs, for Bun and Deno. */
export const nodeFiles: Files = {
  mkdirp: (dir, mode) => void mkdirSync(dir, { recursive: true, mode }),
  makeTempDir: (prefix) => mkdtempSync(prefix),
  list: (dir) => readdirSync(dir),
  remove: (path, opts) => rmSync(path, { force: true, recursive: opts?.recursive ?? false }),
  rename: (from, to) => renameSync(from, to),
  exists: (path) => existsSync(path),
  readFile: (path) => readFileSync(path),
  size: (path) => statSync(path, { throwIfNoEntry: false })?.size,
  createExclusive,
  openSpool,
  openWriter,
  openReader,
  fsync,
  freeBytes: freeBytesOf,
  totalBytes: totalBytesOf,
  tempDir: () => tmpdir(),
};
