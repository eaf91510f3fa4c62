/**
 * The upstream of bench/upload.ts: bench/sink.ts's sink (reads each body,
 * throws it away, answers 200 with the byte count), which on request also
 * hashes the body. A request whose target ends in `?sha256` is answered
 * `BYTES HEX\n` with the SHA-256 of what arrived; any other with `BYTES\n`
 * exactly as bench/sink.ts does.
 *
 * The hash is asked for only in unmeasured rounds: SHA-256 runs at about
 * 200 MB/s on the benchmark's 2 vCPUs, so a hashing sink would be the
 * slowest part of every path and take a CPU from the others.
 *
 * Usage: `bun bench/lib/hash-sink.ts PORT` (127.0.0.1 only). Prints `sink
 * listening on PORT` once bound; stops on SIGTERM/SIGINT.
 */
/// <reference types="bun-types" />
import { drain, serveSink } from "../sink.ts";

/** The query that asks the sink for the body's SHA-256. */
export const HASH_QUERY = "?sha256";

/** Reads `body` to its end, hashing it; returns the bytes seen and the hex SHA-256. */
export async function drainHashed(body: ReadableStream<Uint8Array> | null): Promise<{ bytes: number; sha256: string }> {
  const h = new Bun.CryptoHasher("sha256");
  let bytes = 0;
  if (body) {
    for await (const chunk of body) {
      bytes += chunk.byteLength;
      h.update(chunk);
    }
  }
  return { bytes, sha256: h.digest("hex") };
}

if (import.meta.main) {
  serveSink(Number(process.argv[2] ?? 0), async (req) => {
    if (!req.url.endsWith(HASH_QUERY)) return `${await drain(req.body)}\n`;
    const r = await drainHashed(req.body);
    return `${r.bytes} ${r.sha256}\n`;
  });
}
