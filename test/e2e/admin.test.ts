// The admin endpoint (--admin-listen, --admin-path): /metrics as Prometheus
// text whose counters move by exactly the requests sent, /stub_status in
// nginx's format, /status.json with a held request, and the proxy port's
// prefix. The status page in a browser is in admin-page.test.ts.
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import {
  curl,
  freePort,
  type Holdfast,
  holdfastCommand,
  sleep,
  spoolFiles,
  startHoldfast,
  startUpstream,
  stopAll,
  TARGETS,
  testFile,
} from "./harness.ts";
import { parsePrometheus, sample } from "./prometheus.ts";

afterAll(stopAll);

/** holdfast with the admin endpoint on its own free port. */
async function withAdmin(target: (typeof TARGETS)[number], flags: string[]): Promise<Holdfast & { admin: string }> {
  const port = await freePort();
  const hf = await startHoldfast(target, [...flags, "--admin-listen", `127.0.0.1:${port}`]) as Holdfast & { admin: string };
  hf.admin = `http://127.0.0.1:${port}`;
  await hf.waitLine(new RegExp(`admin endpoint on http://127.0.0.1:${port}/`));
  return hf;
}

const STUB =
  /^Active connections: (\d+) \nserver accepts handled requests\n (\d+) (\d+) (\d+) \nReading: (\d+) Writing: (\d+) Waiting: (\d+) \n$/;

async function stub(url: string): Promise<number[]> {
  const r = await curl([`${url}/stub_status`]);
  expect(r.status).toBe(200);
  const m = STUB.exec(r.body);
  if (!m) throw new Error(`not nginx's stub_status format: ${JSON.stringify(r.body)}`);
  return m.slice(1).map(Number);
}

