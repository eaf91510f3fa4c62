// Response compression (issue 7, item 3): --compress gzip,br,zstd negotiated
// from Accept-Encoding, for Content-Length, chunked and large bodies, what is
// never compressed, Vary and ETag, SSE event by event, bad flags. The peer is
// a raw HTTP/1.1 server in this process; the client writes raw bytes and
// reads exactly what crossed the wire.
import { afterAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as zlib from "node:zlib";
import { holdfastCommand, Proc, sleep, startHoldfast, stopAll, TARGETS } from "./harness.ts";
import { headerOf, parseResponses, RawClient, RawPeer, rawRequest, response } from "../fixtures/raw-peer.ts";

afterAll(stopAll);

/** `n` bytes of compressible, non-repeating JSON-like text. */
function text(n: number, seed = 1): Buffer {
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < n; i++) {
    const s = `{"id":${i},"name":"item-${(i * 7919 + seed) % 100003}","score":${(i * 31) % 977}},\n`;
    parts.push(s);
    len += s.length;
  }
  return Buffer.from(parts.join("").slice(0, n));
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const SMALL = text(20_000);
const LARGE = text(6 * 1024 * 1024, 7);

/** A chunked body: `body` in pieces of `piece` bytes, each its own chunk, and the last chunk. */
function chunked(body: Buffer, piece: number): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < body.length; at += piece) {
    const c = body.subarray(at, at + piece);
    out.push(Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from("\r\n"));
  }
  out.push(Buffer.from("0\r\n\r\n"));
  return Buffer.concat(out);
}

const chunkedHead = (type: string, more: [string, string][] = []) =>
  Buffer.from(
    `HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\nTransfer-Encoding: chunked\r\n${more.map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`,
  );

// When the peer sent each SSE event and each part of a stream (performance.now(), this process).
const sent: Record<string, number[]> = { sse: [], stream: [] };
const JSON_TYPE: [string, string] = ["Content-Type", "application/json; charset=utf-8"];

async function answer(req: { method: string; target: string }, ctx: { write(b: Uint8Array | string): void }): Promise<void> {
  const t = req.target;
  const head = req.method === "HEAD";
  const lenBody = (headers: [string, string][], body: Buffer, status = 200) =>
    ctx.write(head ? response(status, [...headers, ["Content-Length", String(body.length)]]) : response(status, headers, body));
  if (t === "/len") return lenBody([JSON_TYPE, ["ETag", '"v1"']], SMALL);
  if (t === "/large") return lenBody([JSON_TYPE], LARGE);
  if (t === "/chunked") return void ctx.write(Buffer.concat([chunkedHead("text/plain"), chunked(SMALL, 3000)]));
  if (t === "/large-chunked") return void ctx.write(Buffer.concat([chunkedHead("text/html"), chunked(LARGE, 100_000)]));
  if (t === "/tiny") return lenBody([["Content-Type", "text/plain"]], SMALL.subarray(0, 1000));
  if (t === "/tiny-chunked") return void ctx.write(Buffer.concat([chunkedHead("text/plain"), chunked(SMALL.subarray(0, 100), 40)]));
  if (t === "/png") return lenBody([["Content-Type", "image/png"]], SMALL);
  if (t === "/encoded") return lenBody([JSON_TYPE, ["Content-Encoding", "gzip"]], zlib.gzipSync(SMALL));
  if (t === "/no-transform") return lenBody([JSON_TYPE, ["Cache-Control", "public, no-transform"]], SMALL);
  if (t === "/204") return void ctx.write(response(204, [JSON_TYPE]));
  if (t === "/304") return void ctx.write(response(304, [JSON_TYPE, ["ETag", '"v1"']]));
  if (t === "/206") return lenBody([JSON_TYPE, ["Content-Range", `bytes 0-4999/${SMALL.length}`]], SMALL.subarray(0, 5000), 206);
  if (t === "/vary") return lenBody([JSON_TYPE, ["Vary", "Origin"], ["vary", "Cookie"], ["ETag", 'W/"weak"']], SMALL);
  if (t === "/vary-ae") return lenBody([JSON_TYPE, ["Vary", "Origin, accept-encoding"]], SMALL);
  if (t === "/sse" || t === "/stream") {
    const kind = t.slice(1);
    sent[kind] = [];
    ctx.write(chunkedHead(kind === "sse" ? "text/event-stream" : "text/plain", [["Cache-Control", "no-cache"]]));
    for (let i = 0; i < 5; i++) {
      await sleep(150);
      const ev = Buffer.from(`data: event ${i} ${"x".repeat(40)}\n\n`);
      sent[kind].push(performance.now());
      ctx.write(Buffer.concat([Buffer.from(`${ev.length.toString(16)}\r\n`), ev, Buffer.from("\r\n")]));
    }
    return void ctx.write("0\r\n\r\n");
  }
  ctx.write(response(404, [], "no such case"));
}

