// The peer side's keepalive pool: a pooled connection that the peer closes
// just as holdfast reuses it, before any response byte (the race every
// proxy meets with a peer's own keepalive timeout).
import { afterAll, describe, expect, test } from "bun:test";
import { finalResponses, parseResponses, RawPeer, rawRequest, response } from "../fixtures/raw-peer.ts";
import { startHoldfastOrExit, stopAll, TARGETS } from "./harness.ts";

afterAll(stopAll);

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`;
const post = (path: string) => `POST ${path} HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi`;

describe.each(TARGETS)("peer keepalive pool on %s", (target) => {
  // The second request on each connection is met with a close, no response:
  // the connection looked alive in the pool, but the peer was done with it.
  const script = (req: { connection: number; target: string }, ctx: { write(b: Uint8Array): void; destroy(): void }) => {
    const seen = peer.connections[req.connection].requests.length;
    if (seen >= 2) return ctx.destroy();
    ctx.write(response(200, [], `${req.target} on ${req.connection}`));
  };
  let peer: RawPeer;

  test("a GET on a pooled connection the peer closed before answering goes again on a fresh one: one 200", async () => {
    peer = await RawPeer.start(script);
    const hf = await startHoldfastOrExit(target, ["--upstream", `127.0.0.1:${peer.port},max-fails=0`, "--hold", "0"]);
    const first = parseResponses((await rawRequest(hf.port, [get("/a")], { until: finalResponses(1) })).bytes);
    expect(first[0]?.status).toBe(200);
    const second = parseResponses((await rawRequest(hf.port, [get("/b")], { until: finalResponses(1) })).bytes);
    expect(second[0]?.status).toBe(200);
    expect(second[0].body.toString()).toBe("/b on 1");
    // The reused connection saw /b and closed; a fresh one answered it.
    expect(peer.connections.length).toBe(2);
    expect(peer.connections[0].requests.map((r) => r.target)).toEqual(["/a", "/b"]);
    await peer.stop();
  }, 20_000);

  test("a POST on such a connection is not sent twice: 502, as nginx does for non-idempotent requests", async () => {
    peer = await RawPeer.start(script);
    const hf = await startHoldfastOrExit(target, ["--upstream", `127.0.0.1:${peer.port},max-fails=0`, "--hold", "0"]);
    const first = parseResponses((await rawRequest(hf.port, [get("/a")], { until: finalResponses(1) })).bytes);
    expect(first[0]?.status).toBe(200);
    const second = parseResponses((await rawRequest(hf.port, [post("/p")], { until: finalResponses(1) })).bytes);
    expect(second[0]?.status).toBe(502);
    expect(peer.connections.flatMap((c) => c.requests.map((r) => r.target))).toEqual(["/a", "/p"]);
    await peer.stop();
  }, 20_000);
});
