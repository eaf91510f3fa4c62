import type { BodyTarget, SpoolSource } from "../transport/types.ts";
import type { SpoolFile, SpoolStore } from "./store.ts";

/** Limits and places of a {@link ResponseSpool}; sizes in bytes. */
export interface ResponseSpoolOptions {
  /** `--response-buffer` (nginx `proxy_buffers`): bytes kept in memory before spilling to a file. */
  memoryBytes: number;
  /** `--max-temp-file-size` (nginx `proxy_max_temp_file_size`): past it, the peer is read at the client's pace; 0 = never spill. */
  maxFileBytes: number;
  /** The spool directories (nginx `proxy_temp_path`: holdfast shares `--spool`), with their reserve. */
  store: SpoolStore;
  /** Opens the spill file for reading back. */
  openReader(path: string): Promise<SpoolSource>;
  /** Names the spill file (`holdfast-<pid>-<id>.spool`). */
  requestId: string;
}

/** A stretch of the spill file not yet sent to the client: bytes [start, end). */
interface FileRange {
  start: number;
  end: number;
}

// Free space is checked again after this many spilled bytes, so a spill stops
// (and the peer is read at the client's pace) before the reserve is eaten.
const RECHECK_BYTES = 4 * 1024 * 1024;
// Bytes read back from the spill file per client write.
const PIECE_BYTES = 64 * 1024;

/**
 * Response buffering (nginx `proxy_buffering on`): takes the peer's response
 * body as fast as the peer sends it, so the peer connection goes back to
 * the keepalive pool when the response is in, and serves a slow client
 * from there. Bytes go straight to the client while its socket takes them;
 * once it is full, up to `--response-buffer` bytes wait in memory and the
 * rest in a spill file in a `--spool` directory (`proxy_temp_path`) of at
 * most `--max-temp-file-size` bytes. Past that, or when no directory keeps
 * its `--spool-reserve`, the peer is read only as the client takes bytes,
 * as nginx falls back to. Bytes reach the client in the order received.
 *
 * Is the relay's {@link BodyTarget}: {@link write} returns false only when
 * neither memory nor the file may take more. The file is removed by
 * {@link close}, when the client has the response or is gone.
 */
export class ResponseSpool implements BodyTarget {
  /** Set by the relay: called when the peer may be read again after {@link write} returned false. */
  onDrain: (() => void) | undefined;
  readonly #o: ResponseSpoolOptions;
  readonly #client: BodyTarget;
  // Bytes the client has not taken, in order: memory pieces and stretches of the file.
  readonly #queue: (Uint8Array | FileRange)[] = [];
  #memoryBytes = 0;
  // Waiting for the client's drain.
  #clientFull = false;
  // The relay was told to wait.
  #blocked = false;
  #file: SpoolFile | undefined;
  #reader: SpoolSource | undefined;
  // Bytes appended to the file, and the part of them written out of the writer's coalescing.
  #appended = 0;
  #written = 0;
  #sinceCheck = 0;
  // No more spilling: the file reached its maximum, no directory had room, or it failed.
  #noSpill: boolean;
  #reading = false;
  #ended = false;
  #finished: ((ok: boolean) => void) | undefined;
  #error: Error | undefined;
  #closed = false;

  /**
   * @param client the client connection: its `onDrain` is taken over
   */
  constructor(client: BodyTarget, o: ResponseSpoolOptions) {
    this.#client = client;
    this.#o = o;
    this.#noSpill = o.maxFileBytes <= 0;
    client.onDrain = () => {
      this.#clientFull = false;
      this.#pump();
    };
  }

  /** Bytes of the spill file so far (0 when nothing spilled). */
  get spilled(): number {
    return this.#appended;
  }

  /** The spill file's path, while it exists. */
  get path(): string | undefined {
    return this.#file?.path;
  }

