import { describe, expect, test } from "bun:test";
import * as zlib from "node:zlib";
import { StreamCompressor } from "../../src/compress/stream.ts";
import type { Coding } from "../../src/compress/codings.ts";

/** The client side: records each write; answers `full` while told to. */
class Out {
  writes: Uint8Array[] = [];
  full = false;
  onDrain: (() => void) | undefined;
  write(b: Uint8Array): boolean {
    this.writes.push(b.slice());
    return !this.full;
  }
  get bytes(): Buffer {
    return Buffer.concat(this.writes);
  }
}

/** De-chunks `b`, which must be whole chunks; returns the data and whether the last chunk came. */
function dechunk(b: Buffer): { data: Buffer; last: boolean } {
  const out: Buffer[] = [];
  let at = 0;
  while (at < b.length) {
    const eol = b.indexOf("\r\n", at);
    const size = parseInt(b.subarray(at, eol).toString("latin1"), 16);
    if (size === 0) return { data: Buffer.concat(out), last: b.subarray(eol).toString() === "\r\n\r\n" };
    out.push(b.subarray(eol + 2, eol + 2 + size));
    expect(b.subarray(eol + 2 + size, eol + 4 + size).toString()).toBe("\r\n");
    at = eol + 4 + size;
  }
  return { data: Buffer.concat(out), last: false };
}

const text = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => `line ${i} of the body\n`).join(""));

async function until(cond: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return cond();
}

const decoders: Record<Coding, (b: Buffer) => Buffer> = {
  gzip: (b) => zlib.gunzipSync(b),
  br: (b) => zlib.brotliDecompressSync(b),
  zstd: (b) => zlib.zstdDecompressSync(b),
};

describe("StreamCompressor", () => {
  for (const coding of ["gzip", "br", "zstd"] as const) {
    test(`${coding}: chunked output ends with the last chunk and decodes to the exact input`, async () => {
      const out = new Out();
      const z = new StreamCompressor(out, { coding, level: 3, chunked: true, flushEachRead: false });
      const body = text(20_000);
      for (let at = 0; at < body.length; at += 7000) z.write(body.subarray(at, at + 7000));
      expect(await z.end()).toBe("complete");
      const { data, last } = dechunk(out.bytes);
      expect(last).toBe(true);
      expect(decoders[coding](data).equals(body)).toBe(true);
      expect(z.bytesOut).toBe(data.length);
    });
  }

  test("close-delimited output (HTTP/1.0) is the encoded stream as it is", async () => {
    const out = new Out();
    const z = new StreamCompressor(out, { coding: "gzip", level: 1, chunked: false, flushEachRead: false });
    z.write(text(100));
    expect(await z.end()).toBe("complete");
    expect(zlib.gunzipSync(out.bytes).equals(text(100))).toBe(true);
  });

  test("flushEachRead: what one read brought decodes before the body ends; without it, it waits in the compressor", async () => {
    const flushed = new Out();
    const a = new StreamCompressor(flushed, { coding: "gzip", level: 1, chunked: true, flushEachRead: true });
    // Several writes in one turn are one peer read: one flush after them.
    a.write(Buffer.from("data: one\n\n"));
    a.write(Buffer.from("data: two\n\n"));
    const sync = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
    const got = () => zlib.gunzipSync(dechunk(flushed.bytes).data, sync).toString();
    expect(await until(() => flushed.writes.length > 0 && got() === "data: one\n\ndata: two\n\n")).toBe(true);
    a.write(Buffer.from("data: three\n\n"));
    expect(await until(() => got().endsWith("data: three\n\n"))).toBe(true);
    expect(await a.end()).toBe("complete");

    const held = new Out();
    const b = new StreamCompressor(held, { coding: "gzip", level: 1, chunked: true, flushEachRead: false });
    b.write(Buffer.from("data: one\n\n"));
    await new Promise((r) => setTimeout(r, 100));
    // At most the gzip header: no event yet.
    expect(held.bytes.length).toBeLessThan(20);
    expect(await b.end()).toBe("complete");
  });

  test("a full client pauses the compressor's output until its drain; nothing is lost", async () => {
    const out = new Out();
    out.full = true;
    const z = new StreamCompressor(out, { coding: "gzip", level: 1, chunked: true, flushEachRead: true });
    const body = Buffer.from(Array.from({ length: 400_000 }, (_, i) => (i * 2654435761) & 0xff));
    for (let at = 0; at < body.length; at += 16384) z.write(body.subarray(at, at + 16384));
    const ended = z.end();
    expect(await until(() => out.writes.length > 0)).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    // Paused after the write that found the client full.
    expect(out.writes.length).toBe(1);
    out.full = false;
    out.onDrain!();
    expect(await ended).toBe("complete");
    expect(zlib.gunzipSync(dechunk(out.bytes).data).equals(body)).toBe(true);
  });

  test("write() reports a full input queue and onDrain fires when it empties", async () => {
    const out = new Out();
    const z = new StreamCompressor(out, { coding: "br", level: 4, chunked: true, flushEachRead: false });
    let drained = 0;
    z.onDrain = () => drained++;
    let ok = true;
    for (let i = 0; i < 64 && ok; i++) ok = z.write(new Uint8Array(65536).fill(i));
    expect(ok).toBe(false);
    expect(await until(() => drained > 0)).toBe(true);
    expect(await z.end()).toBe("complete");
  });

  test("cancel() settles end() with its outcome and writes nothing more", async () => {
    const out = new Out();
    const z = new StreamCompressor(out, { coding: "zstd", level: 3, chunked: true, flushEachRead: false });
    z.write(text(5000));
    z.cancel();
    expect(await z.end()).toBe("client-gone");
    const n = out.writes.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(out.writes.length).toBe(n);
    expect(out.onDrain).toBeUndefined();
  });
});
