import { closeSync, fsyncSync, openSync, statSync } from "node:fs";
import { ProxyError } from "../errors.ts";
import type { SpoolStore } from "./store.ts";

/** The client went away before its body ended; logged as 499 (nginx's code). */
export class ClientGoneError extends ProxyError {
  constructor() {
    super(499, "Client closed the connection before the request body ended");
  }
}

/**
 * Maps a failed spool write to the client's answer.
 * @throws {ProxyError} always: 507 when the disk is full (ENOSPC, EDQUOT), else 500
 */
export function spoolWriteError(e: { code?: string; message?: string }): never {
  if (e.code === "ENOSPC" || e.code === "EDQUOT") throw new ProxyError(507, "Spool directory is full");
  throw new ProxyError(500, `Cannot write the spool file: ${e.message}`);
}

/** Limits for {@link receiveIntoFile}. */
export interface NativeReceive {
  /** The declared Content-Length, in bytes. */
  size: number;
  /** Spool directory already chosen for `size` bytes. */
  dir: string;
  /** `--client-body-timeout`, ms. */
  clientBodyTimeoutMs: number;
  store: SpoolStore;
  requestId: string;
  /** The runtime's native body-to-file writer ({@link Runtime.spoolRequestBody}). */
  write(req: Request, path: string): Promise<number>;
}

/**
 * Spools a body of known length straight into a file with the runtime's
 * native writer (nginx also writes the whole body to the temp file once it
 * exceeds client_body_buffer_size). The runtime owns the reads, so
 * `--client-body-timeout` is enforced by watching the file grow.
 *
 * @returns the spool file's path, holding exactly `size` bytes, fsynced
 * @throws {ProxyError} 408 on a stall, 507 when the disk fills, 500 on other
 *   I/O errors; {@link ClientGoneError} when the client leaves early. No spool
 *   file survives a throw.
 */
export async function receiveIntoFile(req: Request, o: NativeReceive): Promise<string> {
  const path = o.store.createEmpty(o.dir, o.requestId);
  const writing = o.write(req, path);
  let stalled: () => void = () => {};
  const stall = new Promise<"stalled">((resolve) => (stalled = () => resolve("stalled")));
  let lastSize = 0;
  let lastGrowthAt = Date.now();
  const timer = setInterval(() => {
    const size = statSync(path, { throwIfNoEntry: false })?.size ?? lastSize;
    if (size !== lastSize) {
      lastSize = size;
      lastGrowthAt = Date.now();
    } else if (Date.now() - lastGrowthAt >= o.clientBodyTimeoutMs) stalled();
  }, Math.max(10, Math.min(1000, o.clientBodyTimeoutMs / 4)));
  try {
    const outcome = await Promise.race([writing, stall]);
    if (outcome === "stalled") {
      // The runtime's write ends when the connection closes after the 408.
      writing.catch(() => {});
      throw new ProxyError(408, `Client sent nothing for --client-body-timeout ${o.clientBodyTimeoutMs} ms`);
    }
    if (outcome !== o.size) throw new ClientGoneError();
    const fd = openSync(path, "r+");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return path;
  } catch (e) {
    o.store.remove(path);
    if (e instanceof ProxyError) throw e;
    const code = (e as { code?: string }).code;
    // The runtime reads the socket too: only a file system error is ours.
    if (code && /^E[A-Z]+$/.test(code) && code !== "ECONNRESET") spoolWriteError(e as Error);
    throw new ClientGoneError();
  } finally {
    clearInterval(timer);
  }
}