  /** {@link BodyTarget.write}: body bytes from the peer, framed as the client gets them. */
  write(bytes: Uint8Array): boolean {
    if (this.#closed || this.#error) return true;
    const q = this.#queue;
    if (q.length === 0 && !this.#clientFull) {
      if (!this.#client.write(bytes)) this.#clientFull = true;
      return true;
    }
    const tail = q.length > 0 ? q[q.length - 1] : undefined;
    const spilling = tail !== undefined && !(tail instanceof Uint8Array);
    if (!spilling && this.#memoryBytes < this.#o.memoryBytes) return this.#keep(bytes);
    if (!this.#noSpill && this.#appended + bytes.byteLength <= this.#o.maxFileBytes && this.#roomFor(bytes.byteLength)) {
      this.#spill(bytes, spilling ? tail : undefined);
      return true;
    }
    // Nowhere to put more: the peer waits for the client (nginx streams on past proxy_max_temp_file_size).
    this.#keep(bytes);
    this.#blocked = true;
    return false;
  }

  #keep(bytes: Uint8Array): boolean {
    this.#queue.push(bytes);
    this.#memoryBytes += bytes.byteLength;
    return true;
  }

  #roomFor(bytes: number): boolean {
    if (this.#dir !== undefined && (this.#sinceCheck += bytes) < RECHECK_BYTES) return true;
    this.#sinceCheck = 0;
    const store = this.#o.store;
    if (this.#dir === undefined) {
      this.#dir = store.pickDir(RECHECK_BYTES);
      if (this.#dir !== undefined) this.#open(this.#dir);
    }
    if (this.#dir !== undefined && store.hasRoom(this.#dir, RECHECK_BYTES)) return true;
    this.#noSpill = true;
    return false;
  }

  // The directory of the spill file, once one was chosen.
  #dir: string | undefined;

  #open(dir: string): void {
    this.#o.store.create(dir, `${this.#o.requestId}r`).then(
      (f) => {
        this.#file = f;
        if (this.#closed) return this.#removeFile();
        this.#writeOut(false);
        this.#pump();
      },
      () => this.#unspill(),
    );
  }

  /**
   * The file could not be created (an unwritable directory): its bytes,
   * all still in memory, take their places in the queue again, and the
   * peer is read at the client's pace from now on.
   */
  #unspill(): void {
    this.#noSpill = true;
    const pieces = this.#pendingFile;
    this.#pendingFile = [];
    const q = this.#queue;
    let p = 0;
    for (let i = 0; i < q.length; i++) {
      const r = q[i];
      if (r instanceof Uint8Array) continue;
      const parts: Uint8Array[] = [];
      for (let n = r.end - r.start; n > 0; n -= pieces[p++].byteLength) parts.push(pieces[p]);
      q.splice(i, 1, ...parts);
      i += parts.length - 1;
      for (const b of parts) this.#memoryBytes += b.byteLength;
    }
    this.#appended = 0;
    this.#pump();
  }

  #spill(bytes: Uint8Array, tail: FileRange | undefined): void {
    const start = this.#appended;
    this.#appended += bytes.byteLength;
    if (tail) tail.end = this.#appended;
    else this.#queue.push({ start, end: this.#appended });
    this.#pendingFile.push(bytes);
    this.#writeOut(false);
  }

  // Bytes to append while the file is being created.
  #pendingFile: Uint8Array[] = [];

  /** Hands pending bytes to the file's writer; with `flush`, also out of its coalescing, so they can be read back. */
  #writeOut(flush: boolean): void {
    const f = this.#file;
    if (!f || this.#error) return;
    try {
      for (const b of this.#pendingFile) f.writer.write(b).catch((e: Error) => this.#fail(e));
      this.#pendingFile = [];
      if (flush && this.#written < this.#appended) f.writer.flush();
      if (flush) this.#written = this.#appended;
    } catch (e) {
      this.#fail(e as Error);
    }
  }

  /** Sends what the client's socket takes now; a file stretch is read back asynchronously. */
  #pump(): void {
    const q = this.#queue;
    while (!this.#clientFull && !this.#reading && !this.#closed && !this.#error) {
      const head = q[0];
      if (head === undefined) {
        if (this.#blocked) {
          this.#blocked = false;
          this.onDrain?.();
        }
        if (this.#ended && q.length === 0) this.#settle(true);
        return;
      }
      if (head instanceof Uint8Array) {
        q.shift();
        this.#memoryBytes -= head.byteLength;
        if (!this.#client.write(head)) this.#clientFull = true;
        // Memory has room again: the peer may be read (its bytes go behind the file's).
        if (this.#blocked && this.#memoryBytes < this.#o.memoryBytes) {
          this.#blocked = false;
          this.onDrain?.();
        }
        continue;
      }
      if (!this.#file) return; // opening: #open pumps when ready
      void this.#readBack(head);
      return;
    }
  }

  async #readBack(range: FileRange): Promise<void> {
    this.#reading = true;
    try {
      if (this.#written < range.end) this.#writeOut(true);
      this.#reader ??= await this.#o.openReader(this.#file!.path);
      const piece = new Uint8Array(Math.min(PIECE_BYTES, range.end - range.start));
      const n = await this.#reader.read(piece, range.start);
      if (n <= 0) throw new Error(`the response spill file ended at ${range.start} bytes`);
      if (this.#closed) return;
      range.start += n;
      if (range.start === range.end && this.#queue[0] === range) this.#queue.shift();
      if (!this.#client.write(n === piece.byteLength ? piece : piece.subarray(0, n))) this.#clientFull = true;
    } catch (e) {
      return this.#fail(e as Error);
    } finally {
      this.#reading = false;
    }
    this.#pump();
  }

  /**
   * The peer's body is complete (the relay ended "complete"): resolves when
   * every byte has been handed to the client's socket.
   * @returns true then; false when the client left ({@link cancel}) or the
   *   spill file failed (a full disk, a read error): the caller then closes
   *   the connection, as a cut-off body must not look complete
   */
  finish(): Promise<boolean> {
    this.#ended = true;
    const done = new Promise<boolean>((resolve) => (this.#finished = resolve));
    if (this.#error || this.#closed) this.#settle(false);
    else this.#pump();
    return done;
  }

  /** The reason {@link finish} resolved false, when the file failed. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** The client left: drops what is buffered (the exchange is cancelled separately). */
  cancel(): void {
    this.#settle(false);
    void this.close();
  }

  /** Called when the spill file fails (a full disk, a read error), to stop the relay: the client's body is cut off. */
  onFail: (() => void) | undefined;

  #fail(e: Error): void {
    if (this.#error || this.#closed) return;
    this.#error = e;
    this.onFail?.();
    // The relay may be waiting: let it run to its end, the bytes are dropped.
    if (this.#blocked) {
      this.#blocked = false;
      this.onDrain?.();
    }
    this.#settle(false);
  }

  #settle(ok: boolean): void {
    const f = this.#finished;
    this.#finished = undefined;
    f?.(ok);
  }

  /** Removes the spill file and drops what is buffered; a second call returns the first's promise. */
  close(): Promise<void> {
    return this.#closing ??= this.#close();
  }

  #closing: Promise<void> | undefined;

  async #close(): Promise<void> {
    this.#closed = true;
    this.#queue.length = 0;
    this.#pendingFile = [];
    this.#memoryBytes = 0;
    this.#client.onDrain = undefined;
    const reader = this.#reader;
    this.#reader = undefined;
    await reader?.close().catch(() => {});
    if (this.#file) await this.#removeFile();
  }

  async #removeFile(): Promise<void> {
    const f = this.#file!;
    this.#file = undefined;
    await f.writer.abort();
    this.#o.store.remove(f.path);
  }
}
