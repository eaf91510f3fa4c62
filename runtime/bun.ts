/// <reference types="bun-types" />
import { bunSockets } from "./bun-sockets.ts";
import { nodeCertificates } from "./tls-certificates.ts";
import { nodeFiles } from "./files.ts";
import { availableParallelism } from "node:os";
import { nodeChannels } from "./channel.ts";
import { canConnect, lookup, processAlive, spawnChild } from "./node-common.ts";
import type { Runtime, ServeOptions, Server } from "./types.ts";

// Bun.serve caps idleTimeout at 255 s.
const MAX_IDLE_S = 255;

function serve(opts: ServeOptions): Promise<Server> {
  const server = Bun.serve({
    hostname: opts.hostname,
    port: opts.port,
    idleTimeout: Math.min(MAX_IDLE_S, Math.max(1, Math.ceil(opts.idleTimeoutMs / 1000))),
    // Bun's default cap is 128 MB; holdfast enforces --max-body itself.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    fetch(req, srv) {
      return opts.handler(req, {
        clientAddress: srv.requestIP(req)?.address ?? "",
        holdOpen: () => srv.timeout(req, 0),
      });
    },
  });
  return Promise.resolve({
    port: server.port ?? opts.port,
    // false: in-flight requests finish; the listener closes now.
    close: () => server.stop(false),
  });
}

/** The Bun implementation of {@link Runtime}. */
export const bunRuntime: Runtime = {
  name: "bun",
  version: Bun.version,
  args: process.argv.slice(2),
  pid: process.pid,
  platform: `${process.platform}-${process.arch}`,
  processAlive,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  selfCommand: () =>
    // A compiled binary's argv[1] is its virtual entry (under /$bunfs/).
    process.argv[1]?.startsWith("/$bunfs/") || !process.argv[1] ? [process.execPath] : [process.execPath, process.argv[1]],
  serve,
  canConnect,
  lookup,
  sockets: bunSockets,
  certificates: nodeCertificates,
  files: nodeFiles,
  openSpool: nodeFiles.openSpool,
  freeBytes: nodeFiles.freeBytes,
  onShutdownSignal(fn) {
    process.on("SIGINT", () => fn("SIGINT"));
    process.on("SIGTERM", () => fn("SIGTERM"));
  },
  onReloadSignal(fn) {
    process.on("SIGHUP", fn);
  },
  spawn: spawnChild,
  cpuCount: () => availableParallelism(),
  channels: nodeChannels,
  exit: (code) => process.exit(code),
};
