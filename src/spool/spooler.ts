import { ProxyError } from "../errors.ts";
import type { BodySink } from "../engine/body-feed.ts";
import type { SpoolFile, SpoolStore } from "./store.ts";
import { spoolFailed } from "./spool-events.ts";

/** A complete request body: in memory when small, else in a spool file. */
export interface SpooledBody {
  /** Bytes received (the de-chunked length). */
  size: number;
  /** The body, when it fit in `--body-buffer`. */
  bytes?: Uint8Array;
  /** The spool file holding the body, when it did not. */
  path?: string;
}

/** Limits of a {@link Spooler}, from the command line; sizes in bytes. */
export interface SpoolOptions {
  /** `--body-buffer` (nginx `client_body_buffer_size`): bytes kept in memory before spilling. */
  bufferBytes: number;
  /** `--max-body` (nginx `client_max_body_size`): 0 = no limit. */
  maxBodyBytes: number;
  store: SpoolStore;
  requestId: string;
  /** The declared `Content-Length`, when there is one: the spool directory is chosen for it up front. */
  declared?: number;
}

// How often, in spooled bytes, free space is checked again for bodies of
// unknown length: often enough to stop well before the reserve is eaten.
const RECHECK_BYTES = 8 * 1024 * 1024;

/**
 * Receives a request body at the client's speed, whatever the upstream is
 * doing (nginx `proxy_request_buffering on`): the first `--body-buffer`
 * bytes in memory, then, as nginx does, the whole body in a spool file
 * (`client_body_temp_path`) written with synchronous, coalesced writev.
 */
export class Spooler implements BodySink {
  readonly #o: SpoolOptions;
  #size = 0;
  #memory: Uint8Array[] = [];
  #dir: string | undefined;
  #file: SpoolFile | undefined;
  #opening: Promise<void> | null = null;
  #queued: Uint8Array[] = [];
  #error: unknown;
  #sinceCheck = 0;
  #spilled = false;

  /**
   * @throws {ProxyError} 507 when the declared length leaves no spool directory its reserve
   */
  constructor(o: SpoolOptions) {
    this.#o = o;
    if (o.declared !== undefined && o.declared > o.bufferBytes) {
      this.#dir = o.store.pickDir(o.declared);
      if (!this.#dir) throw this.#failed(new ProxyError(507, `No spool directory has room for ${o.declared} bytes`));
    }
  }

  /** See {@link BodySink.backlog}. */
  get backlog(): Promise<void> | null {
    return this.#opening;
  }

  /** Body bytes received so far. */
  get size(): number {
    return this.#size;
  }

  /** See {@link BodySink.data}. */
  data(bytes: Uint8Array): void {
    if (this.#error !== undefined) throw this.#error;
    this.#size += bytes.byteLength;
    const o = this.#o;
    if (o.maxBodyBytes > 0 && this.#size > o.maxBodyBytes) {
      throw new ProxyError(413, `Request body is larger than --max-body ${o.maxBodyBytes}`);
    }
    if (!this.#file && !this.#opening) {
      if (this.#size <= o.bufferBytes) {
        this.#memory.push(bytes);
        return;
      }
      this.#open();
    }
    if (this.#opening) {
      this.#queued.push(bytes);
      return;
    }
    this.#write(bytes);
  }

  #open(): void {
    const o = this.#o;
    this.#spilled = true;
    this.#dir ??= o.store.pickDir(o.bufferBytes);
    if (!this.#dir) throw this.#failed(new ProxyError(507, "No spool directory has room for the request body"));
    this.#queued = this.#memory;
    this.#memory = [];
    this.#opening = this.#create(this.#dir).then(
      (file) => {
        this.#file = file;
        this.#opening = null;
        const queued = this.#queued;
        this.#queued = [];
        for (const q of queued) this.#write(q);
      },
      (e) => {
        this.#opening = null;
        this.#error = this.#failed(spoolWriteError(e));
      },
    );
  }

  /**
   * Creates the spool file in `dir`, else in the next directory with room:
   * a directory that fails (read-only, gone, not ours) costs the upload
   * nothing while another one works.
   */
  async #create(dir: string): Promise<SpoolFile> {
    const o = this.#o;
    for (;;) {
      try {
        return await o.store.create(dir, o.requestId);
      } catch (e) {
        o.store.reportFailure(dir, e);
        const next = o.store.pickDir(o.declared ?? o.bufferBytes, dir);
        if (next === undefined) throw e;
        this.#dir = dir = next;
      }
    }
  }

