// HTTP/1.1 as it crosses the wire (RFC 9112): exact bytes from a raw client,
// through holdfast, to a raw peer that records what it receives and answers
// with scripted bytes. Framing, header fidelity, interim responses,
// pipelining, request smuggling, limits and connection reuse.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import {
  finalResponses,
  headerOf,
  parseResponses,
  type PeerRequest,
  RawClient,
  RawPeer,
  rawRequest,
  type ReplyContext,
  response,
} from "../fixtures/raw-peer.ts";
import { type Holdfast, sleep, startHoldfastOrExit, stopAll, TARGETS } from "./harness.ts";

afterAll(stopAll);

const MIB = 1024 * 1024;
const BIG = randomBytes(10 * MIB);
const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

/** A request head with `Host: t` and `fields`. */
const head = (path: string, fields: string[] = [], method = "GET") =>
  `${method} ${path} HTTP/1.1\r\nHost: t\r\n${fields.map((f) => `${f}\r\n`).join("")}\r\n`;

/**
 * The peer's answers, by path: `/big` 10 MiB with Content-Length, `/cut` half
 * of a declared 1 MiB then a close, `/huge-header` a 1 MiB header field,
 * `/hints` a 103 before its 200, `/continue` a 100 before its 200, `/store`
 * the body's sha256, `/upgrade` a 101 and then an echo; anything else is
 * tagged with its target (header `X-Path` and body), after `?delay=MS`.
 */
async function script(req: PeerRequest, ctx: ReplyContext) {
  const url = new URL(req.target, "http://peer");
  switch (url.pathname) {
    case "/big":
      return ctx.write(response(200, [["Content-Type", "application/octet-stream"]], BIG));
    case "/cut":
      ctx.write(response(200, [["Content-Length", String(MIB)]], BIG.subarray(0, MIB / 2)));
      await sleep(100);
      return ctx.destroy();
    case "/huge-header":
      return ctx.write(response(200, [["X-Big", "a".repeat(MIB)]], "ok"));
    case "/hints":
      ctx.write("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n");
      await sleep(100);
      return ctx.write(response(200, [], "after hints"));
    case "/continue":
      ctx.write("HTTP/1.1 100 Continue\r\n\r\n");
      await sleep(50);
      return ctx.write(response(200, [], "after continue"));
    case "/store":
      return ctx.write(response(200, [], sha256(req.body)));
    case "/upgrade":
      ctx.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
      return ctx.tunnel((b) => ctx.write(b));
  }
  await sleep(Number(url.searchParams.get("delay") ?? 0));
  ctx.write(response(200, [["X-Path", req.target]], req.target));
}

// Each is sent on a fresh connection, and must be refused (RFC 9112 §6.1,
// §6.3, §5.1, §5.2, §2.2; RFC 9110 §5.5) with the connection closed and
// nothing sent to the peer: the cases a front end and a back end could frame
// differently.
const SMUGGLING: [string, string, number[]][] = [
  ["Content-Length and Transfer-Encoding", head("/s", ["Content-Length: 5", "Transfer-Encoding: chunked"], "POST") + "0\r\n\r\n", [400]],
  ["Transfer-Encoding chunked, gzip (chunked not last)", head("/s", ["Transfer-Encoding: chunked, gzip"], "POST") + "0\r\n\r\n", [
    400,
    501,
  ]],
  ["Transfer-Encoding gzip alone", head("/s", ["Transfer-Encoding: gzip"], "POST") + "hello", [400, 501]],
  ["an unknown transfer coding", head("/s", ["Transfer-Encoding: x-unknown, chunked"], "POST") + "0\r\n\r\n", [501]],
  ["two different Content-Length fields", head("/s", ["Content-Length: 5", "Content-Length: 6"], "POST") + "hello!", [400]],
  ["Content-Length +5", head("/s", ["Content-Length: +5"], "POST") + "hello", [400]],
  ["Content-Length -1", head("/s", ["Content-Length: -1"], "POST") + "hello", [400]],
  ["Content-Length with a space inside", head("/s", ["Content-Length: 1 0"], "POST") + "0123456789", [400]],
  ["a space before the colon", head("/s", ["Content-Length : 5"], "POST") + "hello", [400]],
  ["obs-fold", head("/s", ["X-Folded: a", " b"]), [400]],
  ["a bare CR in a header value", head("/s", ["X-Bad: a\rb"]), [400]],
  ["an over-long chunk size", head("/s", ["Transfer-Encoding: chunked"], "POST") + "ffffffffffffffffff\r\nabc\r\n0\r\n\r\n", [400]],
  ["NUL in a header value", head("/s", ["X-Nul: a\0b"]), [400]],
  ["an invalid character in the method", head("/s", [], "GE(T"), [400]],
  ["HTTP/1.2x", "GET /s HTTP/1.2x\r\nHost: t\r\n\r\n", [400]],
  ["CONNECT (a reverse proxy offers no client tunnels)", "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n", [501]],
  ["a request line over --max-header-size (414)", head(`/${"a".repeat(70 * 1024)}`), [414]],
  ["a header section over --max-header-size (431)", head("/s", Array.from({ length: 70 }, (_, i) => `X-Fill-${i}: ${"b".repeat(1024)}`)), [
    431,
  ]],
];

