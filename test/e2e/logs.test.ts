// The access log in its three formats (kv, json, nginx's combined), a held
// request's summarised attempts, the event log on stderr during an outage,
// and parse errors in the access log.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { RawPeer } from "../fixtures/raw-peer.ts";
import { curl, freePort, type Holdfast, type Proc, startHoldfast, startUpstream, stopAll, TARGETS } from "./harness.ts";

afterAll(stopAll);

/** Sends raw bytes to holdfast and resolves with everything it answered before closing (bounded). */
function raw(port: number, bytes: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    let got = "";
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(got)}`));
    }, timeoutMs);
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("close", () => {
      clearTimeout(t);
      resolve(got);
    });
    s.on("error", () => {});
    s.write(bytes);
  });
}

/** The body of a raw response (after the blank line). */
const bodyOf = (response: string) => response.slice(response.indexOf("\r\n\r\n") + 4);

/** Waits (bounded) until `count` stdout lines satisfy `pick`, and returns them. */
async function lines(p: Proc, pick: (l: string) => boolean, count: number, timeoutMs = 10_000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = p.lines.filter(pick);
    if (got.length >= count) return got;
    if (Date.now() > until) throw new Error(`${got.length} of ${count} lines; stdout:\n${p.lines.join("\n")}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// nginx's combined format (log_format combined), then $request_time.
