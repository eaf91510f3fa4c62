import { describe, expect, test } from "bun:test";
import type { PeerView, SelectContext, SelectionPolicy } from "../../src/upstream/types.ts";
import { crc32 } from "../../src/upstream/policies/crc32.ts";
import { buildRing, cookieValue, queryValue } from "../../src/upstream/policies/consistent-hash.ts";
import { ipHashKey } from "../../src/upstream/policies/ip-hash.ts";
import {
  createPolicy,
  formatPolicy,
  LeastConnPolicy,
  parsePolicy,
  POLICY_FORM,
  RandomTwoPolicy,
  RoundRobinPolicy,
} from "../../src/upstream/policies/index.ts";

const peer = (key: string, weight = 1, inflight = 0): PeerView => ({ key, weight, inflight });
const ctx = (target = "/", headers: Record<string, string> = {}, clientAddress = "192.0.2.1"): SelectContext => ({
  clientAddress,
  target,
  headers: new Headers(headers),
});
const four = () => [peer("10.0.0.1:80"), peer("10.0.0.2:80"), peer("10.0.0.3:80"), peer("10.0.0.4:80")];
/** Picks `n` times with the same all/candidates, returning the chosen keys. */
const picks = (p: SelectionPolicy, all: PeerView[], candidates: PeerView[], n: number, c = ctx()) =>
  Array.from({ length: n }, () => p.select(all, candidates, c).key);
const counts = (keys: string[]) => keys.reduce<Record<string, number>>((m, k) => ({ ...m, [k]: (m[k] ?? 0) + 1 }), {});
/** Where each of 1000 distinct URIs goes under a hash:uri policy. */
const placeKeys = (p: SelectionPolicy, all: PeerView[], candidates = all) =>
  Array.from({ length: 1000 }, (_, i) => p.select(all, candidates, ctx(`/item/${i}?v=${i * 7}`)).key);

describe("round-robin", () => {
  test("round-robin gives 3:2:1 weights exactly 300/200/100 of 600 picks", () => {
    const all = [peer("a", 3), peer("b", 2), peer("c", 1)];
    expect(counts(picks(new RoundRobinPolicy(), all, all, 600))).toEqual({ a: 300, b: 200, c: 100 });
  });
  test("round-robin never sends the heaviest peer more than 2 picks in a row, in nginx's a b a c b a order", () => {
    const all = [peer("a", 3), peer("b", 2), peer("c", 1)];
    const seq = picks(new RoundRobinPolicy(), all, all, 600);
    expect(seq.slice(0, 6)).toEqual(["a", "b", "a", "c", "b", "a"]);
    expect(seq.join("")).not.toContain("aaa");
  });
  test("round-robin rotates over the candidate subset only, in weight proportion", () => {
    const all = [peer("a", 1), peer("b", 2), peer("c", 1), peer("d", 1)];
    const seq = picks(new RoundRobinPolicy(), all, [all[1], all[3]], 300);
    expect(counts(seq)).toEqual({ b: 200, d: 100 });
  });
  test("round-robin breaks ties in all order even when candidates come in another order", () => {
    const all = [peer("a"), peer("b"), peer("c")];
    expect(picks(new RoundRobinPolicy(), all, [all[2], all[1], all[0]], 3)).toEqual(["a", "b", "c"]);
  });
});

describe("least-conn", () => {
  test("least-conn prefers the peer with fewer in-flight requests", () => {
    const all = [peer("a", 1, 5), peer("b", 1, 2), peer("c", 1, 9)];
    expect(new LeastConnPolicy().select(all, all, ctx()).key).toBe("b");
  });
  test("least-conn weighs in-flight requests by weight", () => {
    // 4/3 < 2/1: the heavier peer is less loaded for its capacity.
    const all = [peer("a", 1, 2), peer("b", 3, 4)];
    expect(new LeastConnPolicy().select(all, all, ctx()).key).toBe("b");
  });
  test("least-conn rotates ties by weighted round-robin", () => {
    const all = [peer("a", 2), peer("b", 1), peer("c", 1, 1)];
    expect(counts(picks(new LeastConnPolicy(), all, all, 30))).toEqual({ a: 20, b: 10 });
  });
});

