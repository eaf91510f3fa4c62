// Body limits: 413 (client_max_body_size), 408 (client_body_timeout) and
// 507 (no spool room): the upstream never sees a partial request, and no
// spool file is left behind.
import { afterAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { curl, freePort, sleep, spoolFiles, startHoldfast, startUpstream, stopAll, TARGETS, testFile } from "./harness.ts";

afterAll(stopAll);

const FILE = "/dev/shm/holdfast-limits-2m.bin";
const SIZE = 2 * 1024 * 1024;

/** Sends a request head plus `partial` body bytes on a raw socket and returns what comes back. */
function stalledUpload(port: number, declared: number, partial: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    let got = "";
    const t = setTimeout(() => (s.destroy(), resolve(got)), timeoutMs);
    s.on("data", (d) => {
      got += d.toString();
      // The head is all the test needs; some servers keep the socket open after it.
      if (got.includes("\r\n\r\n")) s.destroy();
    });
    s.on("close", () => (clearTimeout(t), resolve(got)));
    s.on("error", () => {});
    s.write(`POST /store HTTP/1.1\r\nHost: t\r\nContent-Length: ${declared}\r\n\r\n`);
    s.write(Buffer.alloc(partial, 7));
  });
}

describe.each(TARGETS)("body limits on %s", (target) => {
  test("413 when Content-Length exceeds --max-body, before the body is read; upstream sees nothing", async () => {
    testFile(FILE, SIZE);
    const upPort = await freePort();
    const up = await startUpstream(upPort);
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--max-body", "1m"]);
    const r = await curl(["--data-binary", `@${FILE}`, `${hf.url}/store`]);
    expect(r.status).toBe(413);
    const ok = await curl(["--data-binary", "small", `${hf.url}/store`]);
    expect(ok.status).toBe(200);
    expect(up.lines.filter((l) => l.startsWith("{")).length).toBe(1);
    expect(spoolFiles(hf.spool)).toEqual([]);
  }, 30_000);

  test("413 as soon as a chunked body crosses --max-body; nothing partial reaches the upstream", async () => {
    testFile(FILE, SIZE);
    const upPort = await freePort();
    const up = await startUpstream(upPort);
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--max-body", "1m", "--body-buffer", "64k"]);
    const r = await curl(["-H", "Transfer-Encoding: chunked", "--data-binary", `@${FILE}`, `${hf.url}/store`]);
    expect(r.status).toBe(413);
    await hf.waitLine(/"POST \/store" 413 /);
    await sleep(200);
    expect(up.lines.filter((l) => l.startsWith("{"))).toEqual([]);
    expect(spoolFiles(hf.spool)).toEqual([]);
  }, 30_000);

  // 3 MB declared: on Bun, past the first reads the body goes to the spool on the receiver thread, which keeps the timeout.
  for (const [declared, sent] of [[100_000, 50_000], [3_000_000, 1_500_000]]) {
    test(
      `408 when the client stalls longer than --client-body-timeout (${sent} of ${declared} bytes sent); the spool file is removed`,
      async () => {
        const upPort = await freePort();
        const up = await startUpstream(upPort);
        const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--client-body-timeout", "1s", "--body-buffer", "1k"]);
        const reply = await stalledUpload(hf.port, declared, sent, 10_000);
        expect(reply).toStartWith("HTTP/1.1 408");
        await hf.waitLine(/"POST \/store" 408 /);
        expect(up.lines.filter((l) => l.startsWith("{"))).toEqual([]);
        expect(spoolFiles(hf.spool)).toEqual([]);
      },
      30_000,
    );
  }

  test("507 when no spool directory keeps --spool-reserve free; the upstream sees nothing", async () => {
    testFile(FILE, SIZE);
    const upPort = await freePort();
    const up = await startUpstream(upPort);
    // A reserve larger than any disk here: no directory ever has room.
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--spool-reserve", "1000000g"]);
    const sized = await curl(["--data-binary", `@${FILE}`, `${hf.url}/store`]);
    expect(sized.status).toBe(507);
    const chunked = await curl(["-H", "Transfer-Encoding: chunked", "--data-binary", `@${FILE}`, `${hf.url}/store`]);
    expect(chunked.status).toBe(507);
    // A body that fits in --body-buffer needs no spool room.
    const small = await curl(["--data-binary", "tiny", `${hf.url}/store`]);
    expect(small.status).toBe(200);
    expect(up.lines.filter((l) => l.startsWith("{")).length).toBe(1);
    expect(spoolFiles(hf.spool)).toEqual([]);
  }, 30_000);
});
