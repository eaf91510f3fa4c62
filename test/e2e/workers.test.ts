// --workers: N worker processes on SO_REUSEPORT listeners under a primary.
// Both workers serve (each access-log line names its worker), the primary's
// admin endpoint counts the requests of both, one worker's passive verdict
// on a peer reaches the other, a killed worker is restarted, and SIGTERM
// stops both, answering a held request 503 and leaving no spool file.
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
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

/** GET `path` on a new connection (Connection: close), so SO_REUSEPORT picks a worker each time; resolves with the status. */
function getOnNewConnection(port: number, path: string, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    let got = "";
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer to ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("error", () => {});
    s.on("close", () => {
      clearTimeout(t);
      resolve(Number(/^HTTP\/1\.1 (\d{3}) /.exec(got)?.[1] ?? 0));
    });
    s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

/** The worker pids the primary printed once every worker was ready. */
async function workerPids(hf: Holdfast): Promise<number[]> {
  const line = await hf.waitLine(/ primary \d+: \d+ workers \(pids [\d ]+\)/);
  return /\(pids ([\d ]+)\)/.exec(line)![1].split(" ").map(Number);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits (bounded) until none of `pids` is alive. */
async function gone(pids: number[], timeoutMs = 20_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!pids.some(alive)) return true;
    await sleep(50);
  }
  return false;
}

/** holdfast with `--workers 2` and its admin endpoint; its worker pids once ready. */
async function twoWorkers(target: (typeof TARGETS)[number], flags: string[]): Promise<{ hf: Holdfast; admin: string; pids: number[] }> {
  const adminPort = await freePort();
  const hf = await startHoldfast(target, ["--workers", "2", "--admin-listen", `127.0.0.1:${adminPort}`, ...flags]);
  const pids = await workerPids(hf);
  return { hf, admin: `http://127.0.0.1:${adminPort}`, pids };
}

/** SIGTERM to the primary; its exit status, and whether the workers are gone too. */
async function stop(hf: Holdfast, pids: number[]): Promise<{ code: number; workersGone: boolean }> {
  hf.kill("SIGTERM");
  const code = await hf.exited;
  return { code, workersGone: await gone(pids) };
}