describe("hash:uri", () => {
  test("crc32 matches the standard check value", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
  });
  test("the ring has 160 points per unit of weight", () => {
    expect(buildRing([peer("a:1", 2), peer("b:1", 1)]).hashes.length).toBe(480);
  });
  test("the ring places keys where nginx 1.22 `hash $arg_k consistent` does for the same server names", () => {
    // Recorded from a live nginx with these four servers (the second weight=2), keys key0..key7.
    const all = [peer("127.0.0.1:18081"), peer("127.0.0.1:18082", 2), peer("127.0.0.1:18083"), peer("127.0.0.1:18084")];
    const p = createPolicy(parsePolicy("hash:query:k"));
    const got = Array.from({ length: 8 }, (_, i) => p.select(all, all, ctx(`/?k=key${i}`)).key.slice(-1));
    expect(got.join("")).toBe("31332111");
  });
  test("hash:uri sends the same key to the same peer on every repeat", () => {
    const p = createPolicy(parsePolicy("hash:uri"));
    const all = four();
    for (const target of ["/a", "/b?x=1", "/c/d"]) expect(new Set(picks(p, all, all, 50, ctx(target))).size).toBe(1);
  });
  test("hash:uri spreads 1000 keys over 4 peers roughly evenly", () => {
    const spread = counts(placeKeys(createPolicy(parsePolicy("hash:uri")), four()));
    for (const n of Object.values(spread)) expect(n).toBeWithin(150, 351);
  });
  test("removing one of 4 peers from all moves only that peer's keys", () => {
    const p = createPolicy(parsePolicy("hash:uri"));
    const all = four();
    const before = placeKeys(p, all);
    const gone = all[2].key;
    const after = placeKeys(p, all.filter((x) => x.key !== gone));
    const moved = before.filter((k, i) => k !== after[i]);
    expect(moved.every((k) => k === gone)).toBe(true);
    expect(moved.length).toBe(before.filter((k) => k === gone).length);
    expect(moved.length).toBeWithin(150, 351);
  });
  test("a peer missing from candidates moves only its keys and gets them back when it returns", () => {
    const p = createPolicy(parsePolicy("hash:uri"));
    const all = four();
    const before = placeKeys(p, all);
    const after = placeKeys(p, all, [all[0], all[1], all[3]]);
    const moved = before.filter((k, i) => k !== after[i]);
    expect(moved.length).toBe(before.filter((k) => k === all[2].key).length);
    expect(moved.every((k) => k === all[2].key)).toBe(true);
    expect(placeKeys(p, all)).toEqual(before);
  });
  test("a heavier peer owns proportionally more keys", () => {
    const all = [peer("10.0.0.1:80", 3), peer("10.0.0.2:80", 1)];
    expect(counts(placeKeys(createPolicy(parsePolicy("hash:uri")), all))["10.0.0.1:80"]).toBeWithin(650, 851);
  });
});

describe("hash keys", () => {
  test("hash:header keys on the named header, case-insensitively, and all requests without it go together", () => {
    const p = createPolicy(parsePolicy("hash:header:X-Tenant"));
    const all = four();
    const byTenant = (t: string, target: string) => p.select(all, all, ctx(target, { "x-tenant": t })).key;
    expect(new Set(["/a", "/b", "/c", "/d"].map((u) => byTenant("acme", u))).size).toBe(1);
    expect(new Set(Array.from({ length: 40 }, (_, i) => byTenant(`t${i}`, "/"))).size).toBeGreaterThan(1);
    expect(new Set(["/a", "/b", "/c"].map((u) => p.select(all, all, ctx(u)).key)).size).toBe(1);
  });
  test("hash:cookie keys on that cookie's value, and cookieValue reads the first match or empty", () => {
    expect(cookieValue("a=1; sid=xyz; b=2", "sid")).toBe("xyz");
    expect(cookieValue("sidx=1;sid=2; sid=3", "sid")).toBe("2");
    expect(cookieValue("a=1", "sid")).toBe("");
    expect(cookieValue(null, "sid")).toBe("");
    const p = createPolicy(parsePolicy("hash:cookie:sid"));
    const all = four();
    const a = p.select(all, all, ctx("/x", { cookie: "theme=dark; sid=u42" })).key;
    expect(p.select(all, all, ctx("/y", { cookie: "sid=u42; other=1" })).key).toBe(a);
  });
  test("hash:query keys on that decoded parameter, and queryValue is empty without one", () => {
    expect(queryValue("/p?a=1&user=b%20c", "user")).toBe("b c");
    expect(queryValue("/p?a=1", "user")).toBe("");
    expect(queryValue("/p", "user")).toBe("");
    const p = createPolicy(parsePolicy("hash:query:user"));
    const all = four();
    const a = p.select(all, all, ctx("/one?user=7&x=1")).key;
    expect(p.select(all, all, ctx("/two?x=2&user=7")).key).toBe(a);
  });
});

