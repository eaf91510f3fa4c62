// The seed scenario of issue 2: a large upload at a limited rate while the
// upstream is SIGKILLed at half and restarted, before or after the body ends.
import { afterAll, describe, expect, test } from "bun:test";
import {
  curl,
  type CurlResult,
  freePort,
  type Holdfast,
  sleep,
  spoolBytes,
  spoolFiles,
  startHoldfast,
  startUpstream,
  stopAll,
  type Target,
  TARGETS,
  testFile,
} from "./harness.ts";

afterAll(stopAll);

interface Plan {
  target: Target;
  bytes: number;
  /** curl --limit-rate, bytes per second. */
  rate: number;
  /** Restart the upstream `restartAfterEndMs` after the body ended; negative: before it ends. */
  restartAfterEndMs: number;
}

/** Runs one seed upload and returns what crossed the wire. */
async function seed(p: Plan) {
  const file = `/dev/shm/holdfast-seed-${p.bytes}.bin`;
  const sha = testFile(file, p.bytes);
  const upPort = await freePort();
  let up = await startUpstream(upPort);
  const hf: Holdfast = await startHoldfast(p.target, ["--upstream", `127.0.0.1:${upPort}`, "--hold", "60s"]);
  const started = Date.now();
  const pending: Promise<CurlResult> = curl([
    "--limit-rate",
    String(p.rate),
    "-H",
    "Content-Type: application/octet-stream",
    "--data-binary",
    `@${file}`,
    `${hf.url}/store`,
  ]);
  const bodyMs = (p.bytes / p.rate) * 1000;
  // Kill at half, judged by what holdfast has spooled.
  for (let i = 0; i < 2000 && spoolBytes(hf.spool) < p.bytes / 2; i++) await sleep(10);
  up.kill("SIGKILL");
  await up.exited;
  const killedAt = Date.now();
  const atKill = spoolBytes(hf.spool);
  await sleep(1000);
  // What the client managed to upload in the second after the kill.
  const ratePerS = spoolBytes(hf.spool) - atKill;
  if (p.restartAfterEndMs < 0) {
    await sleep(Math.max(0, started + bodyMs * 0.8 - Date.now()));
    expect(spoolBytes(hf.spool)).toBeLessThan(p.bytes);
  } else {
    for (let i = 0; i < 6000 && (spoolFiles(hf.spool).length === 0 || spoolBytes(hf.spool) < p.bytes); i++) await sleep(10);
    await sleep(p.restartAfterEndMs);
  }
  up = await startUpstream(upPort);
  const res = await pending;
  const log = await hf.waitLine(/"POST \/store"/);
  return { res, sha, ratePerS, killedAt, log, hf, up };
}

// The seed scenario also runs against the arm64 binary under qemu-aarch64-static.
const SEED_TARGETS: Target[] = process.env.HOLDFAST_TARGETS ? TARGETS : [...TARGETS, "bin-arm64"];

describe.each(SEED_TARGETS)("seed upload through holdfast on %s", (target) => {
  for (const [name, restartAfterEndMs] of [["before the body ends", -1], ["5 s after the body ended", 5000]] as const) {
    test(`200 MB, upstream SIGKILLed at half and restarted ${name}: one 200, exact sha256, no slowdown, spool empty`, async () => {
      const rate = 40 * 1024 * 1024;
      const r = await seed({ target, bytes: 200 * 1024 * 1024, rate, restartAfterEndMs });
      expect(r.res.status).toBe(200);
      expect(r.res.json?.sha256).toBe(r.sha);
      expect(r.res.json?.bytes).toBe(200 * 1024 * 1024);
      // The upstream saw exactly one complete request.
      const stored = r.up.lines.filter((l) => l.startsWith("{"));
      expect(stored.length).toBe(1);
      // The upload went on at the client's rate while the upstream was dead.
      expect(r.ratePerS).toBeGreaterThan(rate * 0.7);
      expect(r.log).toMatch(/ 200 body=209715200 /);
      if (restartAfterEndMs > 0) expect(Number(/held_ms=(\d+)/.exec(r.log)![1])).toBeGreaterThanOrEqual(4500);
      expect(spoolFiles(r.hf.spool)).toEqual([]);
    }, 120_000);
  }
});
