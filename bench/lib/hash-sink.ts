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
import { drain } from "../sink.ts";

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
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: Number(process.argv[2] ?? 0),
    // A 1 GiB body is far above Bun's 128 MB default cap.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    idleTimeout: 120,
    async fetch(req) {
      let text: string;
      if (req.url.endsWith(HASH_QUERY)) {
        const r = await drainHashed(req.body);
        text = `${r.bytes} ${r.sha256}\n`;
      } else text = `${await drain(req.body)}\n`;
      return new Response(text, { headers: { "content-type": "text/plain" } });
    },
  });
  console.log(`sink listening on ${server.port}`);
  const stop = () => {
    server.stop(true);
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
