/**
 * The body receiver's thread (see bun-receiver.ts): moves request bodies
 * from client sockets into spool files with read(2) and write(2) through
 * one reused buffer, polled with its own epoll, as nginx reads a body into
 * `client_body_buffer_size` and writes it to `client_body_temp_path`.
 *
 * Messages out first: `{ ready: true }` once loaded. Messages in: `{ wake }` once (an eventfd the main thread signals after
 * each job), then jobs `{ id, sock, file, length, idleMs }` (`sock` and
 * `file` are this thread's own duplicates, which it closes; `file` shares
 * its offset with the main thread's descriptor, so the body goes on where
 * the main thread stopped writing). Messages out:
 * `{ id, received, error?, errno? }` per job (see `ReceiveResult`).
 *
 * @module
 */
/// <reference lib="webworker" />
import { dlopen, FFIType, ptr, read } from "bun:ffi";
import { EAGAIN, EINTR, EINVAL } from "./errno.ts";

const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLLIN = 0x001, EPOLLRDHUP = 0x2000;
// struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned on arm64 (16).
const EVENT_BYTES = process.arch === "x64" ? 12 : 16;
const DATA_AT = process.arch === "x64" ? 4 : 8;
const MAX_EVENTS = 64;
// One buffer for every body: what a read may take.
const BUF_BYTES = 256 * 1024;
// Reads per socket per turn, so one fast client does not starve the others.
const READS_PER_TURN = 4;
// Longest epoll wait while jobs run: bounds how late a new job or a timeout is seen.
const MAX_WAIT_MS = 50;

const { symbols: c } = dlopen("libc.so.6", {
  epoll_create1: { args: [FFIType.i32], returns: FFIType.i32 },
  epoll_ctl: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  epoll_wait: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64_fast },
  write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64_fast },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  pipe2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  splice: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.u32], returns: FFIType.i64_fast },
  __errno_location: { args: [], returns: FFIType.ptr },
});
const errno = () => read.i32(c.__errno_location()!);

interface Job {
  id: number;
  sock: number;
  file: number;
  length: number;
  idleMs: number;
  left: number;
  last: number;
  /** Copies through the buffer: the socket cannot be spliced from. */
  copy?: boolean;
}

const ep = c.epoll_create1(0o2000000);
const events = new Uint8Array(EVENT_BYTES * MAX_EVENTS);
const eventsView = new DataView(events.buffer);
const one = new Uint8Array(EVENT_BYTES);
const oneView = new DataView(one.buffer);
const buf = new Uint8Array(BUF_BYTES);
const bufPtr = ptr(buf);
const drain = new Uint8Array(8);
const jobs = new Map<number, Job>();
let wake = -1;
let running = false;

function watch(fd: number): number {
  oneView.setUint32(0, EPOLLIN | EPOLLRDHUP, true);
  oneView.setInt32(DATA_AT, fd, true);
  return c.epoll_ctl(ep, EPOLL_CTL_ADD, fd, ptr(one));
}

self.onmessage = (e: MessageEvent) => {
  const m = e.data;
  if (m.wake !== undefined) {
    wake = m.wake;
    watch(wake);
    return;
  }
  const job: Job = { ...m, left: m.length, last: performance.now() };
  if (watch(job.sock) !== 0) return end(job, "reset", errno());
  jobs.set(job.sock, job);
  if (!running) {
    running = true;
    setTimeout(turn, 0);
  }
};

postMessage({ ready: true });

function end(job: Job, error?: string, code?: number): void {
  c.epoll_ctl(ep, EPOLL_CTL_DEL, job.sock, null);
  c.close(job.sock);
  c.close(job.file);
  jobs.delete(job.sock);
  postMessage({ id: job.id, received: job.length - job.left, error, errno: code });
}

/** One turn: waits for readable sockets, moves what they have, then lets messages in. */
function turn(): void {
  let wait = MAX_WAIT_MS;
  const now = performance.now();
  for (const job of jobs.values()) {
    const rest = job.last + job.idleMs - now;
    if (rest <= 0) end(job, "timeout");
    else wait = Math.min(wait, Math.ceil(rest));
  }
  if (jobs.size === 0) {
    running = false;
    return;
  }
  const n = c.epoll_wait(ep, ptr(events), MAX_EVENTS, wait);
  for (let i = 0; i < n; i++) {
    const fd = eventsView.getInt32(i * EVENT_BYTES + DATA_AT, true);
    if (fd === wake) {
      c.read(wake, ptr(drain), 8);
      continue;
    }
    const job = jobs.get(fd);
    if (job) pump(job);
  }
  setImmediate(turn);
}

const SPLICE_F_MOVE = 1, SPLICE_F_NONBLOCK = 2, F_SETPIPE_SZ = 1031;
const pipeFds = new Int32Array(2);
let pipeR = -1, pipeW = -1;

/** The thread's one pipe for splice(2), as large as the buffer; false when none can be made. */
function openPipe(): boolean {
  if (pipeR >= 0) return true;
  if (c.pipe2(ptr(pipeFds), 0o2000000) !== 0) return false;
  [pipeR, pipeW] = pipeFds;
  c.fcntl(pipeW, F_SETPIPE_SZ, BUF_BYTES);
  return true;
}
/** Drops the pipe: after a failed write to the file it may still hold bytes. */
function closePipe(): void {
  c.close(pipeR);
  c.close(pipeW);
  pipeR = pipeW = -1;
}

/**
 * Moves what the socket has into the file: with splice(2) through a pipe
 * (the bytes never enter user space: 10-15% faster, less CPU, bench/README.md),
 * else with read(2) and write(2) through the buffer.
 */
function pump(job: Job): void {
  if (!job.copy && openPipe()) return splicePump(job);
  for (let k = 0; k < READS_PER_TURN && job.left > 0; k++) {
    const r = Number(c.read(job.sock, bufPtr, Math.min(BUF_BYTES, job.left)));
    if (r === 0) return end(job, "eof");
    if (r < 0) {
      const e = errno();
      if (e === EAGAIN) return;
      if (e === EINTR) continue;
      return end(job, "reset", e);
    }
    for (let at = 0; at < r;) {
      const w = Number(c.write(job.file, ptr(buf, at), r - at));
      if (w <= 0) {
        const e = w < 0 ? errno() : 0;
        if (e === EINTR) continue;
        return end(job, "write", e);
      }
      at += w;
    }
    job.left -= r;
    job.last = performance.now();
  }
  if (job.left === 0) end(job);
}

function splicePump(job: Job): void {
  for (let k = 0; k < READS_PER_TURN && job.left > 0; k++) {
    const r = Number(c.splice(job.sock, null, pipeW, null, Math.min(BUF_BYTES, job.left), SPLICE_F_MOVE | SPLICE_F_NONBLOCK));
    if (r === 0) return end(job, "eof");
    if (r < 0) {
      const e = errno();
      if (e === EAGAIN) return;
      if (e === EINTR) continue;
      // A socket that cannot be spliced from: this job copies through the buffer.
      if (e === EINVAL) return (job.copy = true), pump(job);
      return end(job, "reset", e);
    }
    for (let at = 0; at < r;) {
      const w = Number(c.splice(pipeR, null, job.file, null, r - at, SPLICE_F_MOVE));
      if (w <= 0) {
        const e = w < 0 ? errno() : 0;
        if (e === EINTR) continue;
        closePipe();
        return end(job, "write", e);
      }
      at += w;
    }
    job.left -= r;
    job.last = performance.now();
  }
  if (job.left === 0) end(job);
}
