import { describe, expect, test } from "bun:test";
import { parseCommandLine } from "../../src/config/parse.ts";
import { parseAdminListen, parseAdminPath } from "../../src/admin/flags.ts";
import { underPrefix } from "../../src/admin/admin-path.ts";
import { Buckets } from "../../src/admin/buckets.ts";
import { AccessTail } from "../../src/admin/access-tail.ts";
import { methodClass, RequestStats, routeLabel, statusClass } from "../../src/admin/stats.ts";
import { RequestRecord } from "../../src/proxy/request-record.ts";
import type { Route } from "../../src/proxy/routes.ts";

const config = (argv: string[]) => {
  const c = parseCommandLine(["--upstream", "127.0.0.1:3000", ...argv], "/spool");
  if (c.kind !== "serve") throw new Error("expected serve");
  return c.config;
};

describe("admin flags", () => {
  test("the admin endpoint is off by default", () => {
    expect(config([]).admin).toBeUndefined();
    expect(config(["--admin-listen", "off", "--admin-path", "off"]).admin).toBeUndefined();
  });

  test("--admin-listen takes HOST:PORT, [IPv6]:PORT, or a bare PORT on the loopback address", () => {
    expect(parseAdminListen("0.0.0.0:9901")).toEqual({ host: "0.0.0.0", port: 9901 });
    expect(parseAdminListen("[::1]:9901")).toEqual({ host: "::1", port: 9901 });
    expect(parseAdminListen("9901")).toEqual({ host: "127.0.0.1", port: 9901 });
    expect(parseAdminListen("127.0.0.1:0")).toEqual({ host: "127.0.0.1", port: 0 });
    expect(config(["--admin-listen", "9901"]).admin).toEqual({ listen: { host: "127.0.0.1", port: 9901 }, path: undefined });
    for (const bad of ["", "localhost", ":", "1.2.3.4:65536", "a b:1"]) expect(() => parseAdminListen(bad)).toThrow(/expected HOST:PORT/);
  });

  test("--admin-path takes a prefix of one or more segments, its trailing slash dropped", () => {
    expect(parseAdminPath("/_holdfast")).toBe("/_holdfast");
    expect(parseAdminPath("/ops/holdfast/")).toBe("/ops/holdfast");
    for (const bad of ["/", "", "_holdfast", "/a//b", "/a b", "/a?b"]) expect(() => parseAdminPath(bad)).toThrow(/expected a path prefix/);
    expect(() => config(["--admin-path", "x"])).toThrow(/^Cannot use --admin-path "x": expected a path prefix/);
  });

  test("a target is under the prefix when it is the prefix or continues with / or ?", () => {
    for (const t of ["/_holdfast", "/_holdfast/", "/_holdfast/metrics", "/_holdfast?x=1"]) expect(underPrefix(t, "/_holdfast")).toBe(true);
    for (const t of ["/_holdfastx", "/_holdfas", "/", "/x/_holdfast"]) expect(underPrefix(t, "/_holdfast")).toBe(false);
  });
});

describe("RequestStats", () => {
  const route = (text: string | undefined) => ({ text, group: { name: "g" } }) as unknown as Route;

  test("counts a request by route, method class and status class, and its attempts by peer and outcome", () => {
    const s = new RequestStats();
    const api = route("/api/=api,strip-prefix");
    const rec = (method: string, status: number, attempts: RequestRecord["attempts"], r?: Route) => {
      const x = new RequestRecord("127.0.0.1", method, "/");
      x.status = status;
      x.attempts = attempts;
      x.route = r;
      x.bodyBytes = 10;
      return x;
    };
    s.record(rec("GET", 200, [{ peer: "a:1", status: 200, ms: 3 }], api));
    s.record(rec("MKCOL", 201, [{ peer: "a:1", status: 201, ms: 3 }], api));
    s.record(
      rec(
        "POST",
        502,
        [{ peer: "a:1", status: 502, ms: 1, failure: "refused" }, { peer: "b:1", status: 502, ms: 2, failure: "reset" }],
        api,
      ),
    );
    s.record(rec("GET", 404, []));
    s.record(rec("GET", 200, [], undefined), "admin");
    s.recordParseError(431);
    expect(s.requests).toBe(6);
    expect([...s.byStatus]).toEqual([0, 3, 0, 2, 1]);
    expect(s.bodyBytes).toBe(50);
    expect(s.attempts).toBe(4);
    expect(s.failedAttempts).toBe(2);
    expect(s.heldRequests).toBe(1);
    expect(s.parseErrors).toBe(1);
    const routes = Object.fromEntries([...s.routes()].map((r) => [r.label, r.counts]));
    expect(Object.keys(routes)).toEqual(["/api/", "none", "admin"]);
    expect(routes["/api/"][methodClass("GET") * 5 + 1]).toBe(1);
    expect(routes["/api/"][methodClass("MKCOL") * 5 + 1]).toBe(1);
    expect(routes["/api/"][methodClass("POST") * 5 + 4]).toBe(1);
    expect(routes.none[methodClass("GET") * 5 + 3]).toBe(1);
    expect(routes.none[methodClass("other") * 5 + 3]).toBe(1);
    expect(s.outcomesOf("a:1")).toEqual({ "2xx": 2, refused: 1 });
    expect(s.outcomesOf("b:1")).toEqual({ reset: 1 });
    expect(s.held.count).toBe(3);
  });

  test("route labels are the route's [HOST]PATH as given, default without --route", () => {
    expect(routeLabel(route(undefined))).toBe("default");
    expect(routeLabel(route("/api/=api,strip-prefix"))).toBe("/api/");
    expect(routeLabel(route("=/healthz=api"))).toBe("=/healthz");
    expect(routeLabel(route("photos.example.com/=photos"))).toBe("photos.example.com/");
  });

  test("status and method classes", () => {
    expect([100, 200, 308, 499, 599, 600, 0].map(statusClass)).toEqual([0, 1, 2, 3, 4, -1, -1]);
    expect(["GET", "OPTIONS", "get", "PROPFIND"].map(methodClass)).toEqual([0, 6, 7, 7]);
  });
});

describe("Buckets", () => {
  test("observations land in the first bucket whose bound is at least the value; cumulative counts end at the total", () => {
    const b = new Buckets([0.1, 1, 10]);
    for (const v of [0, 0.1, 0.5, 1, 11, 100]) b.observe(v);
    expect([...b.counts]).toEqual([2, 2, 0, 2]);
    expect(b.cumulative()).toEqual([2, 4, 4, 6]);
    expect(b.count).toBe(6);
    expect(b.sum).toBeCloseTo(112.6);
  });
});

describe("AccessTail", () => {
  test("keeps the last lines, oldest first, formatted when asked", () => {
    const t = new AccessTail(3, (r, now) => `${r.target} ${now}`);
    for (let i = 1; i <= 5; i++) t.push(new RequestRecord("c", "GET", `/${i}`), i);
    expect(t.lines()).toEqual(["/3 3", "/4 4", "/5 5"]);
    expect(new AccessTail(3, () => "x").lines()).toEqual([]);
  });
});
