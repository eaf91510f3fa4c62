// buffer-request=off (issue 7, nginx proxy_request_buffering off): the body
// reaches the peer while the client is still sending it, Content-Length or
// chunked, byte for byte; the request is held while the peer is down only
// until the first body byte is sent.
import { afterAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect } from "node:net";
import { freePort, sleep, spoolFiles, startHoldfast, stopAll, TARGETS } from "./harness.ts";

afterAll(stopAll);

/** What the peer saw of one request. */
interface Seen {
  firstByteAt?: number;
  bytes: number;
  sha256: string;
  transferEncoding?: string;
  contentLength?: string;
}

/** A peer in this process that records when the first body byte came and hashes the body. */
async function startPeer(port = 0): Promise<{ port: number; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const s: Seen = {
      bytes: 0,
      sha256: "",
      transferEncoding: req.headers["transfer-encoding"],
      contentLength: req.headers["content-length"],
    };
    seen.push(s);
    const h = createHash("sha256");
    req.on("data", (d: Buffer) => {
      s.firstByteAt ??= Date.now();
      s.bytes += d.byteLength;
      h.update(d);
    });
    req.on("end", () => {
      s.sha256 = h.digest("hex");
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(s));
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return { port: (server.address() as { port: number }).port, seen, server };
}

/**
 * Sends a POST in `pieces`, `gapMs` apart, with a Content-Length or chunked.
 * @returns the status and when the last piece was written
 */
function slowPost(
  port: number,
  path: string,
  pieces: Uint8Array[],
  gapMs: number,
  chunked: boolean,
): Promise<{ status: number; body: string; lastSentAt: number }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    const total = pieces.reduce((n, p) => n + p.byteLength, 0);
    let lastSentAt = 0;
    let got = "";
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`slow POST: no response; got ${JSON.stringify(got.slice(0, 200))}`));
    }, 30_000);
    s.on("error", reject);
    s.on("connect", async () => {
      const framing = chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${total}`;
      s.write(`POST ${path} HTTP/1.1\r\nHost: test\r\n${framing}\r\nConnection: close\r\n\r\n`);
      for (const p of pieces) {
        await sleep(gapMs);
        s.write(chunked ? Buffer.concat([Buffer.from(`${p.byteLength.toString(16)}\r\n`), p, Buffer.from("\r\n")]) : p);
        lastSentAt = Date.now();
      }
      if (chunked) s.write("0\r\n\r\n");
    });
    s.on("data", (d: Buffer) => (got += d.toString("latin1")));
    s.on("close", () => {
      clearTimeout(timer);
      const status = Number(got.slice(9, 12));
      resolve({ status, body: got.slice(got.indexOf("\r\n\r\n") + 4), lastSentAt });
    });
  });
}

const sha = (parts: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
};

describe.each(TARGETS)("buffer-request=off on %s", (target) => {
  for (const chunked of [false, true]) {
    test(`the peer gets the first body byte before the client sends its last (${chunked ? "chunked" : "Content-Length"})`, async () => {
      const peer = await startPeer();
      const hf = await startHoldfast(target, [
        ...["--upstream", `127.0.0.1:${peer.port}`],
        ...["--route", "/=default", "--route", "/upload/=default,buffer-request=off"],
      ]);
      const pieces = Array.from({ length: 8 }, () => new Uint8Array(randomBytes(256 * 1024)));
      const r = await slowPost(hf.port, "/upload/x", pieces, 150, chunked);
      expect(r.status).toBe(200);
      const s = peer.seen[0];
      expect(s.bytes).toBe(8 * 256 * 1024);
      expect(s.sha256).toBe(sha(pieces));
      // About a second before the client's last piece.
      expect(s.firstByteAt!).toBeLessThan(r.lastSentAt - 500);
      if (chunked) expect(s.transferEncoding).toBe("chunked");
      else expect(s.contentLength).toBe(String(8 * 256 * 1024));
      // Nothing was spooled.
      expect(spoolFiles(hf.spool)).toEqual([]);
      // The default (buffered) route still waits for the whole body first.
      const b = await slowPost(hf.port, "/other", pieces.slice(0, 4), 150, chunked);
      expect(b.status).toBe(200);
      expect(peer.seen[1].firstByteAt!).toBeGreaterThanOrEqual(b.lastSentAt);
      expect(peer.seen[1].sha256).toBe(sha(pieces.slice(0, 4)));
      peer.server.close();
    }, 30_000);
  }

  test("a streamed request is held while the peer is down, then sent whole; --buffer-request off applies globally", async () => {
    const port = await freePort();
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${port}`, "--buffer-request", "off", "--hold", "20s"]);
    const pieces = Array.from({ length: 4 }, () => new Uint8Array(randomBytes(64 * 1024)));
    const posting = slowPost(hf.port, "/held", pieces, 50, false);
    await sleep(1500);
    const peer = await startPeer(port);
    const r = await posting;
    expect(r.status).toBe(200);
    expect(peer.seen.length).toBe(1);
    expect(peer.seen[0].bytes).toBe(4 * 64 * 1024);
    expect(peer.seen[0].sha256).toBe(sha(pieces));
    peer.server.close();
  }, 30_000);

  test("a client that stops mid-body: the peer's request is cut off, not completed, and the client gets 408", async () => {
    const peer = await startPeer();
    const hf = await startHoldfast(target, [
      ...["--upstream", `127.0.0.1:${peer.port}`, "--buffer-request", "off", "--client-body-timeout", "1s"],
    ]);
    const r = await new Promise<string>((resolve) => {
      const s = connect(hf.port, "127.0.0.1");
      let got = "";
      s.on("connect", () => s.write(`POST /cut HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n${"x".repeat(5000)}`));
      s.on("data", (d: Buffer) => (got += d.toString("latin1")));
      s.on("close", () => resolve(got));
      s.on("error", () => {});
      setTimeout(() => s.destroy(), 10_000);
    });
    expect(r.slice(0, 12)).toBe("HTTP/1.1 408");
    // The peer never saw a complete request.
    await sleep(200);
    expect(peer.seen.length).toBe(1);
    expect(peer.seen[0].sha256).toBe("");
    peer.server.close();
  }, 30_000);
});
