// Rate and connection limits (issue 8 item 5): --limit-req (nginx limit_req)
// and --limit-conn (nginx limit_conn), over raw sockets so that the client's
// source address (127.0.0.1 or 127.0.0.2: Linux routes all of 127/8 to lo)
// and the timing of each response are the test's own.
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { connect, type Socket } from "node:net";
import { curl, freePort, holdfastCommand, sleep, startHoldfast, startUpstream, stopAll, TARGETS } from "./harness.ts";

afterAll(stopAll);

/** One response as it crossed the wire, and when its last byte came (`performance.now()`). */
interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/**
 * Opens a connection from `from` and sends `requests` (each a full request
 * head) at once, pipelined; returns the responses in order, and whether the
 * server closed the connection after them (with `untilClose`, it waits for
 * the server to close it). Bounded by `timeoutMs`.
 */
function exchange(
  port: number,
  requests: string[],
  from = "127.0.0.1",
  timeoutMs = 20_000,
  untilClose = false,
): Promise<{ replies: Reply[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ port, host: "127.0.0.1", localAddress: from });
    const replies: Reply[] = [];
    let buf = Buffer.alloc(0);
    let closed = false;
    const timer = setTimeout(
      () => (s.destroy(), reject(new Error(`${replies.length} of ${requests.length} responses in ${timeoutMs} ms`))),
      timeoutMs,
    );
    const done = () => (clearTimeout(timer), s.destroy(), resolve({ replies, closed }));
    s.on("connect", () => {
      s.write(requests.join(""));
    });
    s.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1)) headers[l.slice(0, l.indexOf(":")).toLowerCase()] = l.slice(l.indexOf(":") + 1).trim();
        let bodyEnd: number;
        let body: string;
        if (headers["transfer-encoding"] === "chunked") {
          const z = buf.indexOf("\r\n0\r\n\r\n", end);
          if (z < 0) return;
          bodyEnd = z + 7;
          body = "(chunked)";
        } else {
          bodyEnd = end + 4 + Number(headers["content-length"] ?? 0);
          if (buf.length < bodyEnd) return;
          body = buf.subarray(end + 4, bodyEnd).toString();
        }
        replies.push({ status: Number(lines[0].split(" ")[1]), headers, body, at: performance.now() });
        buf = buf.subarray(bodyEnd);
        if (replies.length === requests.length && !untilClose) return done();
      }
    });
    s.on("end", () => (closed = true));
    s.on("close", () => (closed = true, done()));
    s.on("error", () => {});
  });
}

const get = (path = "/", extra = "") => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;

/** Requests the upstream received (its JSON lines). */
const received = (up: { lines: string[] }) => up.lines.filter((l) => l.startsWith("{")).length;

