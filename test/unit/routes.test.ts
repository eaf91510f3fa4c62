import { describe, expect, test } from "bun:test";
import { parseCommandLine } from "../../src/config/parse.ts";
import { parseRoute } from "../../src/config/route-flags.ts";
import { parseRequestHead } from "../../src/http1/parse-request.ts";
import { RouteTable } from "../../src/proxy/routes.ts";
import { expandHeaders } from "../../src/proxy/set-headers.ts";
import { hostOf, originForm, pathOf, rewriteTarget } from "../../src/proxy/target.ts";
import { Group } from "../../src/upstream/group.ts";

const enc = new TextEncoder();

/** A route table from `--route` values over groups "default", "a" and "b". */
function table(...routes: string[]) {
  const argv = ["--upstream", "127.0.0.1:1", "--upstream", "a=127.0.0.1:2", "--upstream", "b=127.0.0.1:3"];
  const cmd = parseCommandLine([...argv, ...routes.flatMap((r) => ["--route", r])], "/spool");
  if (cmd.kind !== "serve") throw new Error("expected serve");
  const groups = new Map(cmd.config.groups.map((g) => [g.name, new Group(g)]));
  const t = new RouteTable(cmd.config, groups, groups.get("default")!);
  return Object.assign((path: string, host?: string) => t.match(host, path)?.text, { table: t });
}

