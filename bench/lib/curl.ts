/** One upload with curl, the same client for every path. */
/// <reference types="bun-types" />
import { HASH_QUERY } from "./hash-sink.ts";
import type { Started } from "./proc.ts";

/** What one upload measured. */
export interface Upload {
  status: number;
  /** Bytes curl sent. */
  sent: number;
  /** Bytes the sink says it received (its response body). */
  received: number;
  /** curl's `time_total`, seconds: first byte out to last byte of the response. */
  seconds: number;
  /** The SHA-256 the sink reported, when it was asked for one. */
  sha256?: string;
  /** CPU time curl used (user + system), seconds. */
  cpuSeconds: number;
}

/** Optional parts of {@link upload}. */
export interface UploadOptions {
  /**
   * The body's SHA-256 (hex): the sink is asked to hash what it received
   * (bench/lib/hash-sink.ts) and must report this.
   */
  sha256?: string;
  /** Registers the curl process so an interrupted benchmark stops it by PID; `untrack` once it exited. */
  track?(p: Started): void;
  untrack?(p: Started): void;
}

/**
 * Parses the sink's answer: `BYTES` or `BYTES HEX` (bench/sink.ts,
 * bench/lib/hash-sink.ts) on its first line.
 */
export function parseSinkAnswer(text: string): { received: number; sha256?: string } {
  const [bytes, sha256] = text.split("\n")[0].trim().split(" ");
  return { received: /^\d+$/.test(bytes ?? "") ? Number(bytes) : NaN, sha256 };
}

/**
 * PUTs `file` to `url` (`curl -T`, so curl sends Content-Length and streams
 * from the file) and checks the whole body reached the sink (and, with
 * `opts.sha256`, that its hash matches).
 * @throws when curl fails, the status is not 200, or bytes went missing or changed
 */
export async function upload(url: string, file: string, size: number, maxSeconds: number, opts: UploadOptions = {}): Promise<Upload> {
  const target = opts.sha256 ? url + HASH_QUERY : url;
  const p = Bun.spawn([
    "curl",
    "-sS",
    "--max-time",
    String(maxSeconds),
    // No "Expect: 100-continue" round trip: the same request for every path.
    "-H",
    "Expect:",
    "-T",
    file,
    "-w",
    "\n%{http_code} %{size_upload} %{time_total}",
    target,
  ], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const started: Started = { name: "curl", pid: p.pid, proc: p };
  opts.track?.(started);
  let out: string, err: string, code: number;
  try {
    [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  } finally {
    opts.untrack?.(started);
  }
  if (code !== 0) throw new Error(`curl ${target} exited with ${code}: ${err.trim()}`);
  const lines = out.trimEnd().split("\n");
  const [status, sent, seconds] = lines.at(-1)!.split(" ").map(Number);
  const answer = parseSinkAnswer(lines[0]);
  const cpu = p.resourceUsage()?.cpuTime;
  const u: Upload = {
    status,
    sent,
    received: answer.received,
    seconds,
    sha256: answer.sha256,
    cpuSeconds: cpu ? Number(cpu.user + cpu.system) / 1e6 : 0,
  };
  if (status !== 200 || sent !== size || u.received !== size || (opts.sha256 && u.sha256 !== opts.sha256)) {
    throw new Error(
      `Upload to ${target} failed: ${JSON.stringify(u)}, expected 200 and ${size} bytes${opts.sha256 ? ` with sha256 ${opts.sha256}` : ""}`,
    );
  }
  return u;
}
