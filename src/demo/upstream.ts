import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Runtime } from "../../runtime/index.ts";
import { storeUpload } from "./store-upload.ts";

// How often the upstream checks that the process that started it still runs.
const PARENT_CHECK_MS = 1000;

/**
 * The demo's sample upload server: `holdfast demo-upstream --port N --dir DIR
 * [--parent-pid PID]`. Listens on 127.0.0.1:N; each POST or PUT body is
 * streamed into a new file in DIR while hashed, and answered 200 with JSON
 * `{"bytes":N,"sha256":"hex","file":"path"}` (bytes in bytes, sha256 in
 * lowercase hex); other methods get 405. Prints one line once listening.
 * Holds no state outside DIR, so it can be SIGKILLed at any moment; with
 * `--parent-pid` it exits once that process is gone.
 * Exits 2 on bad flags; rejects when DIR cannot be created or the port bound.
 */
export async function runDemoUpstream(rt: Runtime, args: string[], print: (l: string) => void): Promise<void> {
  let o: { port: number; dir: string; parentPid?: number };
  try {
    o = parseUpstreamArgs(args);
  } catch (e) {
    rt.stderr(`holdfast demo-upstream: ${(e as Error).message}\n`);
    rt.exit(2);
  }
  rt.files.mkdirp(o.dir, 0o777);
  let seq = 0;
  const server = await rt.serve({
    hostname: "127.0.0.1",
    port: o.port,
    idleTimeoutMs: 75_000,
    handler: async (req, conn) => {
      if (req.method !== "POST" && req.method !== "PUT") {
        return new Response("demo-upstream: POST or PUT a body\n", { status: 405, headers: { allow: "POST, PUT" } });
      }
      // A large body may take longer than the idle timeout to arrive.
      conn.holdOpen();
      // The pid keeps names unique across restarts into the same directory.
      const path = join(o.dir, `upload-${rt.pid}-${++seq}.bin`);
      try {
        const stored = await storeUpload(rt.files, req.body, path);
        return new Response(JSON.stringify(stored), { headers: { "content-type": "application/json" } });
      } catch (e) {
        return new Response(`demo-upstream: cannot store the upload: ${(e as Error).message}\n`, { status: 500 });
      }
    },
  });
  print(`demo-upstream: pid ${rt.pid} listening on 127.0.0.1:${server.port}, storing uploads in ${o.dir}`);
  if (o.parentPid !== undefined) watchParent(rt, o.parentPid);
}

function parseUpstreamArgs(argv: string[]): { port: number; dir: string; parentPid?: number } {
  const usage = "usage: holdfast demo-upstream --port N --dir DIR [--parent-pid PID]";
  let values: { port?: string; dir?: string; "parent-pid"?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { port: { type: "string" }, dir: { type: "string" }, "parent-pid": { type: "string" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new Error(`${(e as Error).message.split("\n")[0]}; ${usage}`);
  }
  const port = Number(values.port);
  if (!/^\d{1,5}$/.test(values.port ?? "") || port > 65535) {
    throw new Error(`Cannot use --port ${JSON.stringify(values.port ?? "")}: expected a port from 0 to 65535; ${usage}`);
  }
  if (!values.dir) throw new Error(`--dir is required; ${usage}`);
  const pp = values["parent-pid"];
  if (pp !== undefined && !/^[1-9]\d*$/.test(pp)) throw new Error(`Cannot use --parent-pid "${pp}": expected a process id`);
  return { port, dir: resolve(values.dir), parentPid: pp === undefined ? undefined : Number(pp) };
}

function watchParent(rt: Runtime, pid: number): void {
  setInterval(() => {
    if (!rt.processAlive(pid)) rt.exit(0);
  }, PARENT_CHECK_MS);
}