describe.each(TARGETS)("workers on %s", (target) => {
  test(
    "--workers 2: both serve (the access log names each line's worker); /status.json, /metrics and /stub_status count both",
    async () => {
      const upPort = await freePort();
      await startUpstream(upPort);
      const { hf, admin, pids } = await twoWorkers(target, ["--upstream", `127.0.0.1:${upPort}`]);
      expect(pids.length).toBe(2);
      expect(pids.every(alive)).toBe(true);
      const n = 200;
      const statuses: number[] = [];
      // Ten at a time, each on its own connection: the kernel spreads connections, not requests.
      for (let i = 0; i < n; i += 10) {
        statuses.push(...await Promise.all(Array.from({ length: 10 }, (_, j) => getOnNewConnection(hf.port, `/get/${i + j}`))));
      }
      expect(statuses.filter((s) => s === 200).length).toBe(n);
      for (let i = 0; i < 100 && hf.lines.filter((l) => l.includes('"GET /get/')).length < n; i++) await sleep(50);
      const access = hf.lines.filter((l) => l.includes('"GET /get/'));
      expect(access.length).toBe(n);
      const byWorker = [1, 2].map((w) => access.filter((l) => l.endsWith(` worker=${w}`)).length);
      expect(byWorker[0] + byWorker[1]).toBe(n);
      expect(byWorker[0]).toBeGreaterThan(0);
      expect(byWorker[1]).toBeGreaterThan(0);
      // Request ids stay unique across workers.
      expect(new Set(access.map((l) => / id=(\w+) /.exec(l)![1])).size).toBe(n);

      const status = (await curl([`${admin}/status.json`])).json as {
        pid: number;
        counters: { requests: number; connectionsAccepted: number; byStatus: Record<string, number> };
        groups: { peers: { peer: string; attempts: Record<string, number> }[] }[];
      };
      expect(status.pid).toBe(hf.pid);
      expect(status.counters.requests).toBe(n);
      expect(status.counters.byStatus["2xx"]).toBe(n);
      expect(status.counters.connectionsAccepted).toBe(n);
      expect(status.groups[0].peers[0].attempts["2xx"]).toBe(n);
      const metrics = parsePrometheus((await curl([`${admin}/metrics`])).body).samples;
      expect(sample(metrics, "holdfast_requests_total", { route: "default", method: "GET", status_class: "2xx" })).toBe(n);
      // Every worker runs the same build: build info is not summed.
      expect([...metrics].filter(([k]) => k.startsWith("holdfast_build_info")).map(([, v]) => v)).toEqual([1]);
      const stub = (await curl([`${admin}/stub_status`])).body;
      expect(stub).toContain(`server accepts handled requests\n ${n} ${n} ${n} \n`);

      expect(await stop(hf, pids)).toEqual({ code: 0, workersGone: true });
    },
    90_000,
  );

  test("a peer one worker's failure sends out is out for the other worker too", async () => {
    const dead = await freePort();
    const upPort = await freePort();
    await startUpstream(upPort);
    const { hf, admin, pids } = await twoWorkers(target, [
      "--upstream",
      `127.0.0.1:${dead},max-fails=1,fail-timeout=60s`,
      "--upstream",
      `127.0.0.1:${upPort}`,
    ]);
    // One at a time, with room for the verdict to reach the other worker before the next request.
    for (let i = 0; i < 20; i++) {
      expect(await getOnNewConnection(hf.port, `/shared/${i}`)).toBe(200);
      await sleep(50);
    }
    for (let i = 0; i < 100 && hf.lines.filter((l) => l.includes('"GET /shared/')).length < 20; i++) await sleep(50);
    const access = hf.lines.filter((l) => l.includes('"GET /shared/'));
    expect(access.length).toBe(20);
    for (const w of [1, 2]) expect(access.some((l) => l.endsWith(` worker=${w}`))).toBe(true);
    // Unshared, each worker would try the dead peer once when its round robin came to it: 2 refusals.
    const refused = access.filter((l) => l.includes("upstream_status=refused"));
    expect(refused.length).toBe(1);
    const status = (await curl([`${admin}/status.json`])).json as { groups: { peers: { peer: string; state: string }[] }[] };
    expect(status.groups[0].peers.find((p) => p.peer === `127.0.0.1:${dead}`)!.state).toBe("passive-down");
    expect(await stop(hf, pids)).toEqual({ code: 0, workersGone: true });
  }, 60_000);

  test("a killed worker is restarted and the proxy keeps serving; SIGTERM answers a held upload 503 and leaves no spool file", async () => {
    const upPort = await freePort();
    await startUpstream(upPort);
    const dead = await freePort();
    const { hf, pids } = await twoWorkers(target, [
      "--upstream",
      `127.0.0.1:${upPort}`,
      "--upstream",
      `held=127.0.0.1:${dead}`,
      "--route",
      "/held/=held",
      "--route",
      "/=default",
      "--hold",
      "60s",
      "--shutdown-timeout",
      "1s",
      "--body-buffer",
      "64k",
    ]);
    process.kill(pids[0], "SIGKILL");
    const exit = await hf.waitStderrLine(new RegExp(` worker-exit worker=1 pid=${pids[0]} code=137 `));
    expect(exit).toContain("restart_in_ms=");
    const start = await hf.waitStderrLine(/ worker-start worker=1 pid=\d+/);
    const restarted = Number(/ pid=(\d+)/.exec(start)![1]);
    expect(restarted).not.toBe(pids[0]);
    // The restarted worker binds before it serves; a connection in between goes to the other.
    await hf.waitLine(/ worker 1 listening on/);
    for (let i = 0; i < 100 && hf.lines.filter((l) => / worker 1 listening on/.test(l)).length < 2; i++) await sleep(50);
    expect(alive(restarted)).toBe(true);
    const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) => getOnNewConnection(hf.port, `/after/${i}`)));
    expect(statuses).toEqual(Array(20).fill(200));

    const file = `/dev/shm/holdfast-workers-${target}.bin`;
    testFile(file, 1024 * 1024);
    const held = curl(["--data-binary", `@${file}`, `${hf.url}/held/upload`], 60_000);
    for (let i = 0; i < 200 && spoolFiles(hf.spool).length === 0; i++) await sleep(50);
    expect(spoolFiles(hf.spool).length).toBe(1);
    const { code, workersGone } = await stop(hf, [pids[1], restarted]);
    const answer = await held;
    expect(answer.status).toBe(503);
    expect(Number(answer.headers["retry-after"])).toBeGreaterThan(0);
    expect([code, workersGone]).toEqual([0, true]);
    expect(spoolFiles(hf.spool)).toEqual([]);
  }, 90_000);

  test(
    "the primary runs the active health checks once and both workers follow them; --admin-path on a worker shows the whole proxy",
    async () => {
      const [a, b] = [await freePort(), await freePort()];
      await startUpstream(a);
      await startUpstream(b);
      const { hf, admin, pids } = await twoWorkers(target, [
        "--upstream",
        `127.0.0.1:${a}`,
        "--upstream",
        `127.0.0.1:${b}`,
        "--health-check",
        "/health,interval=200ms,fails=2,passes=1",
        "--admin-path",
        "/_holdfast",
      ]);
      await curl([`http://127.0.0.1:${a}/control/health/503`]);
      await hf.waitStderrLine(new RegExp(`peer-down group=default peer=127\\.0\\.0\\.1:${a} source=health-check`), 10_000);
      // One prober, not one per worker: a single event.
      await sleep(500);
      expect(hf.stderrLines.filter((l) => l.includes(" peer-down ")).length).toBe(1);
      const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => getOnNewConnection(hf.port, `/checked/${i}`)));
      expect(statuses).toEqual(Array(30).fill(200));
      for (let i = 0; i < 100 && hf.lines.filter((l) => l.includes('"GET /checked/')).length < 30; i++) await sleep(50);
      const lines = hf.lines.filter((l) => l.includes('"GET /checked/'));
      expect(lines.length).toBe(30);
      for (const w of [1, 2]) expect(hf.lines.some((l) => l.includes('"GET /checked/') && l.endsWith(` worker=${w}`))).toBe(true);
      // Neither worker sent a request to the peer the primary's check took out.
      expect(lines.every((l) => l.includes(`upstream=127.0.0.1:${b} `))).toBe(true);
      // The proxy's own port answers for every worker, as --admin-listen does.
      const viaProxy = (await curl([`${hf.url}/_holdfast/status.json`])).json as {
        pid: number;
        counters: { requests: number };
        groups: { peers: { peer: string; state: string }[] }[];
      };
      const viaAdmin = (await curl([`${admin}/status.json`])).json as typeof viaProxy;
      expect(viaProxy.pid).toBe(hf.pid);
      expect(viaProxy.counters.requests).toBeGreaterThanOrEqual(30);
      expect(viaAdmin.counters.requests).toBe(viaProxy.counters.requests + 1);
      expect(viaProxy.groups[0].peers.map((p) => p.state)).toEqual(["active-down", "up"]);
      // A restarted worker is told what the primary knows: it does not try the peer either.
      process.kill(pids[0], "SIGKILL");
      const start = await hf.waitStderrLine(/ worker-start worker=1 pid=\d+/);
      const restarted = Number(/ pid=(\d+)/.exec(start)![1]);
      for (let i = 0; i < 200 && hf.lines.filter((l) => / worker 1 listening on/.test(l)).length < 2; i++) await sleep(50);
      await sleep(300);
      const again = await Promise.all(Array.from({ length: 30 }, (_, i) => getOnNewConnection(hf.port, `/again/${i}`)));
      expect(again).toEqual(Array(30).fill(200));
      for (let i = 0; i < 100 && hf.lines.filter((l) => l.includes('"GET /again/')).length < 30; i++) await sleep(50);
      const againLines = hf.lines.filter((l) => l.includes('"GET /again/'));
      expect(againLines.some((l) => l.endsWith(" worker=1"))).toBe(true);
      expect(againLines.every((l) => l.includes(`upstream=127.0.0.1:${b} `))).toBe(true);
      pids[0] = restarted;
      await curl([`http://127.0.0.1:${a}/control/health/200`]);
      await hf.waitStderrLine(new RegExp(`peer-up group=default peer=127\\.0\\.0\\.1:${a} source=health-check`), 10_000);
      const back = await Promise.all(Array.from({ length: 20 }, (_, i) => getOnNewConnection(hf.port, `/back/${i}`)));
      expect(back).toEqual(Array(20).fill(200));
      for (let i = 0; i < 100 && hf.lines.filter((l) => l.includes('"GET /back/')).length < 20; i++) await sleep(50);
      expect(hf.lines.some((l) => l.includes('"GET /back/') && l.includes(`upstream=127.0.0.1:${a} `))).toBe(true);
      expect(await stop(hf, pids)).toEqual({ code: 0, workersGone: true });
    },
    60_000,
  );

  test("SIGHUP reaches every worker: each re-reads the offline page", async () => {
    const page = `/dev/shm/holdfast-workers-offline-${target}.html`;
    writeFileSync(page, "<p>first</p>");
    const dead = await freePort();
    const { hf, pids } = await twoWorkers(target, ["--upstream", `127.0.0.1:${dead}`, "--hold", "0s", "--offline-page", page]);
    writeFileSync(page, "<p>second</p>");
    hf.kill("SIGHUP");
    for (let i = 0; i < 100 && hf.lines.filter((l) => l.includes("SIGHUP: reloaded --offline-page")).length < 2; i++) await sleep(50);
    expect(hf.lines.filter((l) => l.includes("SIGHUP: reloaded --offline-page")).length).toBe(2);
    const bodies = await Promise.all(Array.from({ length: 10 }, () => curl(["-H", "Connection: close", `${hf.url}/x`])));
    expect(bodies.map((r) => r.body)).toEqual(Array(10).fill("<p>second</p>"));
    expect(await stop(hf, pids)).toEqual({ code: 0, workersGone: true });
  }, 60_000);

  test("bad --workers values are refused, naming the flag and the accepted form", () => {
    const cmd = holdfastCommand(target);
    const run = (args: string[]) => spawnSync(cmd[0], [...cmd.slice(1), ...args], { encoding: "utf8", timeout: 30_000 });
    for (const bad of ["0", "65", "two"]) {
      const r = run(["--upstream", "127.0.0.1:9", "--workers", bad]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`--workers "${bad}": expected a number of processes from 1 to 64, or auto`);
    }
  }, 60_000);
});
