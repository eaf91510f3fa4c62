/** Facts about the machine and tools, for the report header. */
/// <reference types="bun-types" />
import { availableParallelism, cpus, release } from "node:os";
import { readFileSync } from "node:fs";

/** What the report states about where it was measured. */
export interface Machine {
  nproc: number;
  cpu: string;
  kernel: string;
  memGiB: number;
  bun: string;
  nginx: string;
  curl: string;
}

function firstLine(argv: string[]): string {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  // nginx -v prints to stderr.
  return (r.stdout.toString() || r.stderr.toString()).split("\n")[0].trim();
}

/** Reads the machine facts (nproc, CPU model, kernel, memory, tool versions). */
export function machine(): Machine {
  const mem = /^MemTotal:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"));
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? "unknown",
    kernel: release(),
    memGiB: mem ? Math.round(Number(mem[1]) / 1024 / 1024) : 0,
    bun: Bun.version,
    nginx: firstLine(["/usr/sbin/nginx", "-v"]).replace(/^nginx version: /, ""),
    curl: firstLine(["curl", "--version"]).split(" ").slice(0, 2).join(" "),
  };
}

/** The 1-minute load average. */
export function loadAvg(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ")[0];
}

/** The commit holdfast was measured at, with `+dirty` when the work tree differs from it. */
export function revision(): string {
  const head = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: import.meta.dir, stdout: "pipe", stderr: "ignore" }).stdout
    .toString().trim();
  const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--untracked-files=no", "--", "../../src", "../../runtime"], {
    cwd: import.meta.dir,
    stdout: "pipe",
    stderr: "ignore",
  }).stdout.toString().trim();
  return `${head || "unknown"}${dirty ? " +uncommitted changes in src/ or runtime/" : ""}`;
}
