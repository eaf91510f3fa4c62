/**
 * Full TLS handshakes per second with `openssl s_time -new`: each of several
 * s_time processes connects, does a full TLS 1.3 handshake (no session
 * offered: `-new`), sends one `GET / HTTP/1.0` (`-www /`), reads the answer
 * to the server's close, and starts again, one connection at a time. s_time
 * prints one character per connection as it goes (`*` a new session, `r` a
 * resumed one), so the handshakes within a measured window are counted from
 * its output as it arrives, after a warm-up, whatever its own whole-second
 * timing says.
 */
/// <reference types="bun-types" />
import type { Started } from "./proc.ts";

/** How to run the clients. */
export interface STimeOptions {
  port: number;
  /** s_time processes at once (each one connection at a time). */
  processes: number;
  /** Seconds from the start before the window opens (unmeasured). */
  warmupSeconds: number;
  /** Length of the measured window, seconds. */
  seconds: number;
  /** Called when the window opens and when it closes (CPU and RSS readings of the proxy). */
  onOpen(): void;
  onClose(): void;
  /** Registers each s_time process so an interrupted benchmark stops it too; `untrack` when it is done. */
  track(p: Started): void;
  untrack(p: Started): void;
}

/** What the clients did in the window. */
export interface STimeResult {
  /** Connections with a full (new-session) handshake completed in the window, all processes. */
  handshakes: number;
  /** Connections that resumed a session in the window (expected 0 with `-new`). */
  resumed: number;
  /** The window's length as measured, seconds. */
  windowSeconds: number;
  /** Processes that exited with a failure or before the window closed, with what they said. */
  failures: string[];
  /** Response bytes per connection, from each s_time's summary (0: it read nothing, or printed no summary). */
  bytesPerConnection: number[];
}

/** Counts s_time's progress characters: those on the line after its "Collecting ..." line. */
class Progress {
  full = 0;
  resumed = 0;
  #line = 0;
  feed(chunk: Uint8Array): void {
    for (const b of chunk) {
      if (b === 10) this.#line++;
      else if (this.#line === 1) {
        if (b === 42) this.full++; // '*'
        else if (b === 114) this.resumed++; // 'r'
      }
    }
  }
}

/**
 * Runs {@link STimeOptions.processes} `openssl s_time -new -tls1_3 -www /`
 * against 127.0.0.1:`port` and counts the handshakes between `warmupSeconds`
 * and `warmupSeconds + seconds` after their start. s_time stops itself (its
 * `-time` is one second past the window, as it counts whole seconds); a
 * process still running 30 s after that is killed.
 */
export async function sTime(o: STimeOptions): Promise<STimeResult> {
  const total = o.warmupSeconds + o.seconds + 1;
  const argv = ["openssl", "s_time", "-new", "-tls1_3", "-connect", `127.0.0.1:${o.port}`, "-www", "/", "-time", String(total)];
  const clients = Array.from({ length: o.processes }, () => {
    const proc = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    const started: Started = { name: "openssl s_time", pid: proc.pid, proc };
    o.track(started);
    const progress = new Progress();
    let text = "";
    const decoder = new TextDecoder();
    const stdout = (async () => {
      for await (const chunk of proc.stdout) {
        progress.feed(chunk);
        text += decoder.decode(chunk, { stream: true });
      }
    })();
    const stderr = new Response(proc.stderr).text();
    return { proc, started, progress, text: () => text, stdout, stderr };
  });
  const killer = setTimeout(() => clients.forEach((c) => c.proc.kill("SIGKILL")), (total + 30) * 1000);
  try {
    await Bun.sleep(o.warmupSeconds * 1000);
    const count = () =>
      clients.reduce((s, c) => ({ full: s.full + c.progress.full, resumed: s.resumed + c.progress.resumed }), { full: 0, resumed: 0 });
    const before = count();
    const exitedEarly = () => clients.filter((c) => c.proc.exitCode !== null || c.proc.signalCode !== null).length;
    const earlyAtOpen = exitedEarly();
    const t0 = performance.now();
    o.onOpen();
    await Bun.sleep(o.seconds * 1000);
    o.onClose();
    const t1 = performance.now();
    const after = count();
    const earlyAtClose = exitedEarly();
    const failures: string[] = [];
    const bytesPerConnection: number[] = [];
    for (const c of clients) {
      const code = await c.proc.exited;
      await c.stdout;
      const err = (await c.stderr).trim();
      const out = c.text();
      if (code !== 0) failures.push(`s_time exited with ${code ?? c.proc.signalCode}: ${(err || out.slice(-300)).slice(0, 300)}`);
      bytesPerConnection.push(Number(/(\d+) bytes read per connection/.exec(out)?.[1] ?? 0));
    }
    if (earlyAtClose > 0 && failures.length === 0) failures.push(`${earlyAtClose} s_time process(es) ended before the window closed`);
    if (earlyAtOpen > 0) failures.push(`${earlyAtOpen} s_time process(es) ended during the warm-up`);
    return {
      handshakes: after.full - before.full,
      resumed: after.resumed - before.resumed,
      windowSeconds: (t1 - t0) / 1000,
      failures,
      bytesPerConnection,
    };
  } finally {
    clearTimeout(killer);
    for (const c of clients) {
      // Only after a failure above is one still running; it is ours, stopped by its PID.
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
      o.untrack(c.started);
    }
  }
}
