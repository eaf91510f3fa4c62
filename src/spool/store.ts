import { join } from "node:path";
import type { Runtime, SpoolWriter } from "../../runtime/index.ts";

// holdfast-<pid>-<request id>.spool: the pid tells whose file it is at
// start-up, the request id ties it to its access-log line.
const NAME = /^holdfast-(\d+)-([0-9a-z]+)\.spool$/;

/** A spool file being written or ready for replay. */
export interface SpoolFile {
  path: string;
  writer: SpoolWriter;
}

/**
 * The spool directories (nginx `client_body_temp_path`), in order of
 * preference, with the free-space rule of `--spool-reserve`.
 */
export class SpoolStore {
  readonly #rt: Runtime;
  readonly #dirs: string[];
  readonly #reserveBytes: number;
  readonly #live = new Set<string>();

  /**
   * Creates missing directories (mode 0700).
   * @throws when a directory cannot be created
   */
  constructor(rt: Runtime, dirs: string[], reserveBytes: number) {
    this.#rt = rt;
    this.#dirs = dirs;
    this.#reserveBytes = reserveBytes;
    for (const d of dirs) rt.files.mkdirp(d, 0o700);
  }

  /**
   * Removes spool files left by holdfast processes that no longer run (a
   * SIGKILL or power loss leaves them behind).
   * @returns the paths removed
   */
  removeStale(): string[] {
    const removed: string[] = [];
    const rt = this.#rt;
    for (const dir of this.#dirs) {
      for (const name of rt.files.list(dir)) {
        const m = NAME.exec(name);
        if (!m) continue;
        const pid = Number(m[1]);
        // Our own pid is stale too: a previous holdfast that had it (pid 1 in a container).
        if (pid !== rt.pid && rt.processAlive(pid)) continue;
        rt.files.remove(join(dir, name));
        removed.push(join(dir, name));
      }
    }
    return removed;
  }

  /**
   * The first directory where `bytes` more still leaves `--spool-reserve` free.
   * @returns the directory, or undefined when none has room (507)
   */
  pickDir(bytes: number): string | undefined {
    return this.#dirs.find((d) => this.hasRoom(d, bytes));
  }

  /** Whether `dir` can take `bytes` more and keep the reserve. */
  hasRoom(dir: string, bytes: number): boolean {
    try {
      return this.#rt.files.freeBytes(dir) - bytes >= this.#reserveBytes;
    } catch {
      return false;
    }
  }

  /** Creates the spool file for request `requestId` in `dir`. Throws on I/O errors. */
  async create(dir: string, requestId: string): Promise<SpoolFile> {
    const path = this.#pathFor(dir, requestId);
    const writer = await this.#rt.files.openSpool(path);
    this.#live.add(path);
    return { path, writer };
  }

  /**
   * Creates an empty spool file for request `requestId` in `dir` (exclusive,
   * mode 0600: it holds a client's data) for the runtime to fill.
   * @returns its path
   * @throws on I/O errors
   */
  createEmpty(dir: string, requestId: string): string {
    const path = this.#pathFor(dir, requestId);
    this.#rt.files.createExclusive(path);
    this.#live.add(path);
    return path;
  }

  #pathFor(dir: string, requestId: string): string {
    return join(dir, `holdfast-${this.#rt.pid}-${requestId}.spool`);
  }

  /** Unlinks a spool file; safe to call twice. */
  remove(path: string): void {
    this.#live.delete(path);
    this.#rt.files.remove(path);
  }

  /** Unlinks every spool file this process still has (shutdown). */
  removeAll(): void {
    for (const p of [...this.#live]) this.remove(p);
  }

  /** The spool directories, in order of preference. */
  get dirs(): readonly string[] {
    return this.#dirs;
  }

  /** How many spool files this process holds now. */
  get liveCount(): number {
    return this.#live.size;
  }
}
