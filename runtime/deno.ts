import { canConnect, freeBytesOf, openSpoolFile, spawnChild } from "./node-common.ts";
import { sendWithNodeHttp } from "./node-http-send.ts";
import type { Runtime, ServeOptions, Server } from "./types.ts";

// deno-lint-ignore no-explicit-any
const D = (globalThis as any).Deno;

function serve(opts: ServeOptions): Promise<Server> {
  return new Promise((resolve, reject) => {
    try {
      const server = D.serve({
        hostname: opts.hostname,
        port: opts.port,
        onListen({ port }: { port: number }) {
          resolve({
            port,
            // shutdown() stops the listener and resolves once in-flight
            // responses are written.
            close: () => server.shutdown(),
          });
        },
        // Deno.serve has no per-connection idle timeout to lift.
        handler: (req: Request, info: { remoteAddr: { hostname: string } }) =>
          opts.handler(req, { clientAddress: info.remoteAddr.hostname, holdOpen: () => {} }),
      });
    } catch (e) {
      reject(e);
    }
  });
}

/** The Deno implementation of {@link Runtime}. */
export const denoRuntime: Runtime = {
  name: "deno",
  version: D.version.deno,
  args: [...D.args],
  selfCommand: () => [D.execPath(), "run", "-A", new URL("../src/main.ts", import.meta.url).pathname],
  serve,
  send: sendWithNodeHttp,
  canConnect,
  openSpool: openSpoolFile,
  freeBytes: freeBytesOf,
  onShutdownSignal(fn) {
    D.addSignalListener("SIGINT", () => fn("SIGINT"));
    D.addSignalListener("SIGTERM", () => fn("SIGTERM"));
  },
  spawn: spawnChild,
  exit: (code) => D.exit(code) as never,
};
