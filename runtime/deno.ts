import { denoSockets } from "./deno-sockets.ts";
import { nodeCertificates } from "./tls-certificates.ts";
import process from "node:process";
import { nodeFiles } from "./files.ts";
import { availableParallelism } from "node:os";
import { nodeChannels } from "./channel.ts";
import { canConnect, lookup, processAlive, spawnChild } from "./node-common.ts";
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

// Deno.kill has no signal 0; node:process's kill does it.
/** The Deno implementation of {@link Runtime}. */
export const denoRuntime: Runtime = {
  name: "deno",
  version: D.version.deno,
  args: [...D.args],
  pid: D.pid,
  // node:process names them as Bun does (x64, arm64), unlike Deno.build.arch.
  platform: `${process.platform}-${process.arch}`,
  processAlive,
  // node:process's streams, as before: they write every byte, where Deno.stdout.writeSync may not.
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  selfCommand: () => [D.execPath(), "run", "-A", new URL("../src/main.ts", import.meta.url).pathname],
  serve,
  canConnect,
  lookup,
  sockets: denoSockets,
  certificates: nodeCertificates,
  files: nodeFiles,
  openSpool: nodeFiles.openSpool,
  freeBytes: nodeFiles.freeBytes,
  onShutdownSignal(fn) {
    D.addSignalListener("SIGINT", () => fn("SIGINT"));
    D.addSignalListener("SIGTERM", () => fn("SIGTERM"));
  },
  onReloadSignal(fn) {
    D.addSignalListener("SIGHUP", fn);
  },
  spawn: spawnChild,
  cpuCount: () => availableParallelism(),
  channels: nodeChannels,
  exit: (code) => D.exit(code) as never,
};
