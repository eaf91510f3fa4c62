// Routes (issue 7): --route matching (exact, longest prefix, patterns, virtual
// hosts), 404 without a match, strip-prefix and rewrite, per-route limits.
import { afterAll, describe, expect, test } from "bun:test";
import { curl, freePort, sleep, startHoldfast, startUpstream, stopAll, TARGETS } from "./harness.ts";

afterAll(stopAll);

/** The peer that answered (its port) and the target it received. */
interface Seen {
  status: number;
  port?: number;
  url?: string;
}

async function get(url: string, host?: string): Promise<Seen> {
  const r = await curl([...(host ? ["-H", `Host: ${host}`] : []), url], 10_000);
  const j = r.json as { port?: number; url?: string } | undefined;
  return { status: r.status, port: j?.port, url: j?.url };
}

async function peers(n: number): Promise<number[]> {
  const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
  await Promise.all(ports.map((p) => startUpstream(p)));
  return ports;
}

describe.each(TARGETS)("routes on %s", (target) => {
  test("exact beats the longest prefix, which beats a shorter one; strip-prefix forwards the rest with its query", async () => {
    const [a, b, c, d] = await peers(4);
    const hf = await startHoldfast(target, [
      ...["--upstream", `api=127.0.0.1:${a}`, "--upstream", `v2=127.0.0.1:${b}`, "--upstream", `127.0.0.1:${c}`],
      ...["--upstream", `health=127.0.0.1:${d}`],
      ...["--route", "/=default", "--route", "/api/=api,strip-prefix", "--route", "/api/v2/=v2", "--route", "=/api/health=health"],
    ]);
    expect(await get(`${hf.url}/api/users?page=2`)).toEqual({ status: 200, port: a, url: "/users?page=2" });
    expect(await get(`${hf.url}/api/v2/things`)).toEqual({ status: 200, port: b, url: "/api/v2/things" });
    expect(await get(`${hf.url}/api/health`)).toEqual({ status: 200, port: d, url: "/api/health" });
    // Only the exact path: a longer one takes the prefix.
    expect(await get(`${hf.url}/api/healthz`)).toEqual({ status: 200, port: a, url: "/healthz" });
    expect(await get(`${hf.url}/apiary`)).toEqual({ status: 200, port: c, url: "/apiary" });
  }, 30_000);

  test("patterns in the order given, rewrite of a prefix, and 404 from holdfast when nothing matches", async () => {
    const [a, b, c] = await peers(3);
    const hf = await startHoldfast(target, [
      ...["--upstream", `api=127.0.0.1:${a}`, "--upstream", `files=127.0.0.1:${b}`, "--upstream", `127.0.0.1:${c}`],
      ...["--route", "/users/:id/avatar=api", "--route", "/users/*=files", "--route", "/files/=files,rewrite=/storage/"],
      ...["--route", "=/healthz=default"],
    ]);
    expect(await get(`${hf.url}/users/7/avatar`)).toEqual({ status: 200, port: a, url: "/users/7/avatar" });
    expect(await get(`${hf.url}/users/7/posts`)).toEqual({ status: 200, port: b, url: "/users/7/posts" });
    expect(await get(`${hf.url}/files/a/b.txt?v=1`)).toEqual({ status: 200, port: b, url: "/storage/a/b.txt?v=1" });
    expect(await get(`${hf.url}/healthz`)).toEqual({ status: 200, port: c, url: "/healthz" });
    const miss = await curl([`${hf.url}/nothing/here`], 10_000);
    expect(miss.status).toBe(404);
    expect(miss.body).toBe(`404 Not Found: No --route matches /nothing/here\nrequest id: ${/request id: (\w+)/.exec(miss.body)?.[1]}\n`);
    expect(await hf.waitLine(/"GET \/nothing\/here" 404/)).toContain("attempts=0");
  }, 30_000);

  test("virtual hosts: the exact name, else the longest wildcard, else the routes without a host", async () => {
    const [a, b, c, d] = await peers(4);
    const hf = await startHoldfast(target, [
      ...["--upstream", `app=127.0.0.1:${a}`, "--upstream", `wild=127.0.0.1:${b}`, "--upstream", `deep=127.0.0.1:${d}`],
      ...["--upstream", `127.0.0.1:${c}`],
      ...["--route", "app.example.test/=app", "--route", "*.example.test/=wild", "--route", "*.eu.example.test/=deep"],
      ...["--route", "/=default"],
    ]);
    expect((await get(`${hf.url}/`, "app.example.test")).port).toBe(a);
    expect((await get(`${hf.url}/`, "APP.Example.Test:8080")).port).toBe(a);
    expect((await get(`${hf.url}/`, "photos.example.test")).port).toBe(b);
    expect((await get(`${hf.url}/`, "x.eu.example.test")).port).toBe(d);
    // A wildcard needs a label before its suffix.
    expect((await get(`${hf.url}/`, "example.test")).port).toBe(c);
    expect((await get(`${hf.url}/`, "other.test")).port).toBe(c);
  }, 30_000);

  test("set-header (variables, replacing the client's and holdfast's own field, empty removes), hide-header, websocket=off", async () => {
    const [a] = await peers(1);
    const opts = [
      "set-header=X-App:photos",
      "set-header=X-Client:$remote_addr via $scheme for $host",
      "set-header=X-Forwarded-Proto:https",
      "set-header=X-Drop:",
      "set-header=X-Request-Id:$request_id",
      "hide-header=X-Kept",
      "websocket=off",
    ];
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${a}`, "--route", `/=default,${opts.join(",")}`]);
    const headers = ["X-App: from-client", "X-Drop: gone", "Host: Photos.Test:8080", "Connection: Upgrade", "Upgrade: websocket"];
    const r = await curl([...headers.flatMap((h) => ["-H", h]), `${hf.url}/echo`], 10_000);
    expect(r.status).toBe(200);
    const seen = (r.json as { headers: Record<string, string> }).headers;
    expect(seen["x-app"]).toBe("photos");
    expect(seen["x-client"]).toBe("127.0.0.1 via http for photos.test");
    expect(seen["x-forwarded-proto"]).toBe("https");
    expect(seen["x-drop"]).toBeUndefined();
    expect(seen.upgrade).toBeUndefined();
    expect(seen.host).toBe("Photos.Test:8080");
    const id = seen["x-request-id"];
    expect(await hf.waitLine(/"GET \/echo" 200/)).toContain(`id=${id}`);
    const hop = await curl([`${hf.url}/hop`], 10_000);
    expect(hop.status).toBe(200);
    expect(hop.headers["x-kept"]).toBeUndefined();
    expect(hop.headers["content-type"]).toBe("text/plain");
  }, 30_000);

  test("per-route max-body (413 before any byte reaches a peer) and hold", async () => {
    const a = await freePort();
    const peerA = await startUpstream(a);
    const down = await freePort();
    const hf = await startHoldfast(target, [
      ...["--upstream", `127.0.0.1:${a}`, "--upstream", `later=127.0.0.1:${down}`],
      ...["--route", "/small/=default,max-body=1k", "--route", "/=default"],
      ...["--route", "/now/=later,hold=0", "--route", "/wait/=later,hold=20s"],
    ]);
    const body = "x".repeat(2048);
    expect((await curl(["--data-binary", body, `${hf.url}/small/post`], 10_000)).status).toBe(413);
    expect(peerA.lines.some((l) => l.includes("/small/"))).toBe(false);
    const ok = await curl(["--data-binary", body, `${hf.url}/big/post`], 10_000);
    expect(ok.status).toBe(200);
    expect((ok.json as { bytes: number }).bytes).toBe(2048);
    // hold=0 answers 502 at once; the held one is replayed when the peer comes up.
    const started = Date.now();
    expect((await curl([`${hf.url}/now/x`], 10_000)).status).toBe(502);
    expect(Date.now() - started).toBeLessThan(5000);
    const held = curl([`${hf.url}/wait/x`], 30_000);
    await sleep(700);
    await startUpstream(down);
    const r = await held;
    expect(r.status).toBe(200);
    expect(r.json as { port: number; url: string }).toMatchObject({ port: down, url: "/wait/x" });
  }, 60_000);
});
