import { join } from "node:path";
import type { Runtime, SpoolWriter } from "../../runtime/index.ts";

// holdfast-<pid>-<request id>.spool: the pid tells whose file it is at
// start-up, the request id ties it to its access-log line.
const NAME = /^holdfast-(\d+)-([0-9a-z]+)\.spool$/;

// The default --spool-reserve: the smaller of 64 MiB and 5 % of the spool's
// file system, so a 50 MB tmpfs keeps 2.5 MB free instead of refusing every body.
const DEFAULT_RESERVE_BYTES = 64 * 1024 * 1024;
const DEFAULT_RESERVE_SHARE = 0.05;
// A directory that failed to take a spool file is skipped for this long, then tried again.
const SKIP_FAILED_MS = 10_000;

/** One spool directory's use, as the admin endpoint shows it. Sizes in bytes. */
export interface SpoolUsage {
  dir: string;
  /** Spool files of this process in it now. */
  files: number;
  /** Their bytes on disk now. */
  bytes: number;
  /** Free space for an unprivileged writer (statfs); -1 when it cannot be read. */
  freeBytes: number;
  /** `--spool-reserve`: what a body must leave free. */
  reserveBytes: number;
}

/** A spool file being written or ready for replay. */
export interface SpoolFile {
  path: string;
  writer: SpoolWriter;
}

/**
 * The default `--spool-reserve` of the file system holding `dir`: the
 * smaller of 64 MiB and 5 % of its size; 64 MiB when its size cannot be read.
 */
export function defaultReserveBytes(rt: Runtime, dir: string): number {
  try {
    return Math.min(DEFAULT_RESERVE_BYTES, Math.floor(rt.files.totalBytes(dir) * DEFAULT_RESERVE_SHARE));
  } catch {
    return DEFAULT_RESERVE_BYTES;
  }
}

/**
 * The spool directories (nginx `client_body_temp_path`), in order of
 * preference, with the free-space rule of `--spool-reserve`. A directory
 * where a spool file could not be created is skipped for 10 s.
 */
export class SpoolStore {
  readonly #rt: Runtime;
  readonly #dirs: string[];
  readonly #reserve: Map<string, number>;
  // Epoch ms until which each directory (by index) is skipped after a failure; 0: usable.
  readonly #skipUntil: number[];
  readonly #warn: (line: string) => void;
  readonly #live = new Set<string>();

  /**
   * Creates missing directories (mode 0700).
   * @param reserveBytes `--spool-reserve` for every directory; undefined: each
   *   directory's {@link defaultReserveBytes}
   * @param warn receives a line when a directory starts being skipped
   * @throws when a directory cannot be created
   */
  constructor(rt: Runtime, dirs: string[], reserveBytes: number | undefined, warn: (line: string) => void = () => {}) {
    this.#rt = rt;
    this.#dirs = dirs;
    this.#warn = warn;
    for (const d of dirs) rt.files.mkdirp(d, 0o700);
    this.#reserve = new Map(dirs.map((d) => [d, reserveBytes ?? defaultReserveBytes(rt, d)]));
    this.#skipUntil = dirs.map(() => 0);
  }

  /** The spool directories in use, in order of preference. */
  get dirs(): readonly string[] {
    return this.#dirs;
  }

  /** Bytes `dir` must keep free after a body (`--spool-reserve`, or its default). */
  reserveOf(dir: string): number {
    return this.#reserve.get(dir) ?? DEFAULT_RESERVE_BYTES;
  }

  /**
   * A spool file could not be created in `dir`: unless the file system is
   * merely full (which `--spool-reserve` already watches), the directory is
   * skipped for 10 s, so uploads go to the next one instead of failing one
   * after another.
   */
  reportFailure(dir: string, error: unknown): void {
    const code = (error as { code?: string }).code;
    if (code === "ENOSPC" || code === "EDQUOT") return;
    const i = this.#dirs.indexOf(dir);
    if (i < 0) return;
    const now = Date.now();
    if (this.#skipUntil[i] <= now) {
      this.#warn(`spool directory ${dir} failed (${(error as Error).message}); skipping it for ${SKIP_FAILED_MS / 1000} s`);
    }
    this.#skipUntil[i] = now + SKIP_FAILED_MS;
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
   * The first directory where `bytes` more still leaves `--spool-reserve`
   * free, skipping those that failed in the last 10 s.
   * @param after only directories after this one are considered (the next to try when it failed)
   * @returns the directory, or undefined when none has room (507)
   */
  pickDir(bytes: number, after?: string): string | undefined {
    const dirs = this.#dirs;
    const now = Date.now();
    for (let i = after === undefined ? 0 : dirs.indexOf(after) + 1; i < dirs.length; i++) {
      if (this.#skipUntil[i] <= now && this.hasRoom(dirs[i], bytes)) return dirs[i];
    }
    return undefined;
  }

  /** Whether `dir` can take `bytes` more and keep the reserve. */
  hasRoom(dir: string, bytes: number): boolean {
    try {
      return this.#rt.files.freeBytes(dir) - bytes >= this.reserveOf(dir);
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

  /**
   * Each directory with this process's spool files in it (request bodies and
   * response spills), their bytes, its free space and the reserve, in order
   * of preference: read when the admin endpoint asks, not kept per request.
   */
  usage(): SpoolUsage[] {
    const files = this.#rt.files;
    return this.#dirs.map((dir) => {
      let count = 0, bytes = 0;
      const inDir = join(dir, "/");
      for (const p of this.#live) {
        if (!p.startsWith(inDir) || p.indexOf("/", inDir.length) >= 0) continue;
        count++;
        bytes += files.size(p) ?? 0;
      }
      let free = -1;
      try {
        free = files.freeBytes(dir);
      } catch { /* gone or unreadable: -1 */ }
      return { dir, files: count, bytes, freeBytes: free, reserveBytes: this.reserveOf(dir) };
    });
  }

  /** How many spool files this process holds now. */
  get liveCount(): number {
    return this.#live.size;
  }
}
