/**
 * Starts real processes for end-to-end tests: holdfast (under Bun, under
 * Deno, or as a compiled binary) and test upstreams, all on 127.0.0.1.
 * Every process is stopped by its PID in {@link stopAll}.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
const BUN = join(ROOT, "node_modules/.bin/bun");
const DENO = join(ROOT, "node_modules/.bin/deno");

/** How holdfast is run. */
export type Target = "bun" | "deno" | "bin-x64" | "bin-arm64";

/** Targets every end-to-end test runs against; HOLDFAST_TARGETS=bun,deno narrows it. */
export const TARGETS: Target[] = (process.env.HOLDFAST_TARGETS?.split(",") as Target[] | undefined) ??
  ["bun", "deno", "bin-x64"];

/** argv that starts holdfast as `target`. Throws when a binary was not built. */
export function holdfastCommand(target: Target): string[] {
  const main = join(ROOT, "src/main.ts");
  switch (target) {
    case "bun":
      return [BUN, main];
    case "deno":
      return [DENO, "run", "-A", main];
    case "bin-x64":
    case "bin-arm64": {
      const bin = join(ROOT, `dist/holdfast-linux-${target.slice(4)}`);
      if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build first`);
      return target === "bin-arm64" ? ["qemu-aarch64-static", bin] : [bin];
    }
  }
}

const started = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const mounts = new Set<string>();

/** A process started by a test, with its stdout lines collected. */
export class Proc {
  readonly lines: string[] = [];
  stderr = "";
  readonly exited: Promise<number>;
  constructor(readonly child: ChildProcess) {
    started.add(child);
    let buf = "";
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split("\n");
      buf = parts.pop()!;
      this.lines.push(...parts);
    });
    child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    // "close", not "exit": exit can come before the last stdout bytes are read.
    this.exited = new Promise((r) =>
      child.on("close", (code, sig) => {
        started.delete(child);
        r(code ?? (sig === "SIGKILL" ? 137 : 143));
      })
    );
  }
  get pid(): number {
    return this.child.pid!;
  }
  kill(sig: NodeJS.Signals = "SIGTERM") {
    try {
      process.kill(this.pid, sig);
    } catch { /* gone */ }
  }
  /** Lines written to stderr so far (the event log), the last one only when complete. */
  get stderrLines(): string[] {
    const lines = this.stderr.split("\n");
    lines.pop();
    return lines;
  }
  /** Waits (bounded) for a stderr line (an event) matching `re`. */
  async waitStderrLine(re: RegExp, timeoutMs = 20_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const l = this.stderrLines.find((x) => re.test(x));
      if (l) return l;
      await sleep(20);
    }
    throw new Error(`no stderr line matching ${re} within ${timeoutMs} ms; stderr:\n${this.stderr}`);
  }
  /** Waits (bounded) for a stdout line matching `re`. */
  async waitLine(re: RegExp, timeoutMs = 20_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const l = this.lines.find((x) => re.test(x));
      if (l) return l;
      await sleep(20);
    }
    throw new Error(`no line matching ${re} within ${timeoutMs} ms; stdout:\n${this.lines.join("\n")}\nstderr:\n${this.stderr}`);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

/** Starts the fixture upstream on `port` (with `args` such as `--fail-status 502`) and waits until it listens. */
export async function startUpstream(port: number | string, args: string[] = []): Promise<Proc> {
  const p = new Proc(spawn(BUN, [join(ROOT, "test/fixtures/upstream.ts"), String(port), ...args], { stdio: ["ignore", "pipe", "pipe"] }));
  await p.waitLine(/upstream listening/);
  return p;
}

/** A fresh directory under /dev/shm, removed by {@link stopAll}. */
export function tempDir(): string {
  const d = mkdtempSync("/dev/shm/holdfast-test-");
  tempDirs.add(d);
  return d;
}

/**
 * A fresh tmpfs of `size` (`8m`, `50m`) on a new directory under /tmp,
 * read-only when asked (tests run as root); unmounted and removed by
 * {@link stopAll}. Throws when mount fails.
 */
export function mountTmpfs(size: string, readOnly = false): string {
  const dir = mkdtempSync("/tmp/holdfast-tmpfs-");
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}${readOnly ? ",ro" : ""}`, "tmpfs", dir]);
  if (r.status !== 0) throw new Error(`mount tmpfs on ${dir}: ${r.stderr}`);
  mounts.add(dir);
  return dir;
}

/** A running holdfast and its spool directory. */
export interface Holdfast extends Proc {
  port: number;
  spool: string;
  url: string;
}

/**
 * Starts holdfast as `target` on a free port, its spool in a fresh temp dir
 * (unless `--spool` is among `flags`), and waits for its listening line.
 */
export async function startHoldfast(target: Target, flags: string[], opts: { spool?: string } = {}): Promise<Holdfast> {
  const p = await spawnHoldfast(target, flags, opts);
  await p.waitLine(/listening on/, listenWaitMs(target));
  return p;
}