  #write(bytes: Uint8Array): void {
    if (this.#error !== undefined) return;
    this.#sinceCheck += bytes.byteLength;
    if (this.#o.declared === undefined && this.#sinceCheck >= RECHECK_BYTES) {
      this.#sinceCheck = 0;
      if (!this.#o.store.hasRoom(this.#dir!, 0)) {
        this.#error = this.#failed(new ProxyError(507, "Spool directory ran short of space"));
        throw this.#error;
      }
    }
    // The coalescing writer flushes synchronously; its rejection (ENOSPC) is
    // remembered and thrown at the next bytes or at finish().
    this.#file!.writer.write(bytes).catch((e) => (this.#error ??= this.#failed(spoolWriteError(e))));
  }

  /** See {@link BodySink.direct}: only a body declared larger than `--body-buffer` goes straight to its file. */
  async direct(): Promise<number | null> {
    const o = this.#o;
    if (o.declared === undefined || o.declared <= o.bufferBytes || this.#error !== undefined) return null;
    if (!this.#file && !this.#opening) this.#open();
    if (this.#opening) await this.#opening;
    if (this.#error !== undefined) throw this.#error;
    try {
      this.#file!.writer.flush();
    } catch (e) {
      throw (this.#error = this.#failed(spoolWriteError(e)));
    }
    return this.#file!.writer.fd;
  }

  /** See {@link BodySink.wroteDirect}. */
  wroteDirect(bytes: number): void {
    this.#size += bytes;
  }

  /**
   * The body is complete: flushes and fsyncs the spool file.
   * @throws {ProxyError} 507 or 500 when the spool could not be written
   */
  async finish(): Promise<SpooledBody> {
    if (this.#opening) await this.#opening;
    if (this.#error !== undefined) throw this.#error;
    if (!this.#file) return { size: this.#size, bytes: concat(this.#memory, this.#size) };
    try {
      await this.#file.writer.close();
    } catch (e) {
      throw this.#failed(spoolWriteError(e));
    }
    if (this.#error !== undefined) throw this.#error;
    return { size: this.#size, path: this.#file.path };
  }

  /** See {@link BodySink.directFailed}. */
  directFailed(e: ProxyError): ProxyError {
    this.#error ??= this.#failed(e);
    return e;
  }

  /** Reports a spool failure to the event log (spool-events.ts) and returns it. */
  #failed(e: ProxyError): ProxyError {
    return spoolFailed(e, this.#dir ? [this.#dir] : this.#o.store.dirs, this.#o.requestId);
  }

  /** Throws the body away: closes and unlinks the spool file, if any. */
  async abort(): Promise<void> {
    if (this.#opening) await this.#opening.catch(() => {});
    const f = this.#file;
    this.#file = undefined;
    if (!f) return;
    await f.writer.abort().catch(() => {});
    this.#o.store.remove(f.path);
  }

  /** Whether the body went past `--body-buffer` into a spool file. */
  get spilled(): boolean {
    return this.#spilled;
  }

  /** The spool file's path while one exists. */
  get path(): string | undefined {
    return this.#file?.path;
  }
}

/**
 * Maps a failed spool write to the client's answer: 507 when the disk is full
 * (ENOSPC, EDQUOT), else 500.
 */
export function spoolWriteError(e: unknown): ProxyError {
  if (e instanceof ProxyError) return e;
  const code = (e as { code?: string }).code;
  if (code === "ENOSPC" || code === "EDQUOT") return new ProxyError(507, "Spool directory is full");
  return new ProxyError(500, `Cannot write the spool file: ${(e as Error).message}`);
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