describe.each(TARGETS)("rate and connection limits on %s", (target) => {
  test(
    "--limit-req 10,burst=5,nodelay: of 100 rapid requests burst + 1 + the rate over their time pass, the rest get 429 with Retry-After; another address is unaffected",
    async () => {
      const upPort = await freePort();
      const up = await startUpstream(upPort);
      const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--limit-req", "10,burst=5,nodelay"]);
      const t0 = performance.now();
      const { replies, closed } = await exchange(hf.port, Array.from({ length: 100 }, () => get()));
      const elapsedS = (performance.now() - t0) / 1000;
      const passed = replies.filter((r) => r.status === 200).length;
      // nginx's bucket: 6 at once (the first and burst=5), then one per 100 ms of the time the 100 took, plus one for a boundary.
      expect(passed).toBeGreaterThanOrEqual(6);
      expect(passed).toBeLessThanOrEqual(6 + Math.floor(10 * elapsedS) + 1);
      expect(replies.slice(0, 6).every((r) => r.status === 200)).toBe(true);
      const refused = replies.filter((r) => r.status !== 200);
      expect(refused.length).toBe(100 - passed);
      for (const r of refused) {
        expect(r.status).toBe(429);
        expect(r.headers["retry-after"]).toBe("1");
        expect(r.body).toMatch(/^429 Too Many Requests: Too many requests/);
      }
      // A refusal without a body keeps the connection: all 100 came back on one.
      expect(closed).toBe(false);
      expect(received(up)).toBe(passed);
      const line = await hf.waitLine(/ 429 /);
      expect(line).toContain("attempts=0");
      // 127.0.0.2 has its own bucket, untouched by 127.0.0.1's.
      const other = await exchange(hf.port, Array.from({ length: 6 }, () => get()), "127.0.0.2");
      expect(other.replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    },
    60_000,
  );

  test("--limit-req 10,burst=5 without nodelay: a burst is delayed to leave at the rate, not refused", async () => {
    const upPort = await freePort();
    const up = await startUpstream(upPort);
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--limit-req", "10r/s,burst=5"]);
    // Seven connections at once from one address: the first goes now, five wait 100, 200, ... 500 ms, the seventh is past the burst.
    const t0 = performance.now();
    const all = await Promise.all(Array.from({ length: 7 }, () => exchange(hf.port, [get()])));
    const at = all.map((x) => x.replies[0]).map((r) => ({ status: r.status, ms: r.at - t0 })).sort((a, b) => a.ms - b.ms);
    expect(at.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 429]);
    const passed = at.filter((r) => r.status === 200);
    // Each leaves no earlier than its place in the queue allows (a timer may fire a few ms early).
    passed.forEach((r, i) => expect(r.ms).toBeGreaterThanOrEqual(i * 100 - 15));
    expect(received(up)).toBe(6);
  }, 60_000);

  test("a request delayed by the rate when --shutdown-timeout ends gets 503 with Retry-After, not an empty reply", async () => {
    const upPort = await freePort();
    const up = await startUpstream(upPort);
    const hf = await startHoldfast(target, [
      ...["--upstream", `127.0.0.1:${upPort}`, "--limit-req", "1r/m,burst=5", "--shutdown-timeout", "1s"],
    ]);
    // The second waits a minute for its turn.
    const both = Promise.all([exchange(hf.port, [get("/first")]), exchange(hf.port, [get("/second")])]);
    await hf.waitLine(/"GET \/first" 200/);
    await sleep(200);
    hf.kill("SIGTERM");
    const replies = (await both).map((x) => x.replies[0]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 503]);
    expect(replies.find((r) => r.status === 503)!.headers["retry-after"]).toBe("5");
    expect(await hf.exited).toBe(0);
    expect(up.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l).url)).toEqual(["/first"]);
  }, 60_000);

  test("key=header:X-Api-Key: each key has its own bucket, a request without the field is not limited", async () => {
    const upPort = await freePort();
    await startUpstream(upPort);
    const admin = await freePort();
    const hf = await startHoldfast(target, [
      ...["--upstream", `127.0.0.1:${upPort}`, "--limit-req", "1r/m,nodelay,key=header:X-Api-Key"],
      ...["--admin-listen", `127.0.0.1:${admin}`],
    ]);
    const a = get("/", "X-Api-Key: alpha\r\n");
    const b = get("/", "X-Api-Key: beta\r\n");
    const { replies } = await exchange(hf.port, [a, a, b, b, get(), get(), get(), a]);
    expect(replies.map((r) => r.status)).toEqual([200, 429, 200, 429, 200, 200, 200, 429]);
    // The admin endpoint counts the refusals.
    const metrics = await curl([`http://127.0.0.1:${admin}/metrics`]);
    expect(metrics.body).toContain('holdfast_limit_refused_total{limit="req"} 3\n');
    expect(metrics.body).toContain('holdfast_limit_refused_total{limit="conn"} 0\n');
    // 1r/m: a slot frees a minute after the key's one request.
    expect(Number(replies[1].headers["retry-after"])).toBeGreaterThanOrEqual(59);
    expect(Number(replies[1].headers["retry-after"])).toBeLessThanOrEqual(60);
  }, 60_000);

  test("a route's limit-req= is its own zone; limit-req=off lifts the global one", async () => {
    const upPort = await freePort();
    await startUpstream(upPort);
    const hf = await startHoldfast(target, [
      ...["--upstream", `127.0.0.1:${upPort}`, "--limit-req", "1r/m"],
      ...["--route", "/=default", "--route", "/api/=default,limit-req=1r/m,limit-req-burst=1,limit-req-nodelay"],
      ...["--route", "/free/=default,limit-req=off"],
    ]);
    const { replies } = await exchange(hf.port, [
      get("/"),
      get("/x"),
      get("/api/1"),
      get("/api/2"),
      get("/api/3"),
      get("/free/"),
      get("/free/"),
    ]);
    expect(replies.map((r) => r.status)).toEqual([200, 429, 200, 200, 429, 200, 200]);
  }, 60_000);

  test("a held request is admitted once: its replays after the peer comes back are not refused, even at 1r/m", async () => {
    const upPort = await freePort();
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--limit-req", "1r/m", "--hold", "30s"]);
    const held = exchange(hf.port, [get("/held")], "127.0.0.1", 40_000);
    await hf.waitStderrLine(/hold/i);
    // The same address again while the first is held: beyond the rate.
    const again = await exchange(hf.port, [get("/again")]);
    expect(again.replies[0].status).toBe(429);
    await sleep(1500);
    const up = await startUpstream(upPort);
    const r = (await held).replies[0];
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).url).toBe("/held");
    expect(up.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l).url)).toEqual(["/held"]);
    const line = await hf.waitLine(/"GET \/held" 200/);
    expect(Number(/attempts=(\d+)/.exec(line)?.[1])).toBeGreaterThan(1);
  }, 60_000);

  test("--limit-conn 2: the third connection from an address gets 503 and is closed; after one closes a new one is admitted", async () => {
    const upPort = await freePort();
    await startUpstream(upPort);
    for (const [flag, status] of [["2", 503], ["2,status=429", 429]] as const) {
      const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--limit-conn", flag]);
      // Two connections open and kept alive after a request each.
      const open = [openConn(hf.port), openConn(hf.port)];
      for (const c of open) expect(await c.request(get())).toMatch(/^HTTP\/1.1 200/);
      const third = await exchange(hf.port, [get()], "127.0.0.1", 20_000, true);
      expect(third.replies[0].status).toBe(status);
      expect(third.replies[0].headers.connection).toBe("close");
      expect(third.replies[0].body).toMatch(/too many connections from this address/);
      expect(third.closed).toBe(true);
      // Another address has its own count.
      expect((await exchange(hf.port, [get()], "127.0.0.2")).replies[0].status).toBe(200);
      expect(await hf.waitLine(new RegExp(` ${status} `))).toBeTruthy();
      open[0].close();
      // holdfast learns of the close soon after; bounded.
      let admitted = 0;
      for (let i = 0; i < 50 && admitted !== 200; i++) {
        await sleep(50);
        admitted = (await exchange(hf.port, [get()])).replies[0].status;
      }
      expect(admitted).toBe(200);
      open[1].close();
      hf.kill();
      await hf.exited;
    }
  }, 60_000);
});

