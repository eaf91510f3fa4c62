/**
 * The few C library calls Bun's socket API lacks, through `bun:ffi`:
 * sendfile(2) for spool replays and what the body receiver
 * (bun-receiver.ts) needs to hand a socket to its thread. glibc on Linux
 * (x64 and arm64); elsewhere {@link libc} is undefined and holdfast uses
 * Bun's sockets alone.
 *
 * @module
 */
import { dlopen, FFIType, ptr, read } from "bun:ffi";
import { EAGAIN, EINTR } from "./errno.ts";

/** fcntl(2) command: duplicate with close-on-exec, so a spawned child never inherits the copy. */
const F_DUPFD_CLOEXEC = 1030;
/** eventfd(2) flags. */
const EFD_CLOEXEC = 0o2000000, EFD_NONBLOCK = 0o4000;
/** shutdown(2): no more receptions. */
const SHUT_RD = 0;

/** The calls holdfast makes; each returns what the C function returns, -1 with errno on failure. */
export interface Libc {
  /**
   * Sends up to `length` bytes of file `fileFd` from `offset` on the
   * non-blocking socket `socketFd`, in the kernel.
   * @returns bytes the kernel took (> 0); 0 when the socket's buffer is full
   *   or the file ended; -1 on any other error (EPIPE, ECONNRESET)
   */
  sendFile(socketFd: number, fileFd: number, offset: number, length: number): number;
  /** A close-on-exec duplicate of `fd`, or -1. */
  dup(fd: number): number;
  /** A non-blocking, close-on-exec eventfd, or -1. */
  eventFd(): number;
  /** Adds 1 to eventfd `fd`: wakes whoever polls it. */
  signal(fd: number): void;
  /** shutdown(fd, SHUT_RD): reads on the socket return end-of-file from now on, in every thread. */
  shutdownRead(fd: number): void;
  /** close(2). */
  close(fd: number): void;
}

function load(): Libc | undefined {
  if (process.platform !== "linux") return undefined;
  let lib;
  try {
    lib = dlopen("libc.so.6", {
      sendfile: { args: [FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64_fast },
      fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      eventfd: { args: [FFIType.u32, FFIType.i32], returns: FFIType.i32 },
      write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64_fast },
      shutdown: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      close: { args: [FFIType.i32], returns: FFIType.i32 },
      __errno_location: { args: [], returns: FFIType.ptr },
    });
  } catch {
    return undefined;
  }
  const c = lib.symbols;
  const errno = () => read.i32(c.__errno_location()!);
  // off_t in and out: the kernel advances it past what it sent.
  const off = new BigInt64Array(1);
  const offPtr = ptr(off);
  const one = new BigUint64Array([1n]);
  const onePtr = ptr(one);
  return {
    sendFile(socketFd, fileFd, offset, length) {
      for (;;) {
        off[0] = BigInt(offset);
        const n = Number(c.sendfile(socketFd, fileFd, offPtr, length));
        if (n >= 0) return n;
        const e = errno();
        if (e !== EINTR) return e === EAGAIN ? 0 : -1;
      }
    },
    dup: (fd) => c.fcntl(fd, F_DUPFD_CLOEXEC, 0),
    eventFd: () => c.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
    signal: (fd) => void c.write(fd, onePtr, 8),
    shutdownRead: (fd) => void c.shutdown(fd, SHUT_RD),
    close: (fd) => void c.close(fd),
  };
}

/** The C library's calls, or undefined where they cannot be loaded (another OS, musl, an FFI failure). */
export const libc: Libc | undefined = load();
