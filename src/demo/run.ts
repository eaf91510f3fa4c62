import type { Runtime } from "../../runtime/index.ts";
import { formatBytes } from "../config/units.ts";
import { type RunningProxy, startProxy } from "../server.ts";
import { DemoArgError, type DemoOptions, parseDemoArgs } from "./args.ts";
import { DemoUpstreamProcess } from "./child.ts";
import { freePorts } from "./net.ts";
import { uploadThroughOutage } from "./outage.ts";
import { judge } from "./verdict.ts";
import { createWorkspace, demoProxyConfig } from "./workspace.ts";

/**
 * `holdfast demo [--size SIZE] [--rate SIZE] [--keep]`: starts the demo
 * upstream as a child process and holdfast in this process, uploads SIZE
 * bytes (default 200m) at RATE bytes per second (default 50m) through
 * holdfast while the upstream is SIGKILLed at half and restarted after the
 * body is sent, then checks that the upstream stored exactly what was sent.
 * Cleans up the child, the proxy and the temp dirs (kept with `--keep`).
 * @param args the arguments after `demo`
 * @param print writes one line to stdout
 * @returns 0 when exactly one response came, it was 200, and the stored
 *   sha256 equals the sent one; 1 otherwise; 2 on bad flags (message on stderr)
 */
export async function runDemo(rt: Runtime, args: string[], print: (l: string) => void): Promise<number> {
  let o: DemoOptions;
  try {
    o = parseDemoArgs(args);
  } catch (e) {
    if (!(e instanceof DemoArgError)) throw e;
    rt.stderr(`holdfast demo: ${e.message}\n`);
    return 2;
  }
  const ws = createWorkspace(rt.files);
  const interrupt = new AbortController();
  rt.onShutdownSignal((sig) => interrupt.abort(new Error(`interrupted by ${sig}`)));
  let upstream: DemoUpstreamProcess | undefined;
  let proxy: RunningProxy | undefined;
  try {
    const [upstreamPort, proxyPort] = await freePorts(rt, "127.0.0.1", 2);
    print(
      `demo: uploading ${formatBytes(o.sizeBytes)} at ${formatBytes(o.rateBytesPerSecond)}/s through holdfast;` +
        " the upstream is SIGKILLed at half and restarted 1 s after the body is sent",
    );
    upstream = new DemoUpstreamProcess(rt, upstreamPort, ws.uploads);
    const ms = await upstream.start();
    print(`demo: upstream pid ${upstream.pid} is up on 127.0.0.1:${upstreamPort} (${ms} ms after spawn)`);
    proxy = await startProxy(rt, demoProxyConfig(proxyPort, upstreamPort, ws.spool), (l) => print(`holdfast | ${l}`));
    print(`demo: holdfast (${rt.name} ${rt.version}) is listening on 127.0.0.1:${proxy.port}, --hold 60s, spool ${ws.spool}`);
    const outcome = await uploadThroughOutage({
      upstream,
      url: `http://127.0.0.1:${proxy.port}/upload`,
      sizeBytes: o.sizeBytes,
      rateBytesPerSecond: o.rateBytesPerSecond,
      signal: interrupt.signal,
      print,
    });
    const verdict = judge({ ...outcome, storedFiles: ws.countUploads() });
    for (const line of verdict.lines) print(line);
    return verdict.ok ? 0 : 1;
  } catch (e) {
    print(`demo: FAIL: ${(e as Error).message}`);
    return 1;
  } finally {
    if (proxy) await proxy.shutdown();
    await upstream?.stop();
    if (o.keep) print(`demo: kept ${ws.roots.join(" and ")}`);
    else ws.remove();
  }
}
