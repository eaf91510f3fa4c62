// Signals: SIGHUP re-reads the offline page without dropping a held upload;
// SIGTERM answers what is still held when --shutdown-timeout ends with 503
// and Retry-After, never an empty reply; error bodies say nothing of
// holdfast's internals.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { curl, freePort, sleep, spoolFiles, startHoldfast, startUpstream, stopAll, TARGETS, testFile } from "./harness.ts";

afterAll(stopAll);

const FILE = "/dev/shm/holdfast-signals-2m.bin";

/** Waits (bounded) until `dir` holds a spool file. */
async function spooled(dir: string): Promise<void> {
  for (let i = 0; i < 500 && spoolFiles(dir).length === 0; i++) await sleep(10);
  expect(spoolFiles(dir).length).toBe(1);
}

describe.each(TARGETS)("signals on %s", (target) => {
  test("SIGHUP during a held upload: the upload completes with 200 and its sha256; a new offline page is served after it", async () => {
    const sha = testFile(FILE, 2 * 1024 * 1024);
    const page = `/dev/shm/holdfast-signals-page-${process.pid}-${target}.html`;
    writeFileSync(page, "<h1>old page</h1>\n");
    const upPort = await freePort();
    const deadPort = await freePort();
    const hf = await startHoldfast(target, [
      "--upstream",
      `127.0.0.1:${upPort}`,
      "--upstream",
      `dead=127.0.0.1:${deadPort}`,
      "--route",
      "/=default",
      "--route",
      "/gone/=dead,hold=0",
      "--hold",
      "30s",
      "--offline-page",
      page,
      "--offline-status",
      "503",
    ]);
    expect((await curl([`${hf.url}/gone/x`])).body).toBe("<h1>old page</h1>\n");
    const held = curl(["--data-binary", `@${FILE}`, `${hf.url}/store`]);
    await spooled(hf.spool);
    writeFileSync(page, "<h1>new page</h1>\n");
    hf.kill("SIGHUP");
    await hf.waitLine(/SIGHUP: reloaded --offline-page/);
    const after = await curl([`${hf.url}/gone/x`]);
    expect(after.status).toBe(503);
    expect(after.body).toBe("<h1>new page</h1>\n");
    // A page that is gone on the next SIGHUP keeps the one in use, and says why.
    rmSync(page);
    hf.kill("SIGHUP");
    await hf.waitLine(/SIGHUP: kept the offline page in use: cannot read --offline-page .*ENOENT/);
    expect((await curl([`${hf.url}/gone/x`])).body).toBe("<h1>new page</h1>\n");
    await startUpstream(upPort);
    const r = await held;
    expect(r.status).toBe(200);
    expect(r.json?.sha256).toBe(sha);
    expect(hf.child.exitCode).toBeNull();
  }, 40_000);

  test("SIGTERM with an upload held past --shutdown-timeout: 503 with Retry-After, an empty spool, exit 0", async () => {
    testFile(FILE, 2 * 1024 * 1024);
    const deadPort = await freePort();
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${deadPort}`, "--hold", "60s", "--shutdown-timeout", "1s"]);
    const held = curl(["--data-binary", `@${FILE}`, `${hf.url}/store`]);
    await spooled(hf.spool);
    await sleep(200);
    hf.kill("SIGTERM");
    const r = await held;
    expect(r.status).toBe(503);
    expect(r.headers["retry-after"]).toMatch(/^\d+$/);
    expect(r.headers["connection"]).toBe("close");
    expect(r.body).toMatch(/^503 Service Unavailable: .*\nrequest id: [0-9a-z]+\n$/);
    expect(await hf.exited).toBe(0);
    expect(spoolFiles(hf.spool)).toEqual([]);
    expect(hf.lines.join("\n")).toMatch(/"POST \/store" 503 /);
  }, 40_000);

  test("SIGTERM with an upload still arriving past --shutdown-timeout: 503 with Retry-After, an empty spool", async () => {
    testFile(FILE, 2 * 1024 * 1024);
    const upPort = await freePort();
    await startUpstream(upPort);
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--shutdown-timeout", "1s"]);
    // 2 MiB at 256 KiB/s takes 8 s: still arriving when the second is up.
    const slow = curl(["--limit-rate", "256K", "--data-binary", `@${FILE}`, `${hf.url}/store`]);
    await spooled(hf.spool);
    hf.kill("SIGTERM");
    const r = await slow;
    expect(r.status).toBe(503);
    expect(r.headers["retry-after"]).toMatch(/^\d+$/);
    expect(await hf.exited).toBe(0);
    expect(spoolFiles(hf.spool)).toEqual([]);
  }, 40_000);

  test("error bodies are generic with the request id; the detail goes to stderr under that id", async () => {
    testFile(FILE, 2 * 1024 * 1024);
    const deadPort = await freePort();
    const upPort = await freePort();
    await startUpstream(upPort);
    const hf = await startHoldfast(target, [
      "--upstream",
      `127.0.0.1:${deadPort}`,
      "--upstream",
      `live=127.0.0.1:${upPort}`,
      "--route",
      "/=default",
      "--route",
      "/hang=live,read-timeout=300ms",
      "--route",
      "/big/=live",
      "--hold",
      "0",
      "--spool-reserve",
      "1000g",
    ]);
    const refused = await curl([`${hf.url}/x`]);
    const timeout = await curl([`${hf.url}/hang`]);
    const full = await curl(["--data-binary", `@${FILE}`, `${hf.url}/big/store`]);
    const cases: [typeof refused, number, RegExp][] = [
      [refused, 502, /^502 Bad Gateway: the upstream is unavailable\nrequest id: ([0-9a-z]+)\n$/],
      [timeout, 504, /^504 Gateway Timeout: the upstream did not answer in time\nrequest id: ([0-9a-z]+)\n$/],
      [full, 507, /^507 Insufficient Storage: no room to store the request body\nrequest id: ([0-9a-z]+)\n$/],
    ];
    for (const [r, status, body] of cases) {
      expect(r.status).toBe(status);
      expect(r.body).toMatch(body);
      // No address, port, errno name, path or stack trace.
      expect(r.body).not.toMatch(/127\.0\.0\.1|:\d{2,5}\b|\bE[A-Z]{3,}\b|\/dev\/|\bat \S+ \(|Error/);
      const id = body.exec(r.body)![1];
      for (let i = 0; i < 100 && !hf.stderr.includes(`request ${id}: ${status} `); i++) await sleep(20);
      expect(hf.stderr).toContain(`holdfast: request ${id}: ${status} `);
    }
    expect(hf.stderr).toContain(`127.0.0.1:${deadPort}`);
  }, 40_000);
});
