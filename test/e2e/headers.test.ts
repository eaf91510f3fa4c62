// What holdfast changes in the headers on the way through (RFC 9110 §7.6.1
// hop-by-hop headers; nginx's X-Forwarded-* recipe) and how a chunked body
// reaches the upstream.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { curl, freePort, type Holdfast, startHoldfast, startUpstream, stopAll, TARGETS, testFile } from "./harness.ts";

afterAll(stopAll);

describe.each(TARGETS)("headers and framing on %s", (target) => {
  let hf: Holdfast;
  beforeAll(async () => {
    const upPort = await freePort();
    await startUpstream(upPort);
    hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--body-buffer", "16k"]);
  });

  test("a chunked request body is de-chunked and forwarded with Content-Length", async () => {
    const file = "/dev/shm/holdfast-headers-3m.bin";
    const sha = testFile(file, 3 * 1024 * 1024 + 7);
    const r = await curl(["-H", "Transfer-Encoding: chunked", "--data-binary", `@${file}`, `${hf.url}/store`]);
    expect(r.status).toBe(200);
    const seen = r.json as { bytes: number; sha256: string; headers: Record<string, string> };
    expect(seen.sha256).toBe(sha);
    expect(seen.headers["content-length"]).toBe(String(3 * 1024 * 1024 + 7));
    expect(seen.headers["transfer-encoding"]).toBeUndefined();
  }, 30_000);

  test("hop-by-hop request headers, and those named in Connection, are dropped; Host is preserved", async () => {
    const r = await curl([
      "-H",
      "Host: app.example.test",
      "-H",
      "Connection: keep-alive, X-Private",
      "-H",
      "X-Private: secret",
      "-H",
      "Keep-Alive: timeout=5",
      "-H",
      "TE: trailers",
      "-H",
      "Proxy-Connection: keep-alive",
      "-H",
      "X-Kept: 1",
      `${hf.url}/echo`,
    ]);
    const h = (r.json as { headers: Record<string, string> }).headers;
    expect(h.host).toBe("app.example.test");
    expect(h["x-private"]).toBeUndefined();
    expect(h["keep-alive"]).toBeUndefined();
    expect(h.te).toBeUndefined();
    expect(h["proxy-connection"]).toBeUndefined();
    expect(h["x-kept"]).toBe("1");
    expect(h["x-forwarded-host"]).toBe("app.example.test");
  });

  test("hop-by-hop response headers, and those named in Connection, do not reach the client", async () => {
    const r = await curl([`${hf.url}/hop`]);
    expect(r.status).toBe(200);
    expect(r.headers["x-secret"]).toBeUndefined();
    expect(r.headers["keep-alive"]).toBeUndefined();
    expect(r.headers["x-kept"]).toBe("yes");
    expect(r.body).toBe("hop\n");
  });

  test("X-Forwarded-For is appended; X-Real-IP and X-Forwarded-Proto are set, not trusted", async () => {
    const r = await curl([
      "-H",
      "X-Forwarded-For: 203.0.113.9",
      "-H",
      "X-Real-IP: 6.6.6.6",
      "-H",
      "X-Forwarded-Proto: https",
      `${hf.url}/echo`,
    ]);
    const h = (r.json as { headers: Record<string, string> }).headers;
    expect(h["x-forwarded-for"]).toBe("203.0.113.9, 127.0.0.1");
    expect(h["x-real-ip"]).toBe("127.0.0.1");
    expect(h["x-forwarded-proto"]).toBe("http");
  });

  test("a response's Content-Length reaches the client", async () => {
    const r = await curl([`${hf.url}/echo`]);
    expect(r.status).toBe(200);
    expect(r.headers["content-length"]).toBe(String(Buffer.byteLength(r.body)));
    expect(r.headers["transfer-encoding"]).toBeUndefined();
  });

  test("a response status and body other than 200 are relayed as they are", async () => {
    const r = await curl([`${hf.url}/status/503`]);
    expect(r.status).toBe(503);
    expect(r.body).toBe("status 503\n");
  });
});
