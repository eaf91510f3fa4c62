/**
 * Debian's headless Chromium (`apt-get install chromium`) for the status
 * page's tests and screenshot: each call is one browser process with its own
 * throw-away profile, bounded in time, stopped by PID if it overruns.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";

/** The Chromium executable: `chromium` on PATH, or CHROMIUM. */
export const CHROMIUM = process.env.CHROMIUM ?? "chromium";

/**
 * Loads `url` headless and returns stdout (the DOM after the page's scripts
 * ran, with `--dump-dom`). Root needs `--no-sandbox`; `/dev/shm` may be small
 * in containers, hence `--disable-dev-shm-usage`.
 * @throws when Chromium is missing, fails, or takes longer than `timeoutMs`
 */
export function chromium(flags: string[], url: string, timeoutMs = 60_000): Promise<string> {
  const profile = mkdtempSync("/tmp/holdfast-chromium-");
  const argv = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    `--user-data-dir=${profile}`,
    ...flags,
    url,
  ];
  return new Promise((resolve, reject) => {
    const c = spawn(CHROMIUM, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => {
      try {
        process.kill(c.pid!, "SIGKILL");
      } catch { /* gone */ }
    }, timeoutMs);
    c.on("error", (e) => {
      clearTimeout(timer);
      rmSync(profile, { recursive: true, force: true });
      reject(new Error(`cannot run ${CHROMIUM} (apt-get install chromium): ${e.message}`));
    });
    c.on("close", (code) => {
      clearTimeout(timer);
      rmSync(profile, { recursive: true, force: true });
      if (code === 0) resolve(out);
      else reject(new Error(`${CHROMIUM} exited with ${code}: ${err.slice(-2000)}`));
    });
  });
}
