import { formatBytes } from "../config/units.ts";
import type { DemoUpstreamProcess } from "./child.ts";
import { pacedUpload } from "./data.ts";
import { ProgressTicker } from "./progress.ts";
import type { DemoOutcome } from "./verdict.ts";

// Long enough that the request is visibly held, short against --hold 60s.
const RESTART_DELAY_MS = 1000;
// Beyond the upload time: --hold 60s plus room for the replay.
const SLACK_MS = 120_000;

/** The upload scenario of {@link uploadThroughOutage}. */
export interface OutageScenario {
  upstream: DemoUpstreamProcess;
  /** holdfast's URL to POST to. */
  url: string;
  sizeBytes: number;
  rateBytesPerSecond: number;
  /** Aborts the upload (Ctrl-C). */
  signal: AbortSignal;
  print(line: string): void;
}

/**
 * POSTs paced demo bytes through holdfast, SIGKILLs the upstream once half of
 * them are sent, and starts it again 1 s after the body is complete, so
 * holdfast has to hold the request and replay it. Prints progress about
 * twice a second until the response head arrives.
 * @returns what the client saw (never throws: a failed fetch is an outcome);
 *   `storedFiles` is left for the caller to count
 */
export async function uploadThroughOutage(s: OutageScenario): Promise<Omit<DemoOutcome, "storedFiles">> {
  const { upstream, sizeBytes, print } = s;
  const ctl = new AbortController();
  const abort = (e: unknown) => ctl.abort(e);
  const onOuterAbort = () => abort(s.signal.reason);
  s.signal.addEventListener("abort", onOuterAbort, { once: true });
  const limitMs = (sizeBytes / s.rateBytesPerSecond) * 1000 + SLACK_MS;
  const deadline = setTimeout(() => abort(new Error(`no response within ${Math.round(limitMs / 1000)} s`)), limitMs);
  let sent = 0;
  let killed = false;
  let bodyEndedAt: number | undefined;
  let responseAt: number | undefined;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;

  const restart = async () => {
    print(`demo: restarting the upstream on port ${upstream.port}, ${RESTART_DELAY_MS} ms after the body was sent`);
    try {
      const ms = await upstream.start();
      print(`demo: upstream is back: pid ${upstream.pid}, listening ${ms} ms after spawn`);
    } catch (e) {
      print(`demo: cannot restart the upstream: ${(e as Error).message}`);
      abort(e);
    }
  };
  const upload = pacedUpload({
    sizeBytes,
    rateBytesPerSecond: s.rateBytesPerSecond,
    onProgress(n) {
      sent = n;
      if (killed || n < sizeBytes / 2) return;
      killed = true;
      const pid = upstream.pid;
      upstream.kill();
      print(`demo: SIGKILL upstream pid ${pid} at ${formatBytes(n)} of ${formatBytes(sizeBytes)} sent`);
    },
    onEnd() {
      bodyEndedAt = Date.now();
      print(`demo: body sent: ${formatBytes(sizeBytes)}, sha256 ${upload.sha256()}; holdfast now holds the request`);
      restartTimer = setTimeout(restart, RESTART_DELAY_MS);
    },
  });
  const ticker = new ProgressTicker(() => ({
    sentBytes: sent,
    totalBytes: sizeBytes,
    upstream: upstream.state,
    heldMs: bodyEndedAt === undefined ? undefined : (responseAt ?? Date.now()) - bodyEndedAt,
  }), print);
  ticker.start();
  try {
    const res = await fetch(s.url, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: upload.body,
      duplex: "half",
      signal: ctl.signal,
    } as RequestInit);
    responseAt = Date.now();
    ticker.stop();
    const heldMs = bodyEndedAt === undefined ? undefined : responseAt - bodyEndedAt;
    const bodyText = await res.text();
    return { responses: 1, status: res.status, bodyText, heldMs, sentBytes: sent, sentSha256: upload.sha256() };
  } catch (e) {
    return { responses: 0, error: (e as Error).message ?? String(e), sentBytes: sent, sentSha256: upload.sha256() };
  } finally {
    ticker.stop();
    clearTimeout(deadline);
    clearTimeout(restartTimer);
    s.signal.removeEventListener("abort", onOuterAbort);
  }
}
