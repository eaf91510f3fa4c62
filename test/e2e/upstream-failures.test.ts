// What the client sees when the upstream fails: 504 on a read timeout, 502
// once --hold runs out, the offline page instead when one is configured.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { curl, freePort, sleep, spoolFiles, startHoldfast, startUpstream, stopAll, TARGETS, testFile } from "./harness.ts";

afterAll(stopAll);

describe.each(TARGETS)("upstream failures on %s", (target) => {
  test("504 when the upstream accepts but sends no response head within --read-timeout", async () => {
    const upPort = await freePort();
    const up = await startUpstream(upPort);
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--read-timeout", "1s"]);
    const r = await curl([`${hf.url}/hang`]);
    expect(r.status).toBe(504);
    expect(r.timeTotal).toBeGreaterThanOrEqual(0.9);
    // The request reached the upstream once: a read timeout is not replayed.
    expect(up.lines.filter((l) => l.includes('"/hang"')).length).toBe(1);
    expect(await hf.waitLine(/"GET \/hang" 504 /)).toContain("attempts=1");
  }, 30_000);

  test("an upstream that stalls mid-body: 504 for a small body not yet sent, a cut-off stream for a large one", async () => {
    const upPort = await freePort();
    await startUpstream(upPort);
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--read-timeout", "1s"]);
    const small = await curl([`${hf.url}/stall/100`]);
    expect(small.status).toBe(504);
    expect(await hf.waitLine(/"GET \/stall\/100" 504 /)).toContain("upstream_status=200");
    const large = await curl([`${hf.url}/stall/1048576`]);
    expect(large.status).toBe(200);
    expect(large.body.length).toBe(524288);
    expect(await hf.waitLine(/"GET \/stall\/1048576" 200 /)).toContain("sent=524288");
  }, 30_000);

  test("502 after --hold when the upstream never comes back; the spool is emptied", async () => {
    const file = "/dev/shm/holdfast-fail-1m.bin";
    testFile(file, 1024 * 1024);
    const deadPort = await freePort();
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${deadPort}`, "--hold", "2s"]);
    const r = await curl(["--data-binary", `@${file}`, `${hf.url}/store`]);
    expect(r.status).toBe(502);
    expect(r.timeTotal).toBeGreaterThanOrEqual(1.9);
    const log = await hf.waitLine(/"POST \/store" 502 /);
    // The first try and a last one when --hold ends; in between the group's hold prober, not the request, probes the peer.
    const attempts = Number(/attempts=(\d+)/.exec(log)![1]);
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(3);
    expect(spoolFiles(hf.spool)).toEqual([]);
  }, 30_000);

  // holdfast owns the client socket on both runtimes: a client that closed is
  // known gone within the half-close probe (README, HTTP/1.1 on the wire).
  test("a client that leaves while its request is held: logged 499, spool removed at once, never replayed", async () => {
    const file = "/dev/shm/holdfast-fail-1m.bin";
    testFile(file, 1024 * 1024);
    const upPort = await freePort();
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--hold", "30s"]);
    const gone = await curl(["--data-binary", `@${file}`, `${hf.url}/store`], 1500).catch((e: Error) => e);
    expect(gone).toBeInstanceOf(Error);
    await hf.waitLine(/"POST \/store" 499 /, 5000);
    expect(spoolFiles(hf.spool)).toEqual([]);
    const up = await startUpstream(upPort);
    await sleep(1500);
    expect(up.lines.filter((l) => l.startsWith("{"))).toEqual([]);
  }, 30_000);

  test("--hold 0 answers 502 at once, as nginx does", async () => {
    const deadPort = await freePort();
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${deadPort}`, "--hold", "0"]);
    const r = await curl([`${hf.url}/x`]);
    expect(r.status).toBe(502);
    expect(await hf.waitLine(/"GET \/x" 502 /)).toContain("attempts=1");
  }, 30_000);

  test("--offline-page with --offline-status 200 serves the page with 200 when holdfast gives up", async () => {
    const page = `/dev/shm/holdfast-offline-${process.pid}.html`;
    writeFileSync(page, "<h1>Back soon</h1>\n");
    const deadPort = await freePort();
    const hf = await startHoldfast(target, [
      "--upstream",
      `127.0.0.1:${deadPort}`,
      "--hold",
      "1s",
      "--offline-page",
      page,
      "--offline-status",
      "200",
    ]);
    const r = await curl(["--data-binary", "hello", `${hf.url}/store`]);
    expect(r.status).toBe(200);
    expect(r.body).toBe("<h1>Back soon</h1>\n");
    expect(r.headers["content-type"]).toStartWith("text/html");
  }, 30_000);
});
