// The status page in a real browser (Debian's headless Chromium, --dump-dom):
// during a held 50 MB upload it shows the request with a growing byte count,
// then held with every byte, and its peer as down.
import { afterAll, describe, expect, test } from "bun:test";
import { curl, freePort, sleep, startHoldfast, startUpstream, stopAll, TARGETS, testFile } from "./harness.ts";
import { chromium } from "./chromium.ts";

afterAll(stopAll);

interface Row {
  id: string;
  bytes: number;
  shown: number;
  phase: string;
}

/** The status page's row of the upload, as the browser rendered it. */
function uploadRow(dom: string): Row | undefined {
  const m = /<tr data-id="([^"]+)" data-bytes="(\d+)" data-phase="(\w+)">.*?POST \/upload.*?<span class="bytes">(\d+)<\/span>/.exec(dom);
  return m ? { id: m[1], bytes: Number(m[2]), phase: m[3], shown: Number(m[4]) } : undefined;
}

describe.each(TARGETS)("status page in headless Chromium on %s", (target) => {
  test("a held 50 MB upload shows with a growing byte count, then held with all its bytes; the peer shows down", async () => {
    const bytes = 50 * 1024 * 1024;
    const file = `/dev/shm/holdfast-admin-page-${bytes}.bin`;
    const sha = testFile(file, bytes);
    const upPort = await freePort();
    const adminPort = await freePort();
    const peer = `127.0.0.1:${upPort}`;
    // The peer is down from the start: a health check says so before the upload ends.
    const hf = await startHoldfast(target, [
      "--upstream",
      peer,
      "--hold",
      "60s",
      "--health-check",
      "/health,interval=200ms,timeout=200ms,fails=1",
      "--admin-listen",
      `127.0.0.1:${adminPort}`,
    ]);
    const page = `http://127.0.0.1:${adminPort}/`;
    const pending = curl(["--limit-rate", "6M", "--data-binary", `@${file}`, `${hf.url}/upload`], 120_000);
    // Until some of the body is in.
    for (let i = 0; i < 200; i++) {
      const live = (await curl([`${page}status.json`])).json?.inflight as { bodyBytes: number }[];
      if (live?.[0]?.bodyBytes > 1024 * 1024) break;
      await sleep(50);
    }
    const dom1 = await chromium(["--dump-dom"], page);
    const first = uploadRow(dom1);
    expect(first).toBeDefined();
    expect(first!.phase).toBe("receiving");
    expect(first!.shown).toBe(first!.bytes);
    expect(first!.bytes).toBeGreaterThan(0);
    expect(first!.bytes).toBeLessThan(bytes);
    const peerState = new RegExp(`<tr data-peer="${peer.replace(/\./g, "\\.")}" data-state="([\\w-]+)">`);
    expect(peerState.exec(dom1)?.[1]).toBe("active-down");
    await sleep(500);
    const second = uploadRow(await chromium(["--dump-dom"], page));
    expect(second?.id).toBe(first!.id);
    expect(second!.bytes).toBeGreaterThan(first!.bytes);
    // Once the body is in, the request is held with every byte.
    for (let i = 0; i < 400; i++) {
      const live = (await curl([`${page}status.json`])).json?.inflight as { phase: string }[];
      if (live?.[0]?.phase === "held") break;
      await sleep(50);
    }
    const dom3 = await chromium(["--dump-dom"], page);
    const held = uploadRow(dom3);
    expect(held).toMatchObject({ id: first!.id, phase: "held", bytes });
    expect(peerState.exec(dom3)?.[1]).toMatch(/down/);
    await startUpstream(upPort);
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.json?.sha256).toBe(sha);
  }, 120_000);
});
