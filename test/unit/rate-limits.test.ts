import { describe, expect, test } from "bun:test";
import { admit, freshBucket } from "../../src/limits/bucket.ts";
import { parseLimitConn, parseLimitReq, parseRate } from "../../src/limits/flags.ts";
import { RateLimiter } from "../../src/limits/limit-req.ts";
import { parseRoute } from "../../src/config/route-flags.ts";
import { ConnLimiter } from "../../src/limits/limit-conn.ts";

// 10r/s and burst=5 in nginx's thousandths.
const RATE = 10_000;
const BURST = 5_000;

describe("admit()", () => {
  test("requests at once beyond a fresh key fill the bucket by one each, delayed by excess / rate, until the burst", () => {
    const b = freshBucket(0);
    // The fresh key's first request passed without touching the bucket; five more fit the burst.
    expect([1, 2, 3, 4, 5].map(() => admit(b, 0, RATE, BURST))).toEqual([100, 200, 300, 400, 500]);
    expect(b.excess).toBe(5000);
    // The seventh is refused until one request has leaked: 100 ms at 10r/s.
    expect(admit(b, 0, RATE, BURST)).toBe(-100);
    expect(b.excess).toBe(5000);
    expect(admit(b, 40, RATE, BURST)).toBe(-60);
  });

  test("the bucket leaks at the rate: after 100 ms one more request fits, after 1 s it is empty again", () => {
    const b = { excess: 5000, lastMs: 0 };
    expect(admit(b, 100, RATE, BURST)).toBe(500);
    expect(b).toEqual({ excess: 5000, lastMs: 100 });
    // Idle long enough, the request itself leaks away too: it goes at once and leaves nothing.
    expect(admit(b, 5000, RATE, BURST)).toBe(0);
    expect(b.excess).toBe(0);
  });

  test("burst=0 refuses the second request within the rate's interval and passes it after", () => {
    const b = freshBucket(0);
    expect(admit(b, 50, RATE, 0)).toBe(-50);
    expect(admit(b, 100, RATE, 0)).toBe(0);
    // 600r/m: one every 100 ms as well.
    expect(admit(b, 150, 10_000, 0)).toBe(-50);
  });

  test("a clock that goes back leaks nothing, and the wait is never under 1 ms", () => {
    const b = { excess: 1000, lastMs: 1000 };
    expect(admit(b, 500, RATE, 1000)).toBe(-100);
    expect(admit({ excess: 0.05, lastMs: 0 }, 0, RATE, 1000)).toBe(-1);
  });
});

describe("RateLimiter", () => {
  const spec = (s: string) => parseLimitReq(s);

  test("nodelay passes burst + 1 at once, refuses the rest with Retry-After in whole seconds", () => {
    const z = new RateLimiter(spec("10r/s,burst=5,nodelay"));
    const verdicts = Array.from({ length: 10 }, () => z.check("a", 1000));
    expect(verdicts.filter((v) => v.pass).length).toBe(6);
    expect(verdicts.every((v) => !v.pass || v.delayMs === 0)).toBe(true);
    expect(verdicts[6]).toEqual({ pass: false, retryAfterS: 1 });
    // Another key has its own bucket.
    expect(z.check("b", 1000)).toEqual({ pass: true, delayMs: 0 });
  });

  test("without nodelay the burst is delayed so the requests leave at the rate", () => {
    const z = new RateLimiter(spec("10r/s,burst=5"));
    const delays = Array.from({ length: 6 }, () => z.check("a", 0)).map((v) => v.pass ? v.delayMs : -1);
    expect(delays).toEqual([0, 100, 200, 300, 400, 500]);
    expect(z.check("a", 0).pass).toBe(false);
  });

  test("Retry-After rounds up to the second a slot frees: 1r/m refuses for 60 s", () => {
    const z = new RateLimiter(spec("1r/m"));
    z.check("a", 0);
    expect(z.check("a", 0)).toEqual({ pass: false, retryAfterS: 60 });
    expect(z.check("a", 59_001)).toEqual({ pass: false, retryAfterS: 1 });
    expect(z.check("a", 60_000).pass).toBe(true);
  });

  test("the table is capped: the least recently used key is forgotten first", () => {
    const z = new RateLimiter(spec("1r/m"), 3);
    for (const k of ["a", "b", "c"]) z.check(k, 0);
    z.check("a", 0); // refused: a refusal does not count as a use
    z.check("b", 60_000); // admitted: b is now the most recent
    z.check("d", 60_000); // a new key: a goes
    expect(z.size).toBe(3);
    expect(z.check("a", 60_000)).toEqual({ pass: true, delayMs: 0 });
    // c was the least recently used after that, and is gone; b is still remembered.
    expect(z.check("b", 60_000).pass).toBe(false);
  });
});

describe("parseLimitReq() and parseLimitConn()", () => {
  test("read nginx's rates, options and keys", () => {
    expect(parseRate("10r/s")).toBe(10);
    expect(parseRate("600r/m")).toBe(10);
    expect(parseRate("2.5")).toBe(2.5);
    expect(parseLimitReq("10,burst=5,nodelay,key=header:X-Api-Key")).toEqual({
      ratePerS: 10,
      burst: 5,
      nodelay: true,
      key: { kind: "header", name: "x-api-key" },
    });
    expect(parseLimitConn("2")).toEqual({ max: 2, status: 503 });
    expect(parseLimitConn("2,key=ip,status=429")).toEqual({ max: 2, status: 429 });
  });

  test("refuse other forms, naming the part and the form", () => {
    expect(() => parseLimitReq("abc")).toThrow(/rate "abc" must be .*expected RATE\[,burst=N\]/);
    expect(() => parseLimitReq("0r/s")).toThrow(/rate "0r\/s"/);
    expect(() => parseLimitReq("10r/h")).toThrow(/rate "10r\/h"/);
    expect(() => parseLimitReq("10,burst=x")).toThrow(/burst "x" must be a whole number/);
    expect(() => parseLimitReq("10,key=cookie")).toThrow(/key "cookie" must be ip or header:NAME/);
    expect(() => parseLimitConn("0")).toThrow(/"0" must be a whole number of connections, at least 1: expected N/);
    expect(() => parseLimitConn("2,status=500")).toThrow(/unknown option "status=500"/);
  });

  test("a route's limit-req options make its own zone; limit-req=off turns the global one off", () => {
    expect(parseRoute("/api/=api,limit-req=5r/s,limit-req-burst=2,limit-req-nodelay,limit-req-key=header:X-Key").options.limitReq)
      .toEqual({ ratePerS: 5, burst: 2, nodelay: true, key: { kind: "header", name: "x-key" } });
    expect(parseRoute("/=default,limit-req=off").options.limitReq).toBeNull();
    expect(parseRoute("/=default").options.limitReq).toBeUndefined();
    expect(() => parseRoute("/=default,limit-req-nodelay")).toThrow(/need limit-req=RATE/);
  });
});

describe("ConnLimiter", () => {
  test("counts open connections per address, refuses past the limit, forgets an address with none open", () => {
    const c = new ConnLimiter({ max: 2, status: 503 }, () => {});
    expect([c.admit("a"), c.admit("a"), c.admit("a"), c.admit("b")]).toEqual([true, true, false, true]);
    c.release("a");
    expect(c.admit("a")).toBe(true);
    c.release("a");
    c.release("a");
    c.release("b");
    expect(c.size).toBe(0);
  });
});