describe.each(TARGETS)("HTTP/1.1 on the wire on %s", (target) => {
  let peer: RawPeer;
  let hf: Holdfast;
  let limited: Promise<Holdfast> | undefined;
  // Started on first use: its flags are new, and a holdfast that refuses them
  // should fail only the tests that need them.
  const limitedHoldfast = () =>
    limited ??= startHoldfastOrExit(target, [
      "--upstream",
      `127.0.0.1:${peer.port},max-fails=0`,
      "--client-header-timeout",
      "1s",
      "--keepalive-requests",
      "3",
    ]);

  beforeAll(async () => {
    peer = await RawPeer.start(script);
    // max-fails=0: a test whose peer misbehaves must not take it out for the next tests.
    hf = await startHoldfastOrExit(target, [
      "--upstream",
      `127.0.0.1:${peer.port},max-fails=0`,
      "--keepalive",
      "2",
      "--max-body",
      "1m",
      "--hold",
      "3s",
    ]);
  }, 30_000);
  afterAll(() => peer?.stop());

  /** Runs `fn`, then reports how many bytes reached the peer meanwhile (after a short grace). */
  async function peerBytesDuring<T>(fn: () => Promise<T>): Promise<[T, number]> {
    const before = peer.receivedBytes;
    const r = await fn();
    await sleep(100);
    return [r, peer.receivedBytes - before];
  }

  test(
    "a chunked upload with chunk extensions and a trailer reaches the peer with Content-Length, no Transfer-Encoding, no trailer",
    async () => {
      const body = randomBytes(300_000);
      const sizes = [1, 4095, 65_536, 100_000, 130_368];
      let wire = head("/store", ["Transfer-Encoding: chunked", "Trailer: X-Checksum"], "POST");
      let at = 0;
      for (const [i, n] of sizes.entries()) {
        wire += `${n.toString(16)};name=value;q="a b"${i ? "" : ";x"}\r\n${body.subarray(at, at + n).toString("latin1")}\r\n`;
        at += n;
      }
      wire += `0;last\r\nX-Checksum: ${sha256(body)}\r\n\r\n`;
      // Pieces cut mid-line and mid-chunk, a pause between them.
      const r = await rawRequest(hf.port, [wire.slice(0, 70), 20, wire.slice(70, 5000), 20, wire.slice(5000)], {
        until: finalResponses(1),
      });
      const [res] = parseResponses(r.bytes);
      expect(res?.status).toBe(200);
      expect(res.body.toString()).toBe(sha256(body));
      const seen = peer.requests.at(-1)!;
      expect(headerOf(seen.headers, "content-length")).toBe("300000");
      expect(headerOf(seen.headers, "transfer-encoding")).toBeUndefined();
      expect(headerOf(seen.headers, "trailer")).toBeUndefined();
      expect(headerOf(seen.headers, "x-checksum")).toBeUndefined();
      // After the head come exactly the body's bytes: no chunk framing, no trailer.
      expect(seen.raw.length).toBe(seen.head.length + body.length);
      expect(sha256(seen.raw.subarray(seen.head.length))).toBe(sha256(body));
    },
    15_000,
  );

  test("a client that half-closes after its complete request gets the full response", async () => {
    const r = await rawRequest(hf.port, [head("/tag/half")], { halfClose: true, until: finalResponses(1) });
    const [res] = parseResponses(r.bytes);
    expect(res?.status).toBe(200);
    expect(res.complete).toBe(true);
    expect(res.body.toString()).toBe("/tag/half");
  }, 10_000);

  test("the peer sees exactly the client's end-to-end fields, in order and case, plus the X-Forwarded ones, and nothing else", async () => {
    const sent: [string, string][] = [
      ["Host", "app.example.test"],
      ["X-MiXeD-Case", "v"],
      ["Accept", "text/html"],
      ["Connection", "keep-alive, X-Private"],
      ["X-Private", "secret"],
      ["Keep-Alive", "timeout=5"],
      ["Accept", "application/json"],
      ["TE", "trailers"],
      ["Proxy-Connection", "keep-alive"],
      ["x-lower", "Value With  Spaces"],
    ];
    const wire = `GET /tag/fields HTTP/1.1\r\n${sent.map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
    const r = await rawRequest(hf.port, [wire], { until: finalResponses(1) });
    expect(parseResponses(r.bytes)[0]?.status).toBe(200);
    const seen = peer.requests.at(-1)!;
    expect(seen.target).toBe("/tag/fields");
    const forwarded = ["x-forwarded-for", "x-real-ip", "x-forwarded-proto", "x-forwarded-host"];
    const endToEnd = seen.headers.filter(([k]) => !forwarded.includes(k.toLowerCase()));
    expect(endToEnd).toEqual([
      ["Host", "app.example.test"],
      ["X-MiXeD-Case", "v"],
      ["Accept", "text/html"],
      ["Accept", "application/json"],
      ["x-lower", "Value With  Spaces"],
    ]);
    const added = Object.fromEntries(
      seen.headers.filter(([k]) => forwarded.includes(k.toLowerCase())).map(([k, v]) => [k.toLowerCase(), v]),
    );
    expect(seen.headers.length - endToEnd.length).toBe(4);
    expect(added).toEqual({
      "x-forwarded-for": "127.0.0.1",
      "x-real-ip": "127.0.0.1",
      "x-forwarded-proto": "http",
      "x-forwarded-host": "app.example.test",
    });
  }, 10_000);

  test("a 10 MiB response with Content-Length reaches the client with that Content-Length, not chunked, same sha256", async () => {
    const r = await rawRequest(hf.port, [head("/big")], { until: finalResponses(1), timeoutMs: 20_000 });
    const [res] = parseResponses(r.bytes);
    expect(res?.status).toBe(200);
    expect(headerOf(res.headers, "content-length")).toBe(String(10 * MIB));
    expect(headerOf(res.headers, "transfer-encoding")).toBeUndefined();
    expect(res.body.length).toBe(10 * MIB);
    expect(sha256(res.body)).toBe(sha256(BIG));
  }, 25_000);

  test("a response the peer cuts short reaches the client as a closed connection with fewer bytes, never a complete response", async () => {
    const r = await rawRequest(hf.port, [head("/cut")], { timeoutMs: 10_000 });
    expect(r.closedByServer).toBe(true);
    const responses = parseResponses(r.bytes).filter((x) => x.status >= 200);
    expect(responses.filter((x) => x.complete)).toEqual([]);
    expect(responses[0]?.body.length ?? 0).toBeLessThan(MIB);
  }, 15_000);

  test("a 1 MiB response header from the peer gives 502; the next request on a new connection is served", async () => {
    const r = await rawRequest(hf.port, [head("/huge-header")], { until: finalResponses(1), timeoutMs: 10_000 });
    expect(parseResponses(r.bytes)[0]?.status).toBe(502);
    const next = await rawRequest(hf.port, [head("/tag/after-huge")], { until: finalResponses(1) });
    const [res] = parseResponses(next.bytes);
    expect(res?.status).toBe(200);
    expect(res.body.toString()).toBe("/tag/after-huge");
  }, 15_000);

  test("Expect: 100-continue gets 100 Continue before the body is sent, then the final response", async () => {
    const c = await RawClient.open(hf.port);
    try {
      c.write(head("/store", ["Content-Length: 11", "Expect: 100-continue"], "POST"));
      await c.waitFor((b) => b.includes("\r\n\r\n"), 5000);
      expect(c.received.toString("latin1")).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
      c.write("hello world");
      await c.waitFor(finalResponses(1), 5000);
      const responses = parseResponses(c.received);
      expect(responses.map((x) => x.status)).toEqual([100, 200]);
      expect(responses[1].body.toString()).toBe(sha256("hello world"));
      const seen = peer.requests.at(-1)!;
      expect(seen.body.toString()).toBe("hello world");
      expect(headerOf(seen.headers, "expect")).toBeUndefined();
    } finally {
      c.destroy();
    }
  }, 15_000);

  test("Expect: something-else gets 417; the peer sees nothing", async () => {
    const [r, reached] = await peerBytesDuring(() =>
      rawRequest(hf.port, [head("/store", ["Content-Length: 5", "Expect: something-else"], "POST")], { until: finalResponses(1) })
    );
    expect(parseResponses(r.bytes)[0]?.status).toBe(417);
    expect(reached).toBe(0);
  }, 10_000);

  test("Expect: 100-continue with a Content-Length over --max-body gets 413 without the body being asked for", async () => {
    const [r, reached] = await peerBytesDuring(() =>
      rawRequest(hf.port, [head("/store", [`Content-Length: ${2 * MIB}`, "Expect: 100-continue"], "POST")], { until: finalResponses(1) })
    );
    expect(parseResponses(r.bytes).map((x) => x.status)).toEqual([413]);
    expect(reached).toBe(0);
  }, 10_000);

  test("a 103 Early Hints from the peer reaches the client before the final 200; a 100 from the peer is swallowed", async () => {
    const hints = parseResponses((await rawRequest(hf.port, [head("/hints")], { until: finalResponses(1) })).bytes);
    expect(hints.map((x) => x.status)).toEqual([103, 200]);
    expect(headerOf(hints[0].headers, "link")).toBe("</style.css>; rel=preload");
    expect(hints[1].body.toString()).toBe("after hints");
    const cont = parseResponses((await rawRequest(hf.port, [head("/continue")], { until: finalResponses(1) })).bytes);
    expect(cont.map((x) => x.status)).toEqual([200]);
    expect(cont[0].body.toString()).toBe("after continue");
  }, 10_000);

  test("three pipelined GETs in one write are answered in order", async () => {
    // The first is the slowest: answers must still come in request order (RFC 9112 §9.3.2).
    const wire = head("/tag/p1?delay=150") + head("/tag/p2?delay=50") + head("/tag/p3");
    const r = await rawRequest(hf.port, [wire], { until: finalResponses(3) });
    const responses = parseResponses(r.bytes);
    expect(responses.map((x) => x.status)).toEqual([200, 200, 200]);
    expect(responses.map((x) => x.body.toString())).toEqual(["/tag/p1?delay=150", "/tag/p2?delay=50", "/tag/p3"]);
  }, 10_000);

  test(
    "a 10 MiB POST pipelined between two GETs in one write: the body reaches the peer exact, the GETs after it are answered",
    async () => {
      // On Bun the body past the first reads goes to the spool off the main
      // thread: it must take exactly Content-Length bytes and leave the next request.
      // Its own peer and holdfast: the shared peer's request list stays in order for the other tests.
      const ownPeer = await RawPeer.start(script);
      const own = await startHoldfastOrExit(target, ["--upstream", `127.0.0.1:${ownPeer.port}`]);
      const post = head("/store", [`Content-Length: ${BIG.byteLength}`], "POST");
      const wire = Buffer.concat([Buffer.from(head("/tag/before") + post), BIG, Buffer.from(head("/tag/after"))]);
      const r = await rawRequest(own.port, [wire], { until: finalResponses(3), timeoutMs: 20_000 });
      own.kill();
      const responses = parseResponses(r.bytes);
      expect(responses.map((x) => x.status)).toEqual([200, 200, 200]);
      expect(responses.map((x) => x.body.toString())).toEqual(["/tag/before", sha256(BIG), "/tag/after"]);
    },
    30_000,
  );

  test("an HTTP/1.0 request without Host is proxied with the peer's address as Host; HTTP/1.1 without Host gets 400", async () => {
    const r = await rawRequest(hf.port, ["GET /tag/http10 HTTP/1.0\r\n\r\n"], { until: finalResponses(1) });
    expect(parseResponses(r.bytes)[0]?.status).toBe(200);
    const seen = peer.requests.at(-1)!;
    expect(seen.target).toBe("/tag/http10");
    expect(headerOf(seen.headers, "host")).toBe(`127.0.0.1:${peer.port}`);
    const [bad, reached] = await peerBytesDuring(() =>
      rawRequest(hf.port, ["GET /tag/nohost HTTP/1.1\r\n\r\n"], { until: finalResponses(1) })
    );
    expect(parseResponses(bad.bytes)[0]?.status).toBe(400);
    expect(reached).toBe(0);
  }, 10_000);

  for (const [name, wire, statuses] of SMUGGLING) {
    test(`refused, closed, nothing sent to the peer: ${name}`, async () => {
      const [r, reached] = await peerBytesDuring(() => rawRequest(hf.port, [wire], { timeoutMs: 5000 }));
      expect(parseResponses(r.bytes)[0]?.status).toBeOneOf(statuses);
      expect(r.closedByServer).toBe(true);
      expect(reached).toBe(0);
    }, 10_000);
  }

  test("bare-LF line endings are either accepted and forwarded with CRLF, or refused with 400", async () => {
    const before = peer.requests.length;
    const r = await rawRequest(hf.port, ["GET /tag/lf HTTP/1.1\nHost: t\nX-Lf: 1\n\n"], { until: finalResponses(1) });
    const status = parseResponses(r.bytes)[0]?.status;
    expect(status).toBeOneOf([200, 400]);
    if (status === 200) {
      const seen = peer.requests.at(-1)!;
      expect(seen.target).toBe("/tag/lf");
      expect(headerOf(seen.headers, "x-lf")).toBe("1");
      expect(seen.head.toString("latin1")).not.toMatch(/[^\r]\n/);
    } else {
      expect(peer.requests.length).toBe(before);
    }
  }, 10_000);

  test("an Upgrade answered 101 by the peer becomes a byte tunnel both ways", async () => {
    const c = await RawClient.open(hf.port);
    try {
      c.write(head("/upgrade", ["Connection: Upgrade", "Upgrade: echo"]));
      await c.waitFor((b) => b.includes("\r\n\r\n"), 5000);
      expect(parseResponses(c.received)[0]?.status).toBe(101);
      const headLength = c.received.indexOf("\r\n\r\n") + 4;
      const payload = randomBytes(100_000);
      c.write(payload);
      await c.waitFor((b) => b.length >= headLength + payload.length, 5000);
      expect(sha256(c.received.subarray(headLength))).toBe(sha256(payload));
    } finally {
      c.destroy();
    }
  }, 10_000);

  test("--keepalive 2: after 50 overlapping requests, at most 2 connections to the peer stay open", async () => {
    const opened = peer.connections.length;
    const all = await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) => rawRequest(hf.port, [head(`/tag/k${i}?delay=100`)], { until: finalResponses(1), timeoutMs: 10_000 }),
      ),
    );
    expect(all.map((r) => parseResponses(r.bytes)[0]?.status)).toEqual(Array(50).fill(200));
    // The overlap made holdfast open more than the cap: the cap is what closed them.
    expect(peer.connections.length - opened).toBeGreaterThan(2);
    await sleep(500);
    expect(peer.openConnections).toBeLessThanOrEqual(2);
  }, 20_000);

  test("a client idle past --client-header-timeout with half a head is closed; the peer sees nothing", async () => {
    const limitedHf = await limitedHoldfast();
    const before = peer.receivedBytes;
    const c = await RawClient.open(limitedHf.port);
    try {
      const t0 = Date.now();
      c.write("GET /tag/idle HTTP/1.1\r\nHost: t\r\n");
      expect(await c.waitClose(5000)).toBe(true);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      // nginx closes without a word; a 408 is fine too.
      expect(parseResponses(c.received)[0]?.status ?? 0).toBeOneOf([0, 408]);
      expect(peer.receivedBytes).toBe(before);
    } finally {
      c.destroy();
    }
  }, 30_000);

  test("--keepalive-requests 3 closes the connection after the third response, which says Connection: close", async () => {
    const limitedHf = await limitedHoldfast();
    const c = await RawClient.open(limitedHf.port);
    try {
      for (let i = 1; i <= 3; i++) {
        c.write(head(`/tag/ka${i}`));
        expect(await c.waitFor(finalResponses(i), 5000)).toBe(true);
      }
      const responses = parseResponses(c.received);
      expect(responses.map((x) => x.body.toString())).toEqual(["/tag/ka1", "/tag/ka2", "/tag/ka3"]);
      expect(responses.map((x) => headerOf(x.headers, "connection")?.toLowerCase() === "close")).toEqual([false, false, true]);
      expect(await c.waitClose(3000)).toBe(true);
    } finally {
      c.destroy();
    }
  }, 30_000);

  test("SIGTERM after an HTTP/1.0 request without Host was answered: exits 0 within 3 s, not --shutdown-timeout", async () => {
    const own = await startHoldfastOrExit(target, ["--upstream", `127.0.0.1:${peer.port}`, "--shutdown-timeout", "30s"]);
    const c = await RawClient.open(own.port);
    try {
      c.write("GET /tag/bye HTTP/1.0\r\n\r\n");
      expect(await c.waitFor(finalResponses(1), 5000)).toBe(true);
      expect(parseResponses(c.received)[0]?.status).toBe(200);
      own.kill("SIGTERM");
      const code = await Promise.race([own.exited, sleep(3000).then(() => "still running after 3 s")]);
      expect(code).toBe(0);
    } finally {
      c.destroy();
    }
  }, 30_000);
});
