/**
 * Which holdfast is measured: the work tree as it is, a committed revision
 * exported to a temp dir (`--rev`), so a run is not broken by half-finished
 * edits in the tree and two revisions can be compared, or a copy in another
 * directory (`--root`).
 */
/// <reference types="bun-types" />
import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";

/** The repository root (bench/lib/../..), whatever the current directory. */
export const REPO = resolve(import.meta.dir, "../..");

/** Where to run holdfast from. */
export interface Source {
  /** Directory holding src/ and runtime/ (the cwd for `bun src/main.ts`). */
  root: string;
  /** Compiled binary to measure, if any. */
  binary?: string;
  /** What the report calls it. */
  label: string;
  /** A short name for table rows when several sources are compared. */
  tag: string;
}

function run(argv: string[], cwd?: string): string {
  const r = Bun.spawnSync(argv, { cwd: cwd ?? REPO, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.toString().trim()}`);
  return r.stdout.toString().trim();
}

/**
 * The work tree, with `dist/holdfast-linux-x64` when it was built
 * (`bun build.ts x64`).
 */
export function workTree(): Source {
  const binary = join(REPO, "dist/holdfast-linux-x64");
  return { root: REPO, binary: existsSync(binary) ? binary : undefined, label: "work tree", tag: "work tree" };
}

/**
 * Exports `rev`'s src/, runtime/ and package.json into `dir` (git archive),
 * links the work tree's node_modules for its dependencies, and compiles a
 * binary from it for this machine (`bun build --compile`, no download).
 */
export function snapshot(rev: string, dir: string): Source {
  const commit = run(["git", "rev-parse", "--short", `${rev}^{commit}`]);
  mkdirSync(dir, { recursive: true });
  const tar = Bun.spawnSync(["git", "archive", "--format=tar", commit, "src", "runtime", "package.json"], {
    cwd: REPO,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (tar.exitCode !== 0) throw new Error(`git archive ${commit} failed: ${tar.stderr.toString().trim()}`);
  const untar = Bun.spawnSync(["tar", "-x", "-C", dir], { stdin: tar.stdout, stderr: "pipe" });
  if (untar.exitCode !== 0) throw new Error(`tar failed: ${untar.stderr.toString().trim()}`);
  symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"));
  return { ...compiled(dir), label: `${commit} (--rev ${rev}, exported)`, tag: commit };
}

/**
 * A directory holding a copy of holdfast (`--root`, for trying a change
 * before committing it): compiles its binary into DIR/holdfast.
 */
export function fromDir(dir: string): Source {
  if (!existsSync(join(dir, "src/main.ts"))) throw new Error(`${dir} has no src/main.ts`);
  if (!existsSync(join(dir, "node_modules"))) symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"));
  return { ...compiled(resolve(dir)), label: `directory ${dir} (--root)`, tag: dir };
}

function compiled(dir: string): { root: string; binary: string } {
  const binary = join(dir, "holdfast");
  run([process.execPath, "build", "--compile", "--minify", "src/main.ts", "--outfile", binary], dir);
  return { root: dir, binary };
}

/** Newest modification time (ms) of the files under `dirs`; bounded by the trees' size. */
function newestMtime(dirs: string[]): number {
  let newest = 0;
  for (const d of dirs) {
    for (const f of readdirSync(d, { recursive: true, encoding: "utf8" })) {
      const s = statSync(join(d, f));
      if (s.isFile() && s.mtimeMs > newest) newest = s.mtimeMs;
    }
  }
  return newest;
}

/**
 * What a report should say about the work tree's compiled binary: that it
 * was not built, or is older than src/ or runtime/ (so its row may measure
 * older code); undefined when it is up to date.
 */
export function binaryNote(wt: Source): string | undefined {
  if (!wt.binary) {
    return "dist/holdfast-linux-x64 was not built (`bun build.ts x64`), so the work tree's compiled binary was not measured.";
  }
  if (statSync(wt.binary).mtimeMs < newestMtime([join(REPO, "src"), join(REPO, "runtime")])) {
    return "dist/holdfast-linux-x64 is older than the newest file in src/ or runtime/: its row may measure older code (rebuild with `bun build.ts x64`).";
  }
  return undefined;
}
