import { describe, expect, test } from "bun:test";
import { parseCommandLine } from "../../src/config/parse.ts";
import { parseHealthCheck, parseNextUpstream, parsePeerSpec } from "../../src/config/upstream-flags.ts";
import { Peer } from "../../src/upstream/peer.ts";

describe("parsePeerSpec()", () => {
  test("reads a group, an address and nginx-style options", () => {
    const p = parsePeerSpec("api=http://10.0.0.2:8080,weight=3,max-fails=2,fail-timeout=30s,backup");
    expect(p).toMatchObject({ group: "api", weight: 3, maxFails: 2, failTimeoutMs: 30_000, backup: true, down: false });
    expect(p.address).toMatchObject({ host: "10.0.0.2", port: 8080, key: "10.0.0.2:8080" });
  });
  test("defaults to group default, weight 1, max-fails 1, fail-timeout 10s", () => {
    expect(parsePeerSpec("127.0.0.1:3000")).toMatchObject({ group: "default", weight: 1, maxFails: 1, failTimeoutMs: 10_000 });
  });
  test("reads unix sockets", () => {
    expect(parsePeerSpec("unix:/run/app.sock,down")).toMatchObject({
      down: true,
      address: { socketPath: "/run/app.sock", key: "unix:/run/app.sock" },
    });
  });
  test("rejects unknown options and bad numbers with the accepted form", () => {
    expect(() => parsePeerSpec("127.0.0.1:1,heavy")).toThrow(/unknown option "heavy"; expected \[GROUP=\]ADDR/);
    expect(() => parsePeerSpec("127.0.0.1:1,weight=0")).toThrow(/weight must be a whole number of at least 1/);
    expect(() => parsePeerSpec("unix:relative.sock")).toThrow(/unix:\/path.sock/);
  });
});

test("parseHealthCheck() reads options and rejects a path without /", () => {
  expect(parseHealthCheck("api=/healthz,interval=1s,fails=2,passes=3,status=204")).toMatchObject({
    group: "api",
    path: "/healthz",
    intervalMs: 1000,
    timeoutMs: 2000,
    fails: 2,
    passes: 3,
    statusMin: 204,
    statusMax: 204,
  });
  expect(() => parseHealthCheck("healthz")).toThrow(/starting with \//);
});

test("parseNextUpstream() reads nginx's conditions and rejects others", () => {
  const n = parseNextUpstream("error,http_502,non_idempotent");
  expect(n.error).toBe(true);
  expect(n.timeout).toBe(false);
  expect([...n.statuses]).toEqual([502]);
  expect(n.nonIdempotent).toBe(true);
  expect(() => parseNextUpstream("error,http_418")).toThrow(/unknown condition "http_418"/);
});

test("--balance and --health-check must name a group that has peers", () => {
  expect(() => parseCommandLine(["--upstream", "a:1", "--balance", "api=least-conn"], "/s")).toThrow(
    /--balance "api=least-conn": no --upstream is in group "api"/,
  );
  expect(() => parseCommandLine(["--upstream", "a:1", "--balance", "fastest"], "/s")).toThrow(/--balance "fastest": expected round-robin/);
  const c = parseCommandLine(["--upstream", "a:1", "--upstream", "api=b:2", "--balance", "api=hash:uri"], "/s");
  if (c.kind !== "serve") throw new Error("expected serve");
  expect(c.config.groups.map((g) => [g.name, g.policy.kind])).toEqual([["default", "round-robin"], ["api", "hash"]]);
});

describe("Peer passive health (max_fails, fail_timeout)", () => {
  const spec = parsePeerSpec("127.0.0.1:1,max-fails=2,fail-timeout=10s");
  test("is left out after max-fails failures within fail-timeout, then offered exactly one trial request", () => {
    const p = new Peer(spec);
    p.report(false, 1000);
    expect(p.available(1001)).toBe(true);
    p.report(false, 2000);
    expect(p.available(2001)).toBe(false);
    expect(p.available(12_000)).toBe(true);
    p.start();
    expect(p.available(12_001)).toBe(false);
    p.report(true, 12_010);
    p.end();
    expect(p.available(12_011)).toBe(true);
  });
  test("a failed trial sends it out again at once", () => {
    const p = new Peer(spec);
    p.report(false, 0);
    p.report(false, 1);
    p.start();
    p.report(false, 10_001);
    p.end();
    expect(p.available(10_002)).toBe(false);
    expect(p.available(20_001)).toBe(true);
  });
  test("a trial abandoned by its client does not keep the peer out", () => {
    const p = new Peer(spec);
    p.report(false, 0);
    p.report(false, 1);
    p.start();
    expect(p.available(10_002)).toBe(false);
    p.end();
    expect(p.available(10_003)).toBe(true);
  });
  test("failures older than fail-timeout do not add up", () => {
    const p = new Peer(spec);
    p.report(false, 0);
    p.report(false, 10_001);
    expect(p.available(10_002)).toBe(true);
  });
});
