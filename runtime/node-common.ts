// Pieces both runtimes implement through their node: compatibility layer.
import { spawn as nodeSpawn } from "node:child_process";
import { type FileHandle, open } from "node:fs/promises";
import { statfsSync, writevSync } from "node:fs";
import { connect } from "node:net";
import { lookup as dnsLookup } from "node:dns/promises";
import type { Child, SpoolWriter } from "./types.ts";

// Coalescing small request-body chunks into one writev keeps syscalls per
// megabyte low; 256 KiB bounds what sits in memory per upload.
const COALESCE_BYTES = 256 * 1024;
// Reads this large are written at once rather than coalesced.
const DIRECT_BYTES = 64 * 1024;

/**
 * Opens `path` exclusively (`wx`, mode 0600) and returns a coalescing {@link SpoolWriter}.
 *
 * Appends use writev(2) synchronously, as nginx writes its client body temp
 * files: a write to the page cache is a memory copy, and doing it on the
 * event loop skips FileHandle.writev's thread-pool round trip per batch. On
 * Bun that took a body 20-25% faster (bench/spool-write.ts), made 1 GiB
 * uploads 4-22% faster end to end with a lower peak RSS (bench/upload.ts).
 * fsync and close, which can wait on a disk, stay asynchronous.
 */
export async function openSpoolFile(path: string): Promise<SpoolWriter> {
  const fh: FileHandle = await open(path, "wx", 0o600);
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = () => {
    if (pendingBytes === 0) return;
    const bufs = pending;
    pending = [];
    pendingBytes = 0;
    writevAll(fh.fd, bufs);
  };
  return {
    fd: fh.fd,
    flush,
    write(chunk) {
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      // The executor's throw (ENOSPC) becomes a rejection, as SpoolWriter promises.
      // A large read (a runtime hands over up to 512 KiB) goes out at once: held
      // back, it is memory that cannot be collected yet.
      return new Promise((resolve) => resolve(pendingBytes >= COALESCE_BYTES || chunk.byteLength >= DIRECT_BYTES ? flush() : undefined));
    },
    async close() {
      try {
        flush();
        // fsync: the replay must read what the client sent even if the page
        // cache is under pressure; on tmpfs it costs nothing.
        await fh.sync();
      } finally {
        await fh.close();
      }
    },
    async abort() {
      pending = [];
      await fh.close().catch(() => {});
    },
  };
}

/**
 * writev(2) until every byte is written. A short write (a full disk) is
 * retried with the rest, so it ends in ENOSPC instead of a silently
 * truncated spool file.
 */
function writevAll(fd: number, bufs: Uint8Array[]): void {
  let rest = bufs;
  for (;;) {
    let n = writevSync(fd, rest);
    if (n === 0) throw Object.assign(new Error("writev wrote nothing"), { code: "EIO" });
    let i = 0;
    while (i < rest.length && n >= rest[i].byteLength) n -= rest[i++].byteLength;
    if (i === rest.length) return;
    rest = [rest[i].subarray(n), ...rest.slice(i + 1)];
  }
}

/** Free bytes for unprivileged writers (statfs `bavail × bsize`). Throws if `dir` does not exist. */
export function freeBytesOf(dir: string): number {
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

/** Size of the file system (statfs `blocks × bsize`). Throws if `dir` does not exist. */
export function totalBytesOf(dir: string): number {
  const s = statfsSync(dir);
  return Number(s.blocks) * Number(s.bsize);
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Starts `argv` as a child process; see {@link Runtime.spawn}. */
export function spawnChild(argv: string[], opts: { env?: Record<string, string>; quiet?: boolean } = {}): Child {
  const cp = nodeSpawn(argv[0], argv.slice(1), {
    env: { ...process.env, ...opts.env },
    stdio: opts.quiet ? "ignore" : "inherit",
  });
  const exited = new Promise<number>((resolve) => {
    cp.on("exit", (code, sig) => resolve(code ?? 128 + (SIGNALS[sig ?? ""] ?? 0)));
    cp.on("error", () => resolve(127));
  });
  return {
    pid: cp.pid ?? -1,
    kill(signal) {
      try {
        // By pid: Deno's ChildProcess.kill sends nothing once it has sent one signal (a SIGHUP, then no SIGTERM).
        if (cp.pid !== undefined && cp.exitCode === null && cp.signalCode === null) process.kill(cp.pid, signal);
      } catch { /* already gone */ }
    },
    exited,
  };
}

/** See {@link Runtime.lookup}. */
export async function lookup(host: string): Promise<string[]> {
  return (await dnsLookup(host, { all: true })).map((a) => a.address);
}

/** See {@link Runtime.canConnect}. */
export function canConnect(to: { host: string; port: number; socketPath?: string }, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = to.socketPath ? connect({ path: to.socketPath }) : connect({ host: to.host, port: to.port });
    const done = (ok: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/**
 * Whether process `pid` runs (signal 0). A process of another user that
 * cannot be signalled (EPERM) counts as running.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}
