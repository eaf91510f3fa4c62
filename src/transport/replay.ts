/**
 * Replays a spool file to a peer: with sendfile(2) where the socket offers
 * it (no copy through JavaScript, as nginx's `sendfile on`), else, and
 * whenever the kernel takes nothing, a piece read into a buffer.
 *
 * @module
 */
import type { Socket } from "../../runtime/socket-types.ts";
import type { SpoolSource } from "./types.ts";

// Pieces read and written: large enough for few reads, small enough to stay in a socket buffer.
const PIECE_BYTES = 256 * 1024;
// With sendfile(2), a piece is only written when the socket is full, to be
// told by its drain when the kernel takes more: just over the socket's
// high-water mark, so that it waits, copying as little as it can.
const WAKE_PIECE_BYTES = 64 * 1024 + 1;
// Bytes sendfile may send without a turn of the event loop: a fast peer
// would otherwise keep the loop from every other connection.
const SENDFILE_TURN_BYTES = 4 * 1024 * 1024;

/** The exchange a replay sends for. */
export interface ReplaySender {
  readonly socket: Socket;
  /** Writes, waiting for `drain` when the socket is full. @returns false when the exchange ended meanwhile */
  write(bytes: Uint8Array): Promise<boolean>;
  /** The peer took bytes: `--send-timeout` (nginx `proxy_send_timeout`) starts again. */
  progressed(): void;
  /** Whether the exchange still sends (it may end meanwhile: a timeout, the client gone). */
  sending(): boolean;
}

/**
 * Sends bytes [0, `size`) of `spool` on `to.socket`.
 * @returns false when the exchange ended meanwhile
 * @throws {Error} when the file cannot be read or ends early
 */
export async function replaySpool(to: ReplaySender, spool: SpoolSource, size: number): Promise<boolean> {
  const s = to.socket;
  const fd = s.sendFile ? spool.fd : undefined;
  let piece: Uint8Array | undefined;
  let turn = 0;
  for (let at = 0; at < size;) {
    if (fd !== undefined) {
      const n = s.sendFile!(fd, at, size - at);
      if (n > 0) {
        at += n;
        to.progressed();
        if ((turn += n) >= SENDFILE_TURN_BYTES) {
          turn = 0;
          // A timer (1-2 ms), not setImmediate: in a 1 GiB upload through
          // holdfast, setImmediate's tighter loop of small sendfile calls cost
          // more CPU and was slower (563-680 against 903-924 MB/s).
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (!to.sending()) return false;
        }
        continue;
      }
    }
    // The socket is full (or cannot send files): a written piece is queued
    // and its drain says when the kernel takes more.
    piece ??= new Uint8Array(Math.min(fd === undefined ? PIECE_BYTES : WAKE_PIECE_BYTES, size));
    const n = await spool.read(size - at < piece.byteLength ? piece.subarray(0, size - at) : piece, at);
    if (n <= 0) throw new Error(`spool file ended ${size - at} bytes early`);
    at += n;
    if (!(await to.write(n === piece.byteLength ? piece : piece.subarray(0, n)))) return false;
    // The socket holds on to what the kernel did not take yet: the buffer is
    // reused only when nothing of it is queued (a fresh 1 MiB per piece cost
    // page faults and a memset per piece, bench/upload.ts).
    if (s.bufferedBytes > 0) piece = undefined;
    if (!to.sending()) return false;
  }
  return true;
}
