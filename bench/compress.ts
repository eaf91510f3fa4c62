/**
 * The cost of compressing a response, per MB of JSON: node:zlib streams
 * (gzip, brotli, zstd at several levels; written in 16 KiB pieces as a relay
 * would, with and without a flush after each piece), node:zlib one-shot
 * (`gzipSync`, the path of a whole small body), and the web
 * `CompressionStream("gzip")`, which cannot flush. Runs on Bun and Deno:
 *
 * ```sh
 * node_modules/.bin/bun bench/compress.ts
 * node_modules/.bin/deno run -A bench/compress.ts
 * ```
 *
 * Prints one line per case: ms per MB of input (median of 7 rounds of 4 MB),
 * and the compressed size as a percentage of the input.
 *
 * @module
 */
import * as zlib from "node:zlib";

const PIECE = 16 * 1024;
const ROUNDS = 7;

/** About `bytes` of JSON an API might send: records with ids, names, numbers, flags. */
function json(bytes: number): Uint8Array<ArrayBuffer> {
  const rows: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const row = JSON.stringify({
      id: i,
      name: `user-${(i * 7919) % 100000}`,
      email: `u${(i * 104729) % 1000003}@example.test`,
      score: Math.round(Math.sin(i) * 1e6) / 1e3,
      active: i % 3 === 0,
      tags: ["alpha", "beta", "gamma"].slice(0, i % 4),
    });
    rows.push(row);
    n += row.length + 1;
  }
  return new TextEncoder().encode(`[${rows.join(",")}]`).subarray(0, bytes);
}

type Make = () => zlib.Gzip | zlib.BrotliCompress | zlib.ZstdCompress;

/** Streams `data` through a new compressor in pieces; `flush` after each. Resolves with the output size. */
function viaStream(make: Make, data: Uint8Array, flush: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = make();
    let out = 0;
    s.on("data", (d: Uint8Array) => (out += d.byteLength));
    s.on("end", () => resolve(out));
    s.on("error", reject);
    for (let at = 0; at < data.byteLength; at += PIECE) {
      s.write(data.subarray(at, at + PIECE));
      if (flush) s.flush();
    }
    s.end();
  });
}

async function viaWebStream(data: Uint8Array<ArrayBuffer>): Promise<number> {
  const cs = new CompressionStream("gzip");
  const w = cs.writable.getWriter();
  const writing = (async () => {
    for (let at = 0; at < data.byteLength; at += PIECE) await w.write(data.subarray(at, at + PIECE));
    await w.close();
  })();
  let out = 0;
  for await (const c of cs.readable) out += c.byteLength;
  await writing;
  return out;
}

async function measure(name: string, data: Uint8Array, run: () => Promise<number> | number): Promise<void> {
  await run();
  const times: number[] = [];
  let size = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    size = await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mb = data.byteLength / 1e6;
  const ms = (times[ROUNDS >> 1] / mb).toFixed(2).padStart(7);
  console.log(`${name.padEnd(34)} ${ms} ms/MB   ${(100 * size / data.byteLength).toFixed(1).padStart(5)} % of input`);
}

const runtime = "Bun" in globalThis
  ? `Bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
  : `Deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`;
const data = json(4_000_000);
console.log(`${runtime}: ${data.byteLength} bytes of JSON, ${PIECE / 1024} KiB pieces, median of ${ROUNDS}`);
const Z = zlib.constants;
const cases: [string, Make][] = [
  ["gzip 1", () => zlib.createGzip({ level: 1 })],
  ["gzip 6", () => zlib.createGzip({ level: 6 })],
  ["br 1", () => zlib.createBrotliCompress({ params: { [Z.BROTLI_PARAM_QUALITY]: 1 } })],
  ["br 4", () => zlib.createBrotliCompress({ params: { [Z.BROTLI_PARAM_QUALITY]: 4 } })],
  ["br 5", () => zlib.createBrotliCompress({ params: { [Z.BROTLI_PARAM_QUALITY]: 5 } })],
  ["zstd 1", () => zlib.createZstdCompress({ params: { [Z.ZSTD_c_compressionLevel]: 1 } })],
  ["zstd 3", () => zlib.createZstdCompress({ params: { [Z.ZSTD_c_compressionLevel]: 3 } })],
];
for (const [name, make] of cases) {
  await measure(`zlib stream ${name}`, data, () => viaStream(make, data, false));
  await measure(`zlib stream ${name}, flush/16K`, data, () => viaStream(make, data, true));
}
await measure("zlib gzipSync 1 (one call)", data, () => zlib.gzipSync(data, { level: 1 }).byteLength);
await measure("CompressionStream gzip (no flush)", data, () => viaWebStream(data));
