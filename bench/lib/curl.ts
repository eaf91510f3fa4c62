/** One upload with curl, the same client for every path. */
/// <reference types="bun-types" />

/** What one upload measured. */
export interface Upload {
  status: number;
  /** Bytes curl sent. */
  sent: number;
  /** Bytes the sink says it received (its response body). */
  received: number;
  /** curl's `time_total`, seconds: first byte out to last byte of the response. */
  seconds: number;
}

/**
 * PUTs `file` to `url` (`curl -T`, so curl sends Content-Length and streams
 * from the file) and checks the whole body reached the sink.
 * @throws when curl fails, the status is not 200, or bytes went missing
 */
export async function upload(url: string, file: string, size: number, maxSeconds: number): Promise<Upload> {
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
    url,
  ], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`curl ${url} exited with ${code}: ${err.trim()}`);
  const lines = out.trimEnd().split("\n");
  const [status, sent, seconds] = lines.at(-1)!.split(" ").map(Number);
  const received = Number(lines[0]);
  const u = { status, sent, received, seconds };
  if (status !== 200 || sent !== size || received !== size) {
    throw new Error(`Upload to ${url} failed: ${JSON.stringify(u)}, expected ${size} bytes and 200`);
  }
  return u;
}
