/**
 * Makes docs/status-page.png, the README's picture of the status page:
 * holdfast (on Bun) in front of two groups, `default` whose only peer is
 * down (two uploads held: one still arriving, one complete) and `api` with a
 * live peer and a backup; some traffic for the counters and the log tail;
 * then a headless Chromium screenshot. Everything runs on 127.0.0.1 and is
 * stopped by PID at the end.
 *
 * Usage: `bun test/e2e/status-page-screenshot.ts [OUT.png]` (needs Debian's chromium).
 */
import { join } from "node:path";
import { chromium } from "./chromium.ts";
import { curl, freePort, ROOT, sleep, startHoldfast, startUpstream, stopAll, testFile } from "./harness.ts";

const out = process.argv[2] ?? join(ROOT, "docs/status-page.png");
try {
  const downPort = await freePort();
  const apiPort = await freePort();
  const backupPort = await freePort();
  const adminPort = await freePort();
  await startUpstream(apiPort);
  const hf = await startHoldfast("bun", [
    "--upstream",
    `127.0.0.1:${downPort}`,
    "--upstream",
    `api=127.0.0.1:${apiPort}`,
    "--upstream",
    `api=127.0.0.1:${backupPort},backup`,
    "--route",
    "/=default,hold=10m",
    "--route",
    "/api/=api,strip-prefix",
    "--admin-listen",
    `127.0.0.1:${adminPort}`,
  ]);
  for (let i = 0; i < 12; i++) await curl([`${hf.url}/api/photos?page=${i}`]);
  await curl([`${hf.url}/api/status/404`]);
  await curl([`${hf.url}/api/status/503`]);
  await curl(["--data-binary", "{}", `${hf.url}/api/albums`]);
  const big = "/dev/shm/holdfast-screenshot-50m.bin";
  const small = "/dev/shm/holdfast-screenshot-5m.bin";
  testFile(big, 50 * 1024 * 1024);
  testFile(small, 5 * 1024 * 1024);
  // Both held until the end: the script kills them.
  void curl(["--data-binary", `@${small}`, `${hf.url}/upload/IMG_2041.jpg`], 300_000).catch(() => {});
  await sleep(1500);
  void curl(["--limit-rate", "4M", "--data-binary", `@${big}`, `${hf.url}/upload/VID_0007.mp4`], 300_000).catch(() => {});
  await sleep(3000);
  const page = `http://127.0.0.1:${adminPort}/`;
  // Virtual time lets the page poll status.json twice before the shot: the rate column then has two samples.
  await chromium(["--screenshot=" + out, "--window-size=1280,1100", "--hide-scrollbars", "--virtual-time-budget=2500"], page);
  console.log(`wrote ${out}`);
} finally {
  await stopAll();
}
