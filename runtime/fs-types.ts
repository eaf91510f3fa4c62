/**
 * Files: the part of the `Runtime` (`types.ts`) that touches the file system.
 * `src/` reaches the disk only through `rt.files`, so a test can hand in a fake (a
 * `freeBytes` it controls, say).
 *
 * Errors are the file system's, normalised to a string `code` (`ENOENT`,
 * `EEXIST`, `EACCES`, `ENOSPC`, `EDQUOT`, `EIO`) and a message naming the
 * path, on Bun and on Deno alike.
 *
 * @module
 */

/** Appends a spool file. */
export interface SpoolWriter {
  /**
   * Appends bytes; resolves once the runtime has taken them (not yet durable).
   * Rejects with `code` ENOSPC or EDQUOT when the disk fills, never with a
   * silently shortened file.
   */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Writes out what {@link write} still holds, now, so that the file's
   * offset is its end (`Socket.receiveToFile` appends there next).
   * @throws as {@link write} rejects
   */
  flush(): void;
  /** The open file's descriptor (for `Socket.receiveToFile`). */
  readonly fd: number;
  /** Flushes everything written and fsyncs the file, then closes it. Rejects as {@link write} does. */
  close(): Promise<void>;
  /** Closes without flushing; used when the body is being thrown away. Never rejects. */
  abort(): Promise<void>;
}

/** Reads a file back (a spool replay). */
export interface SpoolReader {
  /** The open file's descriptor, for `Socket.sendFile` (socket-types.ts). */
  readonly fd: number;
  /**
   * Reads bytes from `position` (bytes from the file's start) into `into`.
   * @returns how many bytes were read (at most `into.byteLength`), 0 at the end of the file
   */
  read(into: Uint8Array, position: number): Promise<number>;
  /** Closes the file; safe to call twice. */
  close(): Promise<void>;
}

/** Writes a new file, chunk after chunk, without fsync. */
export interface FileWriter {
  /** Writes all of `chunk` after what was written before. Rejects with ENOSPC, EDQUOT, EIO. */
  write(chunk: Uint8Array): Promise<void>;
  /** Closes the file (no fsync: the bytes may still be in the page cache). */
  close(): Promise<void>;
}

/** What holdfast needs from the file system. Paths are absolute or relative to the working directory. */
export interface Files {
  /**
   * Creates `dir` and any missing parents (`mkdir -p`); an existing directory is fine.
   * @param mode permission bits for the directories created (before the umask), e.g. `0o700`
   * @throws `code` EACCES, ENOTDIR, or EEXIST when a non-directory is in the way
   */
  mkdirp(dir: string, mode: number): void;
  /**
   * Creates a new, empty directory `prefix` + six random characters (mode 0700), as mkdtemp(3).
   * @returns its path
   * @throws `code` ENOENT when the parent is missing, EACCES
   */
  makeTempDir(prefix: string): string;
  /**
   * Names of the entries in `dir` (not paths; no `.` or `..`), in no particular order.
   * @throws `code` ENOENT, ENOTDIR, EACCES
   */
  list(dir: string): string[];
  /**
   * Removes `path` (`rm -f`): nothing happens when it does not exist.
   * A directory is removed with all it holds only when `recursive`; else it throws.
   * @throws `code` EACCES, EPERM, EBUSY
   */
  remove(path: string, opts?: { recursive?: boolean }): void;
  /**
   * Renames `from` to `to`, replacing a file `to` atomically.
   * @throws `code` ENOENT, EXDEV (another file system), EACCES
   */
  rename(from: string, to: string): void;
  /** Whether `path` exists (a file, a directory, anything); false also when it cannot be checked. */
  exists(path: string): boolean;
  /**
   * The whole content of the file `path`.
   * @throws `code` ENOENT, EISDIR, EACCES
   */
  readFile(path: string): Uint8Array;
  /**
   * The size of `path` in bytes, or undefined when it does not exist.
   * @throws `code` EACCES, ENOTDIR
   */
  size(path: string): number | undefined;
  /**
   * Creates the empty file `path` exclusively (`wx`, mode 0600: it will hold a
   * client's data) and closes it, for someone else to fill.
   * @throws `code` EEXIST, ENOENT (no such directory), EACCES, ENOSPC
   */
  createExclusive(path: string): void;
  /**
   * Creates `path` exclusively (`wx`, mode 0600) and opens it for appending.
   * Small chunks are coalesced into one writev(2) of up to 256 KiB; `close()`
   * fsyncs, so a replay reads what the client sent.
   * @throws `code` EEXIST, ENOENT, EACCES, ENOSPC
   */
  openSpool(path: string): Promise<SpoolWriter>;
  /**
   * Creates `path` exclusively (`wx`, mode 0600) and opens it for writing
   * chunk after chunk, each written when {@link FileWriter.write} resolves; never fsynced.
   * @throws `code` EEXIST, ENOENT, EACCES
   */
  openWriter(path: string): Promise<FileWriter>;
  /**
   * Opens the file `path` for reading from its start.
   * @throws `code` ENOENT, EACCES
   */
  openReader(path: string): Promise<SpoolReader>;
  /**
   * Flushes the file `path` to its device (fsync(2)), e.g. after a runtime
   * wrote it natively. Blocks the event loop until the device answers.
   * @throws `code` ENOENT, EACCES, EIO, ENOSPC
   */
  fsync(path: string): void;
  /**
   * Bytes available to an unprivileged writer in the file system holding
   * `dir` (statfs `bavail × bsize`).
   * @throws `code` ENOENT when `dir` does not exist
   */
  freeBytes(dir: string): number;
  /**
   * The size in bytes of the file system holding `dir` (statfs `blocks × bsize`).
   * @throws `code` ENOENT when `dir` does not exist
   */
  totalBytes(dir: string): number;
  /** The OS temp directory (`$TMPDIR`, else `/tmp`), without a trailing slash. */
  tempDir(): string;
}