describe("parseRoute()", () => {
  test("reads host, kind, path, group and options", () => {
    expect(parseRoute("/api/=a")).toMatchObject({ host: undefined, kind: "prefix", path: "/api/", group: "a", options: {} });
    expect(parseRoute("=/healthz=b")).toMatchObject({ kind: "exact", path: "/healthz", group: "b" });
    expect(parseRoute("App.Example.COM/users/:id=a")).toMatchObject({ host: "app.example.com", kind: "pattern", path: "/users/:id" });
    expect(parseRoute("*.example.com=/x=a")).toMatchObject({ host: "*.example.com", kind: "exact", path: "/x" });
    expect(parseRoute("/up/=a,max-body=10m,hold=2m,read-timeout=5s,strip-prefix").options).toEqual({
      maxBodyBytes: 10 * 1024 * 1024,
      holdMs: 120_000,
      readTimeoutMs: 5_000,
      replacePrefix: "/",
    });
    expect(parseRoute("/old/=a,rewrite=/new/").options.replacePrefix).toBe("/new/");
    expect(parseRoute("/=a,set-header=X-A:$host $scheme,set-header=X-B:,hide-header=X-Powered-By,websocket=off").options).toEqual({
      setHeaders: [{ name: "X-A", value: "$host $scheme" }, { name: "X-B", value: "" }],
      hideHeaders: ["x-powered-by"],
      websocket: false,
    });
  });

  test("names the part that is wrong", () => {
    expect(() => parseRoute("/api/")).toThrow(/expected \[HOST\]PATH=GROUP/);
    expect(() => parseRoute("api=a")).toThrow(/"api" has no path/);
    expect(() => parseRoute("bad_host!/=a")).toThrow(/host "bad_host!" must be a name/);
    expect(() => parseRoute("/a b/=a")).toThrow(/path "\/a b\/" must start with \//);
    expect(() => parseRoute("/x/=a,hold=soon")).toThrow(/hold must be a duration/);
    expect(() => parseRoute("/x/=a,strip-prefix,rewrite=/y/")).toThrow(/strip-prefix or rewrite once/);
    expect(() => parseRoute("/x/=a,rewrite=y")).toThrow(/rewrite must be a path/);
    expect(() => parseRoute("/x/=a,set-header=X-A")).toThrow(/set-header must be NAME:VALUE/);
    expect(() => parseRoute("/x/=a,set-header=X-A:$uri")).toThrow(/unknown variable \$uri/);
    expect(() => parseRoute("/x/=a,websocket=maybe")).toThrow(/websocket must be on or off/);
  });
});

describe("RouteTable", () => {
  test("exact, then the longest prefix, then patterns in the order given", () => {
    const m = table("/=default", "/api/=a", "/api/v2/=b", "=/api=b", "/p/:id=a", "/p/*=b");
    expect(m("/api")).toBe("=/api=b");
    expect(m("/api/x")).toBe("/api/=a");
    expect(m("/api/v2/x")).toBe("/api/v2/=b");
    expect(m("/apix")).toBe("/=default");
    // The catch-all prefix beats every pattern, as the issue orders them.
    expect(m("/p/7")).toBe("/=default");
    const p = table("/p/:id=a", "/p/*=b", "/q/=a");
    expect(p("/p/7")).toBe("/p/:id=a");
    expect(p("/p/7/8")).toBe("/p/*=b");
    // A prefix /q/ is not /q (Hono's /q/* would match it).
    expect(p("/q")).toBeUndefined();
    expect(p("/nothing")).toBeUndefined();
  });

  test("virtual hosts: exact name, then the longest wildcard, then routes without a host; no fallback from a host's own routes", () => {
    const m = table("a.test/=a", "*.test/=b", "*.eu.test/=a", "=/only=default", "/=default");
    expect(m("/", "a.test")).toBe("a.test/=a");
    expect(m("/", "x.test")).toBe("*.test/=b");
    expect(m("/", "x.eu.test")).toBe("*.eu.test/=a");
    expect(m("/", "test")).toBe("/=default");
    expect(m("/", undefined)).toBe("/=default");
    const n = table("a.test=/only=a", "/=default");
    expect(n("/other", "a.test")).toBeUndefined();
  });

  test("without --route, one default route for everything", () => {
    const { table: t } = table();
    expect(t.single?.group.name).toBe("default");
    expect(t.match("any.test", "/anything")).toBe(t.single);
  });
});

describe("targets", () => {
  test("origin form, path, rewrite and host", () => {
    expect(originForm("/a/b?c")).toBe("/a/b?c");
    expect(originForm("http://h:8/a?b")).toBe("/a?b");
    expect(originForm("http://h?q")).toBe("/?q");
    expect(originForm("http://h")).toBe("/");
    expect(pathOf("/a/b?c=d")).toBe("/a/b");
    const strip = { path: "/api/", replacePrefix: "/" } as Parameters<typeof rewriteTarget>[0];
    expect(rewriteTarget(strip, "/api/users?page=2")).toBe("/users?page=2");
    expect(rewriteTarget({ ...strip, path: "/api" }, "/api/users")).toBe("/users");
    expect(rewriteTarget({ ...strip, path: "/api" }, "/api")).toBe("/");
    expect(rewriteTarget({ ...strip, replacePrefix: "/v2/" }, "/api/x")).toBe("/v2/x");
    const head = (s: string) => parseRequestHead(enc.encode(s), 65536)!;
    expect(hostOf(head("GET / HTTP/1.1\r\nHost: Photos.Example.com:8443\r\n\r\n"))).toBe("photos.example.com");
    expect(hostOf(head("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"))).toBe("[::1]");
    expect(hostOf(head("GET http://Abs.Test:81/x HTTP/1.1\r\nHost: other\r\n\r\n"))).toBe("abs.test");
    expect(hostOf(head("GET / HTTP/1.0\r\n\r\n"))).toBeUndefined();
  });
});

describe("expandHeaders()", () => {
  test("expands nginx's variables and leaves out fields that come out empty", () => {
    const vars = { remoteAddr: "10.0.0.7", host: "a.test", scheme: "http", requestId: "abc01" };
    const list = [
      { name: "X-A", value: "$remote_addr/$host/$scheme/$request_id", vars: true },
      { name: "X-B", value: "plain $", vars: false },
      { name: "X-C", value: "", vars: false },
    ];
    expect(expandHeaders(list, vars)).toEqual([["X-A", "10.0.0.7/a.test/http/abc01"], ["X-B", "plain $"]]);
  });
});