describe("ip-hash", () => {
  test("ip-hash keys an IPv4 client by its /24 and sends the whole /24 to one peer", () => {
    expect(ipHashKey("203.0.113.77")).toBe("203.0.113");
    const p = createPolicy(parsePolicy("ip-hash"));
    const all = four();
    const at = (ip: string) => p.select(all, all, ctx("/", {}, ip)).key;
    expect(new Set(["203.0.113.1", "203.0.113.77", "203.0.113.254"].map(at)).size).toBe(1);
    expect(new Set(Array.from({ length: 40 }, (_, i) => at(`198.51.${i}.9`))).size).toBeGreaterThan(1);
  });
  test("ip-hash treats an IPv4-mapped IPv6 address as the IPv4 one", () => {
    expect(ipHashKey("::ffff:203.0.113.77")).toBe("203.0.113");
    expect(ipHashKey("::ffff:cb00:714d")).toBe("203.0.113");
    expect(ipHashKey("[::FFFF:203.0.113.5]")).toBe("203.0.113");
    const p = createPolicy(parsePolicy("ip-hash"));
    const all = four();
    expect(p.select(all, all, ctx("/", {}, "::ffff:203.0.113.9")).key).toBe(p.select(all, all, ctx("/", {}, "203.0.113.200")).key);
  });
  test("ip-hash keys an IPv6 client by its full address in one canonical form", () => {
    expect(ipHashKey("2001:db8::1")).toBe("2001:db8:0:0:0:0:0:1");
    expect(ipHashKey("2001:0DB8:0:0:0:0:0:1")).toBe("2001:db8:0:0:0:0:0:1");
    expect(ipHashKey("2001:db8::2")).not.toBe(ipHashKey("2001:db8::1"));
    expect(ipHashKey("fe80::1%eth0")).toBe("fe80:0:0:0:0:0:0:1");
    expect(ipHashKey("not-an-ip")).toBe("not-an-ip");
  });
  test("ip-hash moves only the clients of a peer removed from all", () => {
    const p = createPolicy(parsePolicy("ip-hash"));
    const all = four();
    const place = (peers: PeerView[]) =>
      Array.from({ length: 1000 }, (_, i) => p.select(peers, peers, ctx("/", {}, `10.${i >> 8}.${i & 255}.1`)).key);
    const before = place(all);
    const after = place([all[0], all[2], all[3]]);
    expect(before.filter((k, i) => k !== after[i]).every((k) => k === all[1].key)).toBe(true);
  });
});

describe("random-two", () => {
  test("random-two with an injected random picks the less loaded of the two drawn", () => {
    const all = [peer("a", 1, 9), peer("b", 1, 3), peer("c", 1, 0), peer("d", 1, 5)];
    // Draws index 0 (a), then 0 of the other three (b): c, the least loaded overall, is not drawn.
    expect(new RandomTwoPolicy(() => 0).select(all, all, ctx()).key).toBe("b");
    // 0.99 draws d, then 0.99 of [a, b, c] is c.
    expect(new RandomTwoPolicy(() => 0.99).select(all, all, ctx()).key).toBe("c");
  });
  test("random-two weighs in-flight requests by weight and keeps the first drawn on a tie", () => {
    const all = [peer("a", 1, 2), peer("b", 4, 4)];
    expect(new RandomTwoPolicy(() => 0).select(all, all, ctx()).key).toBe("b");
    const idle = [peer("a"), peer("b")];
    expect(new RandomTwoPolicy(() => 0.9).select(idle, idle, ctx()).key).toBe("b");
  });
  test("random-two returns the only candidate without drawing", () => {
    const all = [peer("a"), peer("b")];
    expect(
      new RandomTwoPolicy(() => {
        throw new Error("drew");
      }).select(all, [all[1]], ctx()).key,
    ).toBe("b");
  });
});

describe("parsePolicy", () => {
  test("parsePolicy reads every accepted form and formatPolicy writes it back", () => {
    const forms = [
      "round-robin",
      "least-conn",
      "ip-hash",
      "random-two",
      "hash:uri",
      "hash:header:X-Tenant",
      "hash:cookie:sid",
      "hash:query:user",
    ];
    for (const f of forms) expect(formatPolicy(parsePolicy(f))).toBe(f);
    expect(parsePolicy("hash:cookie:sid")).toEqual({ kind: "hash", key: { from: "cookie", name: "sid" } });
  });
  test("parsePolicy rejects bad input with the accepted forms in the message", () => {
    const bad = [
      "",
      "roundrobin",
      "Round-Robin",
      " least-conn",
      "hash",
      "hash:",
      "hash:url",
      "hash:header:",
      "hash:header:bad name",
      "hash:cookie:a;b",
      "hash:query:a b",
      "ip_hash",
    ];
    for (const b of bad) expect(() => parsePolicy(b)).toThrow(POLICY_FORM);
  });
  test("createPolicy gives each group a fresh instance", () => {
    const spec = parsePolicy("round-robin");
    expect(createPolicy(spec)).not.toBe(createPolicy(spec));
    const all = [peer("a"), peer("b")];
    const [p, q] = [createPolicy(spec), createPolicy(spec)];
    expect([p.select(all, all, ctx()).key, q.select(all, all, ctx()).key]).toEqual(["a", "a"]);
  });
});