const COMBINED =
  /^(\S+) - (\S+) \[(\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)" (\d+\.\d{3})$/;

/** The type every key of a JSON access line must have. */
const JSON_TYPES: Record<string, string[]> = {
  time: ["string"],
  client: ["string"],
  request: ["string"],
  method: ["string", "null"],
  target: ["string", "null"],
  protocol: ["string", "null"],
  status: ["number"],
  body: ["number"],
  sent: ["number"],
  upstream: ["string", "null"],
  upstream_status: ["string", "null"],
  attempts: ["number"],
  held_ms: ["number"],
  request_ms: ["number"],
  upstream_ms: ["number", "null"],
  id: ["string"],
  host: ["string", "null"],
  referer: ["string", "null"],
  ua: ["string", "null"],
};

const typeOf = (v: unknown) => (v === null ? "null" : typeof v);

describe.each(TARGETS)("logs on %s", (target) => {
  test("the JSON access log parses line by line, every field present and typed; own bodies count as sent", async () => {
    const upPort = await freePort();
    await startUpstream(upPort);
    const hf = await startHoldfast(target, [
      "--upstream",
      `127.0.0.1:${upPort}`,
      "--access-log-format",
      "json",
      "--log-format",
      "json",
      "--max-body",
      "10",
    ]);
    const get = await curl(["-A", "logs test/1.0 (json)", "-e", "https://ref.example/a?b=1", `${hf.url}/get?x=1`]);
    expect(get.status).toBe(200);
    const tooLarge = await curl(["--data-binary", "x".repeat(100), `${hf.url}/post`]);
    expect(tooLarge.status).toBe(413);
    const bad = await raw(hf.port, "GARBAGE\r\n\r\n");
    expect(bad).toStartWith("HTTP/1.1 400 ");
    const all = await lines(hf, (l) => l.startsWith("{"), 3);
    const records = all.map((l) => JSON.parse(l));
    for (const r of records) {
      expect(Object.keys(r).sort()).toEqual(Object.keys(JSON_TYPES).sort());
      for (const [k, types] of Object.entries(JSON_TYPES)) expect([k, types.includes(typeOf(r[k]))]).toEqual([k, true]);
    }
    const byStatus = new Map(records.map((r) => [r.status, r]));
    expect(byStatus.get(200)).toMatchObject({
      request: "GET /get?x=1 HTTP/1.1",
      method: "GET",
      target: "/get?x=1",
      protocol: "HTTP/1.1",
      client: "127.0.0.1",
      sent: get.body.length,
      upstream: `127.0.0.1:${upPort}`,
      upstream_status: "200",
      attempts: 1,
      host: `127.0.0.1:${hf.port}`,
      referer: "https://ref.example/a?b=1",
      ua: "logs test/1.0 (json)",
    });
    // holdfast's own 413 body is counted, as nginx's $body_bytes_sent counts its error pages.
    expect(byStatus.get(413)).toMatchObject({ method: "POST", sent: tooLarge.body.length, attempts: 0, upstream: null });
    expect(tooLarge.body.length).toBeGreaterThan(0);
    expect(byStatus.get(400)).toMatchObject({ request: "GARBAGE", method: null, protocol: null, sent: bodyOf(bad).length });
    // The event log on stderr is JSON too: reload and shutdown.
    hf.kill("SIGHUP");
    await hf.waitStderrLine(/"event":"reload"/, 5000);
    hf.kill("SIGTERM");
    expect(await hf.exited).toBe(0);
    const events = hf.stderrLines.map((l) => JSON.parse(l));
    expect(events.map((e) => e.event)).toEqual(["reload", "shutdown", "stopped"]);
    expect(events[1]).toMatchObject({ signal: "SIGTERM" });
    expect(events[2]).toMatchObject({ clean: true });
    for (const e of events) expect(typeof e.time).toBe("string");
  }, 30_000);

  test("the combined access log matches nginx's combined format plus $request_time", async () => {
    const upPort = await freePort();
    await startUpstream(upPort);
    const dead = await freePort();
    const page = `/dev/shm/holdfast-logs-offline-${process.pid}.html`;
    writeFileSync(page, "<h1>Back soon</h1>\n");
    const hf = await startHoldfast(target, [
      "--upstream",
      `127.0.0.1:${upPort}`,
      "--upstream",
      `down=127.0.0.1:${dead}`,
      "--route",
      "/down/=down",
      "--route",
      "/=default",
      "--hold",
      "0",
      "--offline-page",
      page,
      "--access-log-format",
      "combined",
    ]);
    const ok = await curl(["-A", 'Mozilla/5.0 (X11; "quoted")', "-e", "http://ref.example/", `${hf.url}/c?x=1`]);
    expect(ok.status).toBe(200);
    const offline = await curl([`${hf.url}/down/x`]);
    expect(offline.body).toBe("<h1>Back soon</h1>\n");
    const bad = await raw(hf.port, "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    expect(bad).toStartWith("HTTP/1.1 400 ");
    const got = await lines(hf, (l) => COMBINED.test(l), 3);
    const parsed = got.map((l) => COMBINED.exec(l)!);
    const byPath = (p: string) => parsed.find((m) => m[4].includes(p))!;
    const c = byPath("/c?x=1");
    expect([c[1], c[2], c[4], c[5], Number(c[6]), c[7], c[8]]).toEqual([
      "127.0.0.1",
      "-",
      "GET /c?x=1 HTTP/1.1",
      "200",
      ok.body.length,
      "http://ref.example/",
      "Mozilla/5.0 (X11; \\x22quoted\\x22)",
    ]);
    expect(Number(c[9])).toBeGreaterThanOrEqual(0);
    // The offline page is holdfast's own body: it is counted.
    expect(byPath("/down/x").slice(5, 8)).toEqual([String(offline.status), String(offline.body.length), "-"]);
    expect(byPath("GET /x HTTP/1.1").slice(5, 7)).toEqual(["400", String(bodyOf(bad).length)]);
  }, 30_000);

  test("a held request's line stays under 400 characters after 100 attempts, failures named, runs collapsed", async () => {
    // 20 peers, never left out (max-fails=0), that read each GET whole and
    // close without answering: every peer broke on it, so the hold replays
    // it to all 20 after each backoff (50 ms doubling to 1 s): 4 s make ~160
    // attempts. (Refusing peers would be tried once each, then wait for the
    // hold prober, which never hears them.)
    const peers = await Promise.all(Array.from({ length: 20 }, () => RawPeer.start((_req, ctx) => ctx.destroy())));
    try {
      const flags = peers.flatMap((p) => ["--upstream", `127.0.0.1:${p.port},max-fails=0`]);
      const [kv, json] = await Promise.all([
        startHoldfast(target, [...flags, "--hold", "4s"]),
        startHoldfast(target, [...flags, "--hold", "4s", "--access-log-format", "json"]),
      ]);
      const [a, b] = await Promise.all([kv, json].map((hf) => curl([`${hf.url}/held`], 30_000)));
      expect([a.status, b.status]).toEqual([502, 502]);
      const line = await kv.waitLine(/"GET \/held" 502 /);
      const attempts = Number(/ attempts=(\d+) /.exec(line)![1]);
      expect(attempts).toBeGreaterThanOrEqual(100);
      expect(line.length).toBeLessThan(400);
      // Connection failures are named, never shown as a 502 no peer sent.
      expect(line).toContain(` upstream_status=reset×${attempts} `);
      // The first peer, the middle collapsed, the last two (a peer tried twice running says ×2).
      expect(line).toMatch(/ upstream=127\.0\.0\.1:\d+,…×\d+(,127\.0\.0\.1:\d+(×\d+)?){2} /);
      const j = JSON.parse((await lines(json, (l) => l.startsWith("{"), 1))[0]);
      expect(j.attempts).toBeGreaterThanOrEqual(100);
      expect(j.upstream_status).toBe(`reset×${j.attempts}`);
      // What the attempts add to a JSON line is as short as in kv, however many there were.
      expect(j.upstream.length + j.upstream_status.length).toBeLessThan(100);
    } finally {
      await Promise.all(peers.map((p) => p.stop()));
    }
  }, 40_000);

  test("events for peer down, hold start, peer up and hold end appear in order during an outage, with the request id", async () => {
    const upPort = await freePort();
    const up = await startUpstream(upPort);
    const hf: Holdfast = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--hold", "20s"]);
    up.kill("SIGKILL");
    await up.exited;
    const held = curl(["--data-binary", "payload", `${hf.url}/store`], 30_000);
    const start = await hf.waitStderrLine(/ hold-start /, 10_000);
    expect(start).toMatch(/ hold-start group=default reason=refused id=\w+$/);
    await startUpstream(upPort);
    expect((await held).status).toBe(200);
    const end = await hf.waitStderrLine(/ hold-end /, 10_000);
    const access = await hf.waitLine(/"POST \/store" 200 /);
    const id = / id=(\w+)/.exec(access)![1];
    const events = hf.stderrLines;
    const at = (re: RegExp) => events.findIndex((l) => re.test(l));
    const down = at(
      new RegExp(` peer-down group=default peer=127\\.0\\.0\\.1:${upPort} source=passive reason=refused fails=1 until=\\S+ id=${id}$`),
    );
    const hold = at(new RegExp(` hold-start group=default reason=refused id=${id}$`));
    const upAgain = at(new RegExp(` peer-up group=default peer=127\\.0\\.0\\.1:${upPort} source=passive reason="status 200" id=${id}$`));
    const over = at(new RegExp(` hold-end group=default ms=\\d+ requests=1 replayed=1 gave_up=0 client_gone=0 id=${id}$`));
    expect([down, hold, upAgain, over].every((i) => i >= 0)).toBe(true);
    expect(down < hold && hold < upAgain && upAgain < over).toBe(true);
    expect(end).toBe(events[over]);
    // The access line summarises the outage: refusals named, then the 200.
    expect(access).toMatch(new RegExp(`upstream=127\\.0\\.0\\.1:${upPort}×\\d+ upstream_status=refused(×\\d+)?,200 `));
  }, 40_000);

  test("parse errors are access-logged with their status and the line as received: 400, 431, a smuggling reject", async () => {
    const upPort = await freePort();
    await startUpstream(upPort);
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--max-header-size", "1k"]);
    const bad = await raw(hf.port, "GET /x HTTP/1.1 extra\r\nHost: a\r\n\r\n");
    expect(bad).toStartWith("HTTP/1.1 400 ");
    expect(await hf.waitLine(/"GET \/x HTTP\/1\.1 extra" 400 /)).toContain(`sent=${bodyOf(bad).length} `);
    const big = await raw(hf.port, `GET /big HTTP/1.1\r\nHost: a\r\nX-Big: ${"b".repeat(2048)}\r\n\r\n`);
    expect(big).toStartWith("HTTP/1.1 431 ");
    expect(await hf.waitLine(/"GET \/big HTTP\/1\.1" 431 /)).toContain("attempts=0");
    const smuggle = await raw(hf.port, "POST /s HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    expect(smuggle).toStartWith("HTTP/1.1 400 ");
    const [line] = await lines(hf, (l) => l.includes('"POST /s" 400 '), 1);
    expect(line).toContain(`sent=${bodyOf(smuggle).length} `);
  }, 30_000);
});