/** A kept-alive connection that sends one request at a time and returns the response's head. */
function openConn(port: number): { request(r: string): Promise<string>; close(): void } {
  const s = connect(port, "127.0.0.1");
  s.on("error", () => {});
  let wait: ((head: string) => void) | undefined;
  let buf = "";
  s.on("data", (d: Buffer) => {
    buf += d.toString("latin1");
    const end = buf.indexOf("\r\n\r\n");
    const len = Number(/content-length: (\d+)/i.exec(buf)?.[1] ?? -1);
    if (end >= 0 && len >= 0 && buf.length >= end + 4 + len) {
      const head = buf.slice(0, end);
      buf = "";
      wait?.(head);
    }
  });
  return {
    request: (r) => new Promise((resolve) => (wait = resolve, s.write(r))),
    close: () => s.destroy(),
  };
}

describe("limit flags", () => {
  test("a bad --limit-req or --limit-conn exits 2 naming the flag and the accepted form", () => {
    for (
      const [flags, msg] of [
        [["--limit-req", "abc"], /--limit-req "abc": rate "abc" must be .*expected RATE\[,burst=N\]\[,nodelay\]/],
        [["--limit-req", "10,burst=x"], /--limit-req "10,burst=x": burst "x" must be a whole number.*expected RATE/],
        [["--limit-req", "10,key=cookie"], /--limit-req "10,key=cookie": key "cookie" must be ip or header:NAME/],
        [["--limit-conn", "0"], /--limit-conn "0": .*at least 1: expected N\[,key=ip\]\[,status=503\|429\]/],
        [["--route", "/=default,limit-req=fast"], /--route "\/=default,limit-req=fast": rate "fast" must be/],
      ] as const
    ) {
      const cmd = holdfastCommand(TARGETS[0]);
      const r = spawnSync(cmd[0], [...cmd.slice(1), "--upstream", "127.0.0.1:1", ...flags], { timeout: 20_000 });
      expect(r.status).toBe(2);
      expect(r.stderr.toString()).toMatch(msg);
    }
  }, 60_000);

  test("--check names each limit in its plan", () => {
    const cmd = holdfastCommand(TARGETS[0]);
    const r = spawnSync(cmd[0], [
      ...cmd.slice(1),
      ...["--check", "--upstream", "127.0.0.1:1", "--spool", "/dev/shm", "--limit-req", "10r/s,burst=5,nodelay", "--limit-conn", "2"],
      ...["--route", "/=default", "--route", "/free/=default,limit-req=off"],
    ], { timeout: 20_000 });
    expect(r.status).toBe(0);
    const out = r.stdout.toString();
    expect(out).toContain("limit requests to 10r/s per client address, a burst of 5 passed at once, then 429");
    expect(out).toContain("but not on route /free/=default,limit-req=off");
    expect(out).toContain("limit each client address to 2 open connections, answering 503 past it");
  }, 30_000);
});
