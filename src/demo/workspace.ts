import { join } from "node:path";
import type { Files } from "../../runtime/index.ts";
import { parseCommandLine } from "../config/parse.ts";
import type { Config } from "../config/schema.ts";

/** The demo's temporary directories. */
export interface Workspace {
  /** Where the demo upstream stores uploads. */
  uploads: string;
  /** holdfast's spool directory. */
  spool: string;
  /** Every directory {@link Workspace.remove} deletes. */
  roots: string[];
  /** Deletes the directories and all in them. Never throws. */
  remove(): void;
  /** Complete uploads the upstream stored (its `.part` files not counted). */
  countUploads(): number;
}

/**
 * Creates fresh temp directories: uploads under the OS temp dir, the spool in
 * /dev/shm when there is one (as holdfast's default), since an fsync of a
 * large spool file to disk could outlast the upstream's outage.
 * @throws when a directory cannot be created
 */
export function createWorkspace(files: Files): Workspace {
  const root = files.makeTempDir(join(files.tempDir(), "holdfast-demo-"));
  const uploads = join(root, "uploads");
  files.mkdirp(uploads, 0o777);
  const roots = [root];
  let spool = join(root, "spool");
  if (files.exists("/dev/shm")) {
    spool = files.makeTempDir("/dev/shm/holdfast-demo-spool-");
    roots.push(spool);
  }
  return {
    uploads,
    spool,
    roots,
    remove: () => roots.forEach((d) => files.remove(d, { recursive: true })),
    countUploads: () => files.list(uploads).filter((n) => n.endsWith(".bin")).length,
  };
}

/**
 * The holdfast config the demo runs with, built by the real flag parser:
 * listen on 127.0.0.1:`proxyPort`, one upstream 127.0.0.1:`upstreamPort`,
 * `--hold 60s`, and a short `--shutdown-timeout` so a failed run ends quickly.
 * @throws {ConfigError} never for valid ports
 */
export function demoProxyConfig(proxyPort: number, upstreamPort: number, spoolDir: string): Config {
  // deno-fmt-ignore: a flag and its value on one line
  const cmd = parseCommandLine([
    "--listen", `127.0.0.1:${proxyPort}`,
    "--upstream", `127.0.0.1:${upstreamPort}`,
    "--spool", spoolDir,
    "--hold", "60s",
    "--shutdown-timeout", "5s",
  ], spoolDir);
  if (cmd.kind !== "serve") throw new Error(`demo: unexpected command ${cmd.kind}`);
  return cmd.config;
}
