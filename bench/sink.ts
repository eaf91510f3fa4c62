/**
 * The benchmark's upstream: reads every request body, throws it away, and
 * answers `200` with the byte count as text. The same sink serves the direct
 * path, holdfast and nginx, so all three pay the same receiving cost.
 *
 * Usage: `bun bench/sink.ts PORT` (127.0.0.1 only). Prints `sink listening
 * on PORT` once bound; stops on SIGTERM/SIGINT.
 */
/// <reference types="bun-types" />

const port = Number(process.argv[2] ?? 0);

/** Reads `body` to its end without keeping it; returns the bytes seen. */
export async function drain(body: ReadableStream<Uint8Array> | null): Promise<number> {
  if (!body) return 0;
  let n = 0;
  // Each chunk is dropped as soon as it is counted: the sink's memory stays flat.
  for await (const chunk of body) n += chunk.byteLength;
  return n;
}

if (import.meta.main) {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    // A 1 GiB body is far above Bun's 128 MB default cap.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    idleTimeout: 120,
    async fetch(req) {
      const n = await drain(req.body);
      return new Response(`${n}\n`, { headers: { "content-type": "text/plain" } });
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
