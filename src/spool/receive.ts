import { ProxyError } from "../errors.ts";
import { ClientGoneError, receiveIntoFile, spoolWriteError } from "./receive-native.ts";
import type { SpoolFile, SpoolStore } from "./store.ts";

export { ClientGoneError };

/** A complete request body: in memory when small, else in a spool file. */
export interface SpooledBody {
  /** Bytes received (the de-chunked length). */
  size: number;
  /** The body, when it fit in `--body-buffer`. */
  bytes?: Uint8Array;
  /** The spool file holding the body, when it did not. */
  path?: string;
}

/** Limits for {@link receiveBody}, all from the command line. */
export interface ReceiveOptions {
  /** `--body-buffer`: bytes kept in memory before spilling, in bytes. */
  bufferBytes: number;
  /** `--max-body`: 0 = no limit, in bytes. */
  maxBodyBytes: number;
  /** `--client-body-timeout`: longest pause between two reads, in ms. */
  clientBodyTimeoutMs: number;
  store: SpoolStore;
  requestId: string;
  /** The runtime's native body-to-file writer, when it has one. */
  writeBodyToFile?: (req: Request, path: string) => Promise<number>;
}

// How often, in spooled bytes, free space is checked again for bodies of
// unknown length: often enough to stop well before the reserve is eaten.
const RECHECK_BYTES = 8 * 1024 * 1024;

/**
 * Reads the whole request body at the client's speed, whatever the upstream
 * is doing: the first `bufferBytes` in memory, the rest appended to a spool
 * file (nginx `proxy_request_buffering on`). Chunked bodies arrive de-chunked.
 *
 * @throws {ProxyError} 413 past `--max-body` (before reading when
 *   Content-Length says so), 408 on a stall longer than
 *   `--client-body-timeout`, 507 when no spool directory keeps
 *   `--spool-reserve` free; {@link ClientGoneError} when the client leaves.
 *   No spool file survives a throw.
 */
export async function receiveBody(req: Request, o: ReceiveOptions): Promise<SpooledBody> {
  const declared = req.headers.has("content-length") ? Number(req.headers.get("content-length")) : undefined;
  if (o.maxBodyBytes > 0 && declared !== undefined && declared > o.maxBodyBytes) {
    if (req.body) linger(req.body.getReader());
    throw new ProxyError(413, `Request body of ${declared} bytes is larger than --max-body ${o.maxBodyBytes}`);
  }
  let dir: string | undefined;
  if (declared !== undefined && declared > o.bufferBytes) {
    dir = o.store.pickDir(declared);
    if (!dir) {
      if (req.body) linger(req.body.getReader());
      throw new ProxyError(507, `No spool directory has room for ${declared} bytes`);
    }
  }
  if (!req.body) return { size: 0, bytes: new Uint8Array(0) };
  if (dir && o.writeBodyToFile) {
    const path = await receiveIntoFile(req, { ...o, size: declared!, dir, write: o.writeBodyToFile });
    return { size: declared!, path };
  }

  const reader = req.body.getReader();
  let lastReadAt = Date.now();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout>;
  // One re-armed timer per request, not one per chunk.
  const watch = () => {
    const idle = Date.now() - lastReadAt;
    if (idle < o.clientBodyTimeoutMs) {
      timer = setTimeout(watch, o.clientBodyTimeoutMs - idle);
      return;
    }
    timedOut = true;
    reader.cancel().catch(() => {});
  };
  timer = setTimeout(watch, o.clientBodyTimeoutMs);

  const memory: Uint8Array[] = [];
  let size = 0;
  let file: SpoolFile | undefined;
  let sinceCheck = 0;
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch {
        if (timedOut) break;
        throw new ClientGoneError();
      }
      if (step.done) break;
      const chunk = step.value;
      lastReadAt = Date.now();
      size += chunk.byteLength;
      if (o.maxBodyBytes > 0 && size > o.maxBodyBytes) {
        throw new ProxyError(413, `Request body is larger than --max-body ${o.maxBodyBytes}`);
      }
      if (!file && size <= o.bufferBytes) {
        memory.push(chunk);
        continue;
      }
      if (!file) {
        dir ??= o.store.pickDir(o.bufferBytes);
        if (!dir) throw new ProxyError(507, "No spool directory has room for the request body");
        file = await o.store.create(dir, o.requestId);
        for (const m of memory.splice(0)) await file.writer.write(m);
      }
      sinceCheck += chunk.byteLength;
      if (declared === undefined && sinceCheck >= RECHECK_BYTES) {
        sinceCheck = 0;
        if (!o.store.hasRoom(dir!, 0)) throw new ProxyError(507, "Spool directory ran short of space");
      }
      await file.writer.write(chunk).catch(spoolWriteError);
    }
    if (timedOut) throw new ProxyError(408, `Client sent nothing for --client-body-timeout ${o.clientBodyTimeoutMs} ms`);
    if (declared !== undefined && size !== declared) throw new ClientGoneError();
    if (!file) return { size, bytes: concat(memory, size) };
    await file.writer.close().catch(spoolWriteError);
    return { size, path: file.path };
  } catch (e) {
    if (e instanceof ClientGoneError) reader.cancel().catch(() => {});
    else linger(reader);
    if (file) {
      await file.writer.abort();
      o.store.remove(file.path);
    }
    throw e;
  } finally {
    clearTimeout(timer!);
  }
}

// nginx lingering_time / lingering_timeout: after an early error response the
// rest of the body is read and thrown away for a while, so the client gets to
// read the response instead of a reset on a half-sent upload.
const LINGER_MS = 5000;
const LINGER_IDLE_MS = 1000;

/** Reads and discards what is left of a rejected body, within the lingering limits, then cancels. */
function linger(reader: ReadableStreamDefaultReader<Uint8Array>): void {
  const until = Date.now() + LINGER_MS;
  void (async () => {
    try {
      while (Date.now() < until) {
        let t: ReturnType<typeof setTimeout> | undefined;
        const idle = new Promise<"idle">((r) => (t = setTimeout(() => r("idle"), LINGER_IDLE_MS)));
        const step = await Promise.race([reader.read(), idle]);
        clearTimeout(t);
        if (step === "idle" || step.done) break;
      }
    } catch { /* the client is gone: nothing left to linger for */ }
    reader.cancel().catch(() => {});
  })();
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