/** Spawns holdfast as `target` on a free port with its spool (a fresh temp dir unless given); does not wait. */
async function spawnHoldfast(target: Target, flags: string[], opts: { spool?: string }): Promise<Holdfast> {
  const port = await freePort();
  const spool = opts.spool ?? tempDir();
  const argv = [...holdfastCommand(target), "--listen", `127.0.0.1:${port}`, "--spool", spool, ...flags];
  const p = new Proc(spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] })) as Holdfast;
  p.port = port;
  p.spool = spool;
  p.url = `http://127.0.0.1:${port}`;
  return p;
}

/** How long holdfast may take to listen, in ms: the arm64 binary starts under qemu. */
const listenWaitMs = (target: Target) => target === "bin-arm64" ? 60_000 : 20_000;

/** Stops every process still running (SIGKILL by PID) and removes the spool directories it made. */
export async function stopAll(): Promise<void> {
  const all = [...started];
  for (const c of all) {
    try {
      process.kill(c.pid!, "SIGKILL");
    } catch { /* gone */ }
  }
  await Promise.all(all.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(0) : c.once("exit", r)))));
  for (const d of tempDirs) removeDir(d);
  tempDirs.clear();
  for (const m of mounts) {
    spawnSync("umount", ["-l", m]);
    removeDir(m);
  }
  mounts.clear();
}

/** Files left in a spool directory. */
export function spoolFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith(".spool"));
}

/** Size in bytes of the one spool file in `dir`, 0 when there is none. */
export function spoolBytes(dir: string): number {
  const f = spoolFiles(dir)[0];
  try {
    return f ? statSync(join(dir, f)).size : 0;
  } catch {
    return 0;
  }
}

/** Creates (once per path) a file of `bytes` random bytes and returns its sha256. */
export function testFile(path: string, bytes: number): string {
  if (!existsSync(path) || statSync(path).size !== bytes) {
    spawnSync("sh", ["-c", `head -c ${bytes} /dev/urandom > ${path}`]);
  }
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** Result of a curl run: status, parsed body when JSON, and curl's timings. */
export interface CurlResult {
  status: number;
  body: string;
  json?: Record<string, unknown>;
  headers: Record<string, string>;
  timeTotal: number;
}

/** Runs curl asynchronously with `args` (the URL included), `stdin` on its standard input. */
export function curl(args: string[], timeoutMs = 120_000, stdin?: Uint8Array): Promise<CurlResult> {
  return new Promise((res, rej) => {
    const c = spawn("curl", ["-sS", "-D", "-", "--max-time", String(timeoutMs / 1000), "-w", "\n%{time_total}", ...args], {
      stdio: [stdin ? "pipe" : "ignore", "pipe", "pipe"],
    });
    if (stdin) c.stdin!.end(stdin);
    started.add(c);
    let out = "";
    let err = "";
    c.stdout!.on("data", (d) => (out += d));
    c.stderr!.on("data", (d) => (err += d));
    // "close", not "exit": exit can come before the last stdout bytes are read.
    c.on("close", () => {
      started.delete(c);
      const nl = out.lastIndexOf("\n");
      const timeTotal = Number(out.slice(nl + 1));
      const all = out.slice(0, nl);
      // With -D -, heads of 100 Continue come first: take the last head.
      const heads = all.split(/\r\n\r\n/);
      let i = 0;
      while (i < heads.length - 1 && /^HTTP\/1\.1 1\d\d/.test(heads[i])) i++;
      const head = heads[i] ?? "";
      const body = heads.slice(i + 1).join("\r\n\r\n");
      const m = /^HTTP\/[\d.]+ (\d{3})/.exec(head);
      if (!m) return rej(new Error(`curl got no response: ${err} ${out}`));
      const headers: Record<string, string> = {};
      for (const line of head.split("\r\n").slice(1)) {
        const k = line.indexOf(":");
        if (k > 0) headers[line.slice(0, k).toLowerCase()] = line.slice(k + 1).trim();
      }
      let json;
      try {
        json = JSON.parse(body);
      } catch { /* not JSON */ }
      res({ status: Number(m[1]), body, json, headers, timeTotal });
    });
  });
}

/** Removes a temp directory. */
export function removeDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * {@link startHoldfast}, but it fails as soon as holdfast exits before it
 * listens (a flag it refuses, a crash at start-up) instead of after the whole
 * wait, with its stderr in the message.
 */
export async function startHoldfastOrExit(target: Target, flags: string[], opts: { spool?: string } = {}): Promise<Holdfast> {
  const p = await spawnHoldfast(target, flags, opts);
  const exited = p.exited.then((code) => {
    throw new Error(`holdfast exited with ${code} before listening; stderr:\n${p.stderr}`);
  });
  // Handled here too: once listening, a later exit is the test's business.
  exited.catch(() => {});
  await Promise.race([p.waitLine(/listening on/, listenWaitMs(target)), exited]);
  return p;
}
