/**
 * Whether a spool directory really takes files: at start-up and in
 * `holdfast --check`, each `--spool` directory gets a file created, written,
 * read back and unlinked. A directory that merely exists can still refuse
 * (read-only mount, wrong owner, full inode table), and finding out on the
 * first large upload is too late.
 *
 * @module
 */
import { join } from "node:path";
import type { Runtime } from "../../runtime/index.ts";

const PROBE = new TextEncoder().encode("holdfast spool probe\n");

/**
 * Creates `dir` if missing, then writes, reads back and unlinks a probe file
 * in it (named like a spool file, so one left by a crash is removed at the
 * next start-up).
 * @returns undefined when all of it worked, else what failed and why (`EROFS: read-only file system, ...`)
 */
export async function probeSpoolDir(rt: Runtime, dir: string): Promise<string | undefined> {
  const path = join(dir, `holdfast-${rt.pid}-probe.spool`);
  let step = "create the directory";
  try {
    rt.files.mkdirp(dir, 0o700);
    step = "create a file";
    // One left by a killed holdfast that had this pid; rm of a missing file on a read-only mount fails on Bun.
    if (rt.files.exists(path)) rt.files.remove(path);
    const w = await rt.files.openWriter(path);
    step = "write a file";
    try {
      await w.write(PROBE);
    } finally {
      await w.close();
    }
    step = "read a file back";
    const back = rt.files.readFile(path);
    if (back.byteLength !== PROBE.byteLength || back.some((b, i) => b !== PROBE[i])) throw new Error("it read back different bytes");
    step = "remove a file";
    rt.files.remove(path);
    return undefined;
  } catch (e) {
    try {
      if (rt.files.exists(path)) rt.files.remove(path);
    } catch { /* the directory is unusable anyway */ }
    return `cannot ${step} in --spool "${dir}": ${(e as Error).message}`;
  }
}

/** What {@link probeSpoolDirs} found. */
export interface SpoolProbe {
  /** The directories that work, in the order given. */
  usable: string[];
  /** One line per directory that does not work. */
  problems: string[];
}

/** Probes every directory ({@link probeSpoolDir}). */
export async function probeSpoolDirs(rt: Runtime, dirs: readonly string[]): Promise<SpoolProbe> {
  const out: SpoolProbe = { usable: [], problems: [] };
  for (const d of dirs) {
    const problem = await probeSpoolDir(rt, d);
    if (problem) out.problems.push(problem);
    else out.usable.push(d);
  }
  return out;
}

/**
 * Warnings about room: a directory whose file system, even empty, cannot
 * hold `bodyBytes` and keep `reserveBytes` free never takes a body; one that
 * has no such room now takes none until space is freed.
 */
export function roomWarnings(rt: Runtime, dir: string, reserveBytes: number, bodyBytes: number): string[] {
  try {
    const total = rt.files.totalBytes(dir);
    if (total - reserveBytes < bodyBytes) {
      return [
        `--spool "${dir}" can never hold a body: its file system has ${total} bytes and --spool-reserve keeps ${reserveBytes} of them free`,
      ];
    }
    const free = rt.files.freeBytes(dir);
    if (free - reserveBytes < bodyBytes) {
      return [`--spool "${dir}" holds no body until space is freed: ${free} bytes free, --spool-reserve keeps ${reserveBytes}`];
    }
    return [];
  } catch (e) {
    return [`cannot read the free space of --spool "${dir}": ${(e as Error).message}`];
  }
}