describe.each(TARGETS)("admin endpoint on %s", (target) => {
  test("/metrics parses as Prometheus text; the request and attempt counters move by exactly the requests sent", async () => {
    const upPort = await freePort();
    await startUpstream(upPort);
    const hf = await withAdmin(target, ["--upstream", `127.0.0.1:${upPort}`]);
    const scrape = async () => {
      const r = await curl([`${hf.admin}/metrics`]);
      expect(r.status).toBe(200);
      expect(r.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
      return parsePrometheus(r.body);
    };
    const before = await scrape();
    const gets = 5, posts = 3;
    for (let i = 0; i < gets; i++) expect((await curl([`${hf.url}/get/${i}`])).status).toBe(200);
    for (let i = 0; i < posts; i++) expect((await curl(["--data-binary", "hello", `${hf.url}/post/${i}`])).status).toBe(200);
    expect((await curl([`${hf.url}/status/404`])).status).toBe(404);
    const after = await scrape();
    const req = (m: Map<string, number>, method: string, status: string) =>
      sample(m, "holdfast_requests_total", { route: "default", method, status_class: status });
    expect(req(after.samples, "GET", "2xx") - req(before.samples, "GET", "2xx")).toBe(gets);
    expect(req(after.samples, "POST", "2xx") - req(before.samples, "POST", "2xx")).toBe(posts);
    expect(req(after.samples, "GET", "4xx") - req(before.samples, "GET", "4xx")).toBe(1);
    const peer = `127.0.0.1:${upPort}`;
    const att = (m: Map<string, number>, outcome: string) => sample(m, "holdfast_upstream_attempts_total", { peer, outcome });
    expect(att(after.samples, "2xx") - att(before.samples, "2xx")).toBe(gets + posts);
    expect(att(after.samples, "4xx") - att(before.samples, "4xx")).toBe(1);
    expect(sample(after.samples, "holdfast_request_body_bytes_total", {}) - sample(before.samples, "holdfast_request_body_bytes_total", {}))
      .toBe(posts * 5);
    expect(sample(after.samples, "holdfast_upstream_response_seconds_count", { peer })).toBe(gets + posts + 1);
    expect(sample(after.samples, "holdfast_peer_up", { group: "default", peer })).toBe(1);
    expect(sample(after.samples, "holdfast_peer_state", { group: "default", peer, state: "up" })).toBe(1);
    expect(sample(after.samples, "holdfast_inflight_requests", {})).toBe(0);
    expect(sample(after.samples, "holdfast_spool_free_bytes", { dir: hf.spool })).toBeGreaterThan(0);
    expect(after.types.get("holdfast_held_seconds")).toBe("histogram");
    expect(after.types.get("holdfast_requests_total")).toBe("counter");
    const info = [...after.samples.keys()].find((k) => k.startsWith("holdfast_build_info{"));
    expect(info).toContain(`runtime="${target === "deno" ? "deno" : "bun"}"`);
  }, 30_000);

  test("/stub_status is nginx's format; its accepts and requests move by the connections and requests sent", async () => {
    const upPort = await freePort();
    await startUpstream(upPort);
    const hf = await withAdmin(target, ["--upstream", `127.0.0.1:${upPort}`]);
    const [, accepts0, handled0, requests0] = await stub(hf.admin);
    // Two connections: one with three keep-alive requests, one with one.
    const r = await curl([`${hf.url}/a`, `${hf.url}/b`, `${hf.url}/c`]);
    expect(r.status).toBe(200);
    expect((await curl([`${hf.url}/d`])).status).toBe(200);
    const [active, accepts, handled, requests, reading, writing, waiting] = await stub(hf.admin);
    expect(accepts - accepts0).toBe(2);
    expect(handled - handled0).toBe(2);
    expect(requests - requests0).toBe(4);
    expect(active).toBe(reading + writing + waiting);
  }, 30_000);

  test("/status.json lists a held upload with its held time, bytes and the peer it retries; it is gone once served", async () => {
    const upPort = await freePort();
    const bytes = 1024 * 1024;
    const file = `/dev/shm/holdfast-admin-${bytes}.bin`;
    const sha = testFile(file, bytes);
    const hf = await withAdmin(target, ["--upstream", `127.0.0.1:${upPort}`, "--hold", "30s"]);
    const pending = curl(["--data-binary", `@${file}`, `${hf.url}/store`]);
    type Live = { id: string; phase: string; heldMs: number; bodyBytes: number; attempts: number; peer: string; lastOutcome: string };
    let held: Live | undefined;
    let snap: Record<string, unknown> = {};
    for (let i = 0; i < 100 && !(held && held.heldMs >= 300); i++) {
      await sleep(50);
      snap = (await curl([`${hf.admin}/status.json`])).json!;
      held = (snap.inflight as Live[]).find((r) => r.phase === "held");
    }
    expect(held).toBeDefined();
    expect(held!.heldMs).toBeGreaterThanOrEqual(300);
    expect(held!.bodyBytes).toBe(bytes);
    expect(held!.attempts).toBeGreaterThan(0);
    expect(held!.peer).toBe(`127.0.0.1:${upPort}`);
    expect(held!.lastOutcome).toBe("refused");
    expect(snap.held).toBe(1);
    const peers = (snap.groups as { name: string; peers: { peer: string; state: string; downUntil: string }[] }[])[0].peers;
    expect(peers[0].state).toBe("passive-down");
    expect(Date.parse(peers[0].downUntil)).toBeGreaterThan(Date.now() - 1000);
    const spool = (snap.spool as { dir: string; files: number; bytes: number }[])[0];
    expect(spool).toMatchObject({ dir: hf.spool, files: 1, bytes });
    await startUpstream(upPort);
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.json?.sha256).toBe(sha);
    const after = (await curl([`${hf.admin}/status.json`])).json!;
    expect(after.inflight).toEqual([]);
    const counters = after.counters as Record<string, number>;
    expect(counters.heldRequests).toBe(1);
    expect(counters.spooledBytes).toBe(bytes);
    expect((after.accessLog as string[]).some((l) => l.includes(`"POST /store" 200`) && l.includes(`id=${held!.id}`))).toBe(true);
    expect(spoolFiles(hf.spool)).toEqual([]);
  }, 40_000);

  test(
    "--admin-path answers under its prefix on the proxy's port and proxies everything else; without it the path is proxied",
    async () => {
      const upPort = await freePort();
      await startUpstream(upPort);
      const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--admin-path", "/_holdfast"]);
      expect(STUB.test((await curl([`${hf.url}/_holdfast/stub_status`])).body)).toBe(true);
      const page = await curl([`${hf.url}/_holdfast/`]);
      expect(page.status).toBe(200);
      expect(page.headers["content-type"]).toContain("text/html");
      expect(page.body).toContain(`data-base="/_holdfast"`);
      const json = await curl([`${hf.url}/_holdfast/status.json`]);
      expect((json.json?.counters as Record<string, number>).requests).toBe(2);
      expect((await curl(["-X", "POST", "--data-binary", "x", `${hf.url}/_holdfast/metrics`])).status).toBe(405);
      // A longer name and a lookalike are the app's.
      const proxied = await curl([`${hf.url}/_holdfastx/metrics`]);
      expect(proxied.json?.url).toBe("/_holdfastx/metrics");
      const plain = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`]);
      expect((await curl([`${plain.url}/_holdfast/stub_status`])).json?.url).toBe("/_holdfast/stub_status");
    },
    30_000,
  );
});

describe("admin flags", () => {
  test("a bad --admin-listen or --admin-path exits 2 naming the flag and the accepted form", () => {
    for (
      const [flags, msg] of [
        [["--admin-listen", "localhost"], /--admin-listen "localhost": expected HOST:PORT or PORT/],
        [["--admin-listen", "127.0.0.1:70000"], /--admin-listen "127.0.0.1:70000": expected HOST:PORT/],
        [["--admin-path", "_holdfast"], /--admin-path "_holdfast": expected a path prefix/],
        [["--admin-path", "/"], /--admin-path "\/": expected a path prefix/],
      ] as const
    ) {
      const cmd = holdfastCommand(TARGETS[0]);
      const r = spawnSync(cmd[0], [...cmd.slice(1), "--upstream", "127.0.0.1:1", ...flags], { timeout: 20_000 });
      expect(r.status).toBe(2);
      expect(r.stderr.toString()).toMatch(msg);
    }
  }, 60_000);
});