/** The data of the complete chunks of a chunked response received so far (its head skipped). */
function chunksSoFar(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = b.indexOf("\r\n\r\n") + 4;
  for (;;) {
    const eol = b.indexOf("\r\n", at);
    if (at < 4 || eol < 0) break;
    const size = parseInt(b.subarray(at, eol).toString("latin1"), 16);
    if (!(size > 0) || eol + 2 + size + 2 > b.length) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** What the client received for one request. */
interface Got {
  status: number;
  headers: [string, string][];
  /** The body as received (de-chunked, still encoded). */
  body: Buffer;
  /** The body decoded per Content-Encoding. */
  plain: Buffer;
  chunked: boolean;
  closed: boolean;
}

function decode(encoding: string | undefined, b: Buffer): Buffer {
  switch (encoding) {
    case undefined:
      return b;
    case "gzip":
      return zlib.gunzipSync(b);
    case "br":
      return zlib.brotliDecompressSync(b);
    case "zstd":
      return zlib.zstdDecompressSync(b);
    default:
      throw new Error(`unexpected Content-Encoding ${encoding}`);
  }
}

async function get(port: number, path: string, acceptEncoding?: string, opts: { method?: string; minor?: number } = {}): Promise<Got> {
  const ae = acceptEncoding === undefined ? "" : `Accept-Encoding: ${acceptEncoding}\r\n`;
  const req = `${opts.method ?? "GET"} ${path} HTTP/1.${opts.minor ?? 1}\r\nHost: t\r\n${ae}Connection: close\r\n\r\n`;
  const r = await rawRequest(port, [req], { timeoutMs: 20_000 });
  const res = parseResponses(r.bytes).at(-1);
  if (!res) throw new Error(`no response for ${path}: ${r.bytes.toString("latin1").slice(0, 200)}`);
  const body = opts.method === "HEAD" ? Buffer.alloc(0) : res.body;
  const plain = decode(headerOf(res.headers, "content-encoding"), body);
  return { status: res.status, headers: res.headers, body, plain, chunked: res.chunked, closed: r.closedByServer };
}

const h = (g: Got, name: string) => headerOf(g.headers, name);
const all = (g: Got, name: string) => g.headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);

describe.each(TARGETS)("compression on %s", (target) => {
  let peer: RawPeer;
  let port = 0;
  test("starts", async () => {
    peer = await RawPeer.start((req, ctx) => answer(req, ctx));
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${peer.port}`, "--compress", "gzip,br,zstd", "--access-log", "off"]);
    port = hf.port;
  }, 30_000);

  for (const coding of ["gzip", "br", "zstd"]) {
    test(`${coding}: a Content-Length body, a chunked one and a 6 MiB one (both framings) round-trip to the exact bytes`, async () => {
      const small = await get(port, "/len", coding);
      expect(small.status).toBe(200);
      expect(h(small, "content-encoding")).toBe(coding);
      expect(h(small, "vary")).toBe("Accept-Encoding");
      // Read whole, compressed in one call: it keeps a (new) length.
      expect(Number(h(small, "content-length"))).toBe(small.body.length);
      expect(small.body.length).toBeLessThan(SMALL.length / 2);
      expect(sha(small.plain)).toBe(sha(SMALL));
      expect(h(small, "etag")).toBe('W/"v1"');
      const ch = await get(port, "/chunked", coding);
      expect([h(ch, "content-encoding"), ch.chunked, h(ch, "content-length")]).toEqual([coding, true, undefined]);
      expect(sha(ch.plain)).toBe(sha(SMALL));
      for (const path of ["/large", "/large-chunked"]) {
        const big = await get(port, path, coding);
        expect([big.status, h(big, "content-encoding"), big.chunked, h(big, "content-length")]).toEqual([200, coding, true, undefined]);
        expect(big.body.length).toBeLessThan(LARGE.length / 2);
        expect(sha(big.plain)).toBe(sha(LARGE));
      }
    }, 60_000);
  }

  test("HTTP/1.0 client: a streamed body is close-delimited, a whole one keeps a length", async () => {
    const big = await get(port, "/large-chunked", "gzip", { minor: 0 });
    expect([h(big, "content-encoding"), big.chunked, h(big, "content-length"), h(big, "connection"), big.closed])
      .toEqual(["gzip", false, undefined, "close", true]);
    expect(sha(big.plain)).toBe(sha(LARGE));
    const small = await get(port, "/len", "br", { minor: 0 });
    expect(Number(h(small, "content-length"))).toBe(small.body.length);
    expect(sha(small.plain)).toBe(sha(SMALL));
  }, 30_000);

  test("Accept-Encoding: q=0 excludes, identity and *;q=0 give the plain body, ties go to --compress's order", async () => {
    const pick = async (ae: string | undefined) => h(await get(port, "/len", ae), "content-encoding") ?? "identity";
    expect(await pick("gzip;q=0, br")).toBe("br");
    expect(await pick("gzip;q=0.5, zstd;q=0.8, br;q=0.1")).toBe("zstd");
    expect(await pick("identity")).toBe("identity");
    expect(await pick("*;q=0")).toBe("identity");
    expect(await pick("gzip;q=0, br;q=0, zstd;q=0")).toBe("identity");
    expect(await pick("")).toBe("identity");
    expect(await pick(undefined)).toBe("identity");
    expect(await pick("zstd, br, gzip")).toBe("gzip");
    expect(await pick("br;q=0.7, ZSTD;q=0.7")).toBe("br");
    expect(await pick("*")).toBe("gzip");
    expect(await pick("x-gzip")).toBe("gzip");
    expect(await pick("gzip;q=0.5, identity")).toBe("identity");
    // The identity body still says it depends on Accept-Encoding, and is unchanged.
    const plain = await get(port, "/len", "identity");
    expect([h(plain, "vary"), h(plain, "etag"), Number(h(plain, "content-length"))]).toEqual(["Accept-Encoding", '"v1"', SMALL.length]);
    expect(sha(plain.body)).toBe(sha(SMALL));
  }, 30_000);

  test("not compressed: under --compress-min-length, excluded types, already encoded, no-transform, HEAD, 204, 304, 206", async () => {
    const tiny = await get(port, "/tiny", "gzip");
    expect([h(tiny, "content-encoding"), Number(h(tiny, "content-length"))]).toEqual([undefined, 1000]);
    // A chunked body has no length to judge: compressed however small.
    const tinyChunked = await get(port, "/tiny-chunked", "gzip");
    expect(h(tinyChunked, "content-encoding")).toBe("gzip");
    expect(sha(tinyChunked.plain)).toBe(sha(SMALL.subarray(0, 100)));
    for (const path of ["/png", "/no-transform"]) {
      const r = await get(port, path, "gzip, br");
      expect([r.status, h(r, "content-encoding"), h(r, "vary"), sha(r.body)]).toEqual([200, undefined, undefined, sha(SMALL)]);
    }
    const enc = await get(port, "/encoded", "gzip, br, zstd");
    expect([h(enc, "content-encoding"), h(enc, "vary"), sha(enc.body)]).toEqual(["gzip", undefined, sha(zlib.gzipSync(SMALL))]);
    const headRes = await get(port, "/len", "gzip", { method: "HEAD" });
    expect([headRes.status, h(headRes, "content-encoding"), h(headRes, "content-length")]).toEqual([200, undefined, String(SMALL.length)]);
    for (const [path, status] of [["/204", 204], ["/304", 304]] as const) {
      const r = await get(port, path, "gzip");
      expect([r.status, h(r, "content-encoding"), r.body.length]).toEqual([status, undefined, 0]);
    }
    expect(h(await get(port, "/304", "gzip"), "etag")).toBe('"v1"');
    const range = await get(port, "/206", "gzip");
    expect([range.status, h(range, "content-encoding"), sha(range.body)]).toEqual([206, undefined, sha(SMALL.subarray(0, 5000))]);
  }, 30_000);

  test("Vary is merged with the peer's (one line), or left alone when it names Accept-Encoding; a weak ETag stays", async () => {
    const r = await get(port, "/vary", "gzip");
    expect(h(r, "content-encoding")).toBe("gzip");
    expect(all(r, "vary")).toEqual(["Origin, Cookie, Accept-Encoding"]);
    expect(h(r, "etag")).toBe('W/"weak"');
    const ae = await get(port, "/vary-ae", "br");
    expect(h(ae, "content-encoding")).toBe("br");
    expect(all(ae, "vary")).toEqual(["Origin, accept-encoding"]);
    expect(sha(ae.plain)).toBe(sha(SMALL));
  }, 30_000);

  /** Reads /sse or /stream and returns, per part, ms between the peer sending it and the client having it. */
  async function lags(path: "/sse" | "/stream", has: (received: Buffer, i: number) => boolean): Promise<{ lag: number[]; head: string }> {
    const c = await RawClient.open(port);
    try {
      c.write(`GET ${path} HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n`);
      const lag: number[] = [];
      for (let i = 0; i < 5; i++) {
        expect(await c.waitFor((b) => has(b, i), 5000)).toBe(true);
        lag.push(performance.now() - sent[path.slice(1)][i]);
      }
      return { lag, head: c.received.toString("latin1").split("\r\n\r\n")[0] };
    } finally {
      c.destroy();
    }
  }

  test("SSE with --compress gzip: not compressed, every event arrives within 50 ms of the peer sending it", async () => {
    const { lag, head } = await lags("/sse", (b, i) => b.includes(`data: event ${i} `));
    expect(head).not.toMatch(/content-encoding/i);
    expect(head).toMatch(/text\/event-stream/);
    for (const ms of lag) expect(ms).toBeLessThan(50);
  }, 30_000);

  test("a compressed stream is flushed after each peer read: every part decodes within 50 ms of being sent", async () => {
    const decoded = (b: Buffer) => {
      try {
        return zlib.gunzipSync(chunksSoFar(b), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString();
      } catch {
        return "";
      }
    };
    const { lag, head } = await lags("/stream", (b, i) => decoded(b).includes(`data: event ${i} `));
    expect(head).toMatch(/content-encoding: gzip/i);
    for (const ms of lag) expect(ms).toBeLessThan(50);
  }, 30_000);

  test("the server's order decides a tie: --compress br,gzip", async () => {
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${peer.port}`, "--compress", "br,gzip", "--access-log", "off"]);
    expect(h(await get(hf.port, "/len", "gzip, br, zstd"), "content-encoding")).toBe("br");
    expect(h(await get(hf.port, "/len", "zstd"), "content-encoding")).toBeUndefined();
    hf.kill();
  }, 30_000);

  test("bad --compress flags exit 2 naming the flag and the accepted form", async () => {
    const cases: [string[], RegExp][] = [
      [["--compress", "lz4"], /--compress "lz4": unknown coding "lz4"; expected off, or a list of gzip, br and zstd/],
      [["--compress-min-length", "-1"], /--compress-min-length "-1": expected a whole number of bytes/],
      [["--compress-types", "json"], /--compress-types "json": "json" is not a media type; expected a list of media types/],
      [["--compress-level", "gzip=12"], /--compress-level "gzip=12": expected a list of CODING=LEVEL with gzip 1-9/],
    ];
    for (const [flags, message] of cases) {
      const argv = [...holdfastCommand(target), ...flags, "--upstream", "127.0.0.1:9"];
      const p = new Proc(spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] }));
      expect(await p.exited).toBe(2);
      expect(p.stderr).toMatch(message);
    }
  }, 60_000);

  test("stops the peer", async () => {
    await peer.stop();
  });
});
