/**
 * The benchmark's upstream: reads every request body, throws it away, and
 * answers `200` with the byte count as text. The same sink serves the direct
 * path, holdfast and nginx, so all three pay the same receiving cost.
 *
 * Usage: `bun bench/sink.ts PORT` (127.0.0.1 only). Prints `sink listening
 * on PORT` once bound; stops on SIGTERM/SIGINT.
 */
/// <reference types="bun-types" />

/** Reads `body` to its end without keeping it; returns the bytes seen. */
export async function drain(body: ReadableStream<Uint8Array> | null): Promise<number> {
  if (!body) return 0;
  let n = 0;
  // Each chunk is dropped as soon as it is counted: the sink's memory stays flat.
  for await (const chunk of body) n += chunk.byteLength;
  return n;
}

/**
 * Serves a sink on 127.0.0.1:`port` (0: any free port): each request is
 * answered `200` with `answer(req)` as text/plain, which must read the body.
 * Bodies of any size (Bun caps them at 128 MB by default), connections idle
 * up to 120 s. Prints `sink listening on PORT` once bound; exits with 0 on
 * SIGTERM or SIGINT.
 */
export function serveSink(port: number, answer: (req: Request) => Promise<string>): void {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    // A 1 GiB body is far above Bun's 128 MB default cap.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    idleTimeout: 120,
    async fetch(req) {
      return new Response(await answer(req), { headers: { "content-type": "text/plain" } });
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

if (import.meta.main) serveSink(Number(process.argv[2] ?? 0), async (req) => `${await drain(req.body)}\n`);
