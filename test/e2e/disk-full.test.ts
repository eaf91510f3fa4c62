// A spool that fills up mid-upload (a small tmpfs this test mounts, as root)
// and a client that leaves mid-upload: an error response or a quiet cleanup,
// never a crash, a leftover spool file or a partial request upstream.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import {
  curl,
  freePort,
  mountTmpfs,
  sleep,
  spoolBytes,
  spoolFiles,
  startHoldfast,
  startUpstream,
  stopAll,
  TARGETS,
  tempDir,
  testFile,
} from "./harness.ts";

afterAll(stopAll);

/** A fresh 8 MiB tmpfs. */
const smallDisk = (): string => mountTmpfs("8m");

const FILE = "/dev/shm/holdfast-diskfull-6m.bin";

describe.each(TARGETS)("full spool disk and vanishing clients on %s", (target) => {
  test("a body goes to the first --spool directory that keeps --spool-reserve free after it", async () => {
    const big = "/dev/shm/holdfast-diskfull-12m.bin";
    const sha = testFile(big, 12 * 1024 * 1024);
    const small = smallDisk();
    const roomy = tempDir();
    const upPort = await freePort();
    await startUpstream(upPort);
    const hf = await startHoldfast(target, [
      "--upstream",
      `127.0.0.1:${upPort}`,
      "--spool",
      roomy,
      "--spool-reserve",
      "1m",
      "--hold",
      "10s",
    ], { spool: small });
    // At a limited rate the spool file exists long enough to be seen.
    const pending = curl(["--limit-rate", "8M", "--data-binary", `@${big}`, `${hf.url}/store`]);
    for (let i = 0; i < 300 && spoolFiles(roomy).length === 0; i++) await sleep(10);
    expect(spoolFiles(roomy).length).toBe(1);
    expect(spoolFiles(small)).toEqual([]);
    const r = await pending;
    expect(r.json?.sha256).toBe(sha);
    // A body that leaves the reserve free on the first directory goes there.
    testFile(FILE, 6 * 1024 * 1024);
    const fits = curl(["--limit-rate", "4M", "--data-binary", `@${FILE}`, `${hf.url}/store`]);
    for (let i = 0; i < 300 && spoolFiles(small).length === 0; i++) await sleep(10);
    expect(spoolFiles(small).length).toBe(1);
    expect((await fits).status).toBe(200);
  }, 30_000);

  for (const framing of ["Content-Length", "chunked"] as const) {
    test(`507 when the spool disk fills mid-upload (${framing}); the upstream sees nothing; holdfast goes on`, async () => {
      testFile(FILE, 6 * 1024 * 1024);
      const disk = smallDisk();
      const upPort = await freePort();
      const up = await startUpstream(upPort);
      const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--spool-reserve", "0"], { spool: disk });
      const extra = framing === "chunked" ? ["-H", "Transfer-Encoding: chunked"] : [];
      const pending = curl([...extra, "--limit-rate", "3M", "--data-binary", `@${FILE}`, `${hf.url}/store`]);
      for (let i = 0; i < 300 && spoolBytes(disk) < 1024 * 1024; i++) await sleep(10);
      // Something else takes the rest of the disk while the body is coming in.
      try {
        writeFileSync(`${disk}/filler`, new Uint8Array(7 * 1024 * 1024));
      } catch { /* ENOSPC: the disk is full, which is the point */ }
      const r = await pending;
      expect(r.status).toBe(507);
      expect(spoolFiles(disk)).toEqual([]);
      // The event log names the directory, beside the access line's request id.
      const id = / id=(\w+)/.exec(await hf.waitLine(/"POST \/store" 507 /))![1];
      expect(await hf.waitStderrLine(/ spool-full /, 5000)).toMatch(new RegExp(` spool-full dir=${disk} reason=".+" id=${id}$`));
      expect(up.lines.filter((l) => l.startsWith("{"))).toEqual([]);
      rmSync(`${disk}/filler`, { force: true });
      const ok = await curl(["--data-binary", "still here", `${hf.url}/store`]);
      expect(ok.status).toBe(200);
    }, 30_000);

    test(`a client that leaves mid-upload (${framing}) leaves no spool file and no request upstream`, async () => {
      testFile(FILE, 6 * 1024 * 1024);
      const upPort = await freePort();
      const up = await startUpstream(upPort);
      const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`]);
      const extra = framing === "chunked" ? ["-H", "Transfer-Encoding: chunked"] : [];
      const pending = curl([...extra, "--limit-rate", "2M", "--data-binary", `@${FILE}`, `${hf.url}/store`], 1500).catch((e) => e);
      await pending;
      await hf.waitLine(/"POST \/store" 499 /, 10_000);
      expect(spoolFiles(hf.spool)).toEqual([]);
      expect(up.lines.filter((l) => l.startsWith("{"))).toEqual([]);
    }, 30_000);
  }
});
