// Pieces both runtimes implement through their node: compatibility layer.
import { spawn as nodeSpawn } from "node:child_process";
import { open, type FileHandle } from "node:fs/promises";
import { statfsSync } from "node:fs";
import { connect } from "node:net";
import type { Child, SpoolWriter } from "./types.ts";

// Coalescing small request-body chunks into one writev keeps syscalls per
// megabyte low; 256 KiB bounds what sits in memory per upload.
const COALESCE_BYTES = 256 * 1024;

/** Opens `path` exclusively (`wx`, mode 0600) and returns a coalescing {@link SpoolWriter}. */
export async function openSpoolFile(path: string): Promise<SpoolWriter> {
  const fh: FileHandle = await open(path, "wx", 0o600);
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const bufs = pending;
    pending = [];
    pendingBytes = 0;
    await fh.writev(bufs);
  };
  return {
    async write(chunk) {
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= COALESCE_BYTES) await flush();
    },
    async close() {
      try {
        await flush();
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

/** Free bytes for unprivileged writers (statfs `bavail × bsize`). Throws if `dir` does not exist. */
export function freeBytesOf(dir: string): number {
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

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
        cp.kill(signal);
      } catch { /* already gone */ }
    },
    exited,
  };
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
