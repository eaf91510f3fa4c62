// Spool directories that are small, read-only or broken: the default
// reserve fits a small tmpfs, a directory that does not take files is found
// at start-up (skipped, or holdfast refuses to start), and one that breaks at
// run time sends uploads to the next. The tmpfs mounts are this test's own
// (as root), as in disk-full.test.ts.
import { afterAll, describe, expect, test } from "bun:test";
import { execFileSync, spawn } from "node:child_process";
import {
  curl,
  freePort,
  holdfastCommand,
  mountTmpfs,
  Proc,
  sleep,
  spoolFiles,
  startHoldfast,
  startUpstream,
  stopAll,
  TARGETS,
  tempDir,
  testFile,
} from "./harness.ts";

afterAll(stopAll);

/** A fresh tmpfs of `size` (`50m`), read-only when asked. */
const disk = (size: string, readOnly = false): string => mountTmpfs(size, readOnly);

const FILE = "/dev/shm/holdfast-spooldirs-1m.bin";

/** Waits (bounded) until `p`'s stderr matches `re`; stderr and stdout arrive on their own pipes. */
async function stderrMatch(p: Proc, re: RegExp): Promise<void> {
  for (let i = 0; i < 250 && !re.test(p.stderr); i++) await sleep(20);
  expect(p.stderr).toMatch(re);
}

describe.each(TARGETS)("spool directories on %s", (target) => {
  test("a 50 MB tmpfs spool takes a 1 MB upload with the default --spool-reserve", async () => {
    const sha = testFile(FILE, 1024 * 1024);
    const upPort = await freePort();
    await startUpstream(upPort);
    const small = disk("50m");
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`], { spool: small });
    const r = await curl(["--data-binary", `@${FILE}`, `${hf.url}/store`]);
    expect(r.status).toBe(200);
    expect(r.json?.sha256).toBe(sha);
    expect(hf.stderr).not.toContain("warning");
  }, 30_000);

  test("a spool directory that turns read-only at run time: the upload falls through to the next one", async () => {
    const sha = testFile(FILE, 1024 * 1024);
    const upPort = await freePort();
    await startUpstream(upPort);
    const first = disk("8m");
    const second = tempDir();
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--spool", second, "--spool-reserve", "0"], {
      spool: first,
    });
    expect(hf.stderr).toBe("");
    execFileSync("mount", ["-o", "remount,ro", first]);
    const pending = curl(["--limit-rate", "2M", "--data-binary", `@${FILE}`, `${hf.url}/store`]);
    for (let i = 0; i < 300 && spoolFiles(second).length === 0; i++) await sleep(10);
    expect(spoolFiles(second).length).toBe(1);
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.json?.sha256).toBe(sha);
    await stderrMatch(hf, new RegExp(`warning: spool directory ${first} failed \\(.*EROFS.*\\); skipping it`));
    // The next upload skips the broken directory without another failure.
    const again = await curl(["--data-binary", `@${FILE}`, `${hf.url}/store`]);
    expect(again.status).toBe(200);
    expect(hf.stderr.match(/skipping it/g)?.length).toBe(1);
  }, 30_000);

  test("at start-up a directory that takes no file is skipped with a warning; with none working holdfast refuses to start", async () => {
    const sha = testFile(FILE, 1024 * 1024);
    const upPort = await freePort();
    await startUpstream(upPort);
    const readOnly = disk("8m", true);
    const good = tempDir();
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--spool", good], { spool: readOnly });
    await stderrMatch(hf, new RegExp(`warning: cannot create a file in --spool "${readOnly}": .*EROFS.*; skipping it`));
    const r = await curl(["--data-binary", `@${FILE}`, `${hf.url}/store`]);
    expect(r.json?.sha256).toBe(sha);

    const argv = [...holdfastCommand(target), "--listen", `127.0.0.1:${await freePort()}`, "--upstream", "127.0.0.1:9"];
    const p = new Proc(spawn(argv[0], [...argv.slice(1), "--spool", readOnly], { stdio: ["ignore", "pipe", "pipe"] }));
    expect(await p.exited).toBe(1);
    expect(p.stderr).toMatch(
      new RegExp(`Cannot start: no --spool directory works: cannot create a file in --spool "${readOnly}": .*EROFS`),
    );
  }, 30_000);

  test("a directory that can never hold a body under its reserve is named in a warning at start-up", async () => {
    const small = disk("8m");
    const hf = await startHoldfast(target, ["--upstream", "127.0.0.1:9", "--spool-reserve", "100m"], { spool: small });
    await stderrMatch(hf, new RegExp(`warning: --spool "${small}" can never hold a body: its file system has \\d+ bytes`));
  }, 30_000);
});
