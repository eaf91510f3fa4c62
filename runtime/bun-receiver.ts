/**
 * Receives request bodies into spool files on a second thread: a Bun Worker
 * with its own epoll (bun-receiver-worker.ts). Bun hands every socket read
 * to JavaScript as a fresh buffer, freed only by a full garbage collection:
 * 64 parallel 8 MiB uploads peaked at 190-260 MB and ran at 0.7x nginx.
 * The worker reads into one buffer and writes it to the file, as nginx does,
 * and leaves the main thread to the proxy (bench/README.md, Findings).
 *
 * @module
 */
import { libc } from "./bun-libc.ts";
import { errnoCode } from "./errno.ts";
import type { ReceiveResult } from "./socket-types.ts";

let worker: Worker | undefined;
let wakeFd = -1;
let failed = false;
let ready = false; // the thread runs: a job it was given may have been read
let seq = 0;
const pending = new Map<number, (r: ReceiveResult) => void>();

// A compiled binary embeds the worker as an entry point of its own (build.ts),
// under the entries' common root, as JavaScript.
function workerUrl(): string {
  if (import.meta.url.includes("/$bunfs/")) return "/$bunfs/root/runtime/bun-receiver-worker.js";
  return new URL("./bun-receiver-worker.ts", import.meta.url).href;
}

function start(): Worker | undefined {
  if (worker || failed) return worker;
  if (!libc) return undefined;
  wakeFd = libc.eventFd();
  if (wakeFd < 0) return undefined;
  // `smol`: the thread needs a small heap (one 256 KiB buffer); about 5 MB.
  const w = new Worker(workerUrl(), { smol: true } as WorkerOptions);
  w.unref();
  w.onmessage = (e: MessageEvent<Omit<ReceiveResult, "code"> & { id: number; ready?: true; errno?: number }>) => {
    if (e.data.ready) return void (ready = true);
    const done = pending.get(e.data.id);
    pending.delete(e.data.id);
    const { received, error, errno } = e.data;
    done?.({ received, error, code: errnoCode(errno), message: errno === undefined ? undefined : `errno ${errno}` });
  };
  w.onerror = (e) => {
    // A thread that cannot start or dies: every job still open fails, later ones use Bun's reads.
    failed = true;
    worker = undefined;
    // Before it ran, it read nothing: the caller reads the body itself.
    const received = ready ? -1 : 0;
    for (const done of pending.values()) done({ received, error: "unavailable", message: String(e.message ?? e) });
    pending.clear();
  };
  w.postMessage({ wake: wakeFd });
  worker = w;
  return w;
}

/** Whether bodies can be received on the worker here (Linux with glibc). */
export const canReceive = libc !== undefined;

/**
 * Moves exactly `length` bytes from socket `socketFd` into the open file
 * `fileFd` (at its offset), on the receiver thread. The caller keeps Bun
 * from reading the socket meanwhile (pause).
 * @param idleMs longest wait for a byte (`--client-body-timeout`)
 * @returns what happened; `received` -1 when the thread failed (the bytes
 *   taken are unknown)
 */
export function receive(socketFd: number, fileFd: number, length: number, idleMs: number): Promise<ReceiveResult> {
  const w = start();
  if (!w) return Promise.resolve({ received: 0, error: "unavailable" });
  // The thread gets its own descriptors: should the socket or the file be
  // closed here meanwhile, their numbers cannot be reused under the thread by
  // another connection or file.
  const sock = libc!.dup(socketFd);
  const file = sock < 0 ? -1 : libc!.dup(fileFd);
  if (file < 0) {
    if (sock >= 0) libc!.close(sock);
    return Promise.resolve({ received: 0, error: "unavailable" });
  }
  const id = ++seq;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    w.postMessage({ id, sock, file, length, idleMs });
    libc!.signal(wakeFd);
  });
}
