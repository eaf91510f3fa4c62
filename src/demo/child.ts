import type { Child, Runtime } from "../../runtime/index.ts";
import { sleep } from "./net.ts";

/** What the demo's upstream process is doing, as the progress line shows it. */
export type UpstreamState = "starting" | "up" | "killed" | "restarting" | "stopped";

// A cold Deno start transpiles every module before listening; leave room for that.
const START_TIMEOUT_MS = 30_000;
const PROBE_INTERVAL_MS = 50;

/**
 * The demo upstream (`holdfast demo-upstream`) as a child process of the demo,
 * started again on the same port and directory after a kill.
 */
export class DemoUpstreamProcess {
  state: UpstreamState = "stopped";
  #child: Child | undefined;
  #startedOnce = false;
  #closed = false;

  /**
   * @param port TCP port on 127.0.0.1 the upstream listens on, every time
   * @param dir where it stores uploads
   */
  constructor(readonly rt: Runtime, readonly port: number, readonly dir: string) {}

  /** The current child's pid, or -1 before the first start. */
  get pid(): number {
    return this.#child?.pid ?? -1;
  }

  /**
   * Spawns the upstream (after the previous one, if any, has exited, so the
   * port is free) and resolves once it accepts connections.
   * @returns milliseconds from spawn to accepting
   * @throws when it exits first, does not listen within 30 s (it is killed),
   *   or {@link DemoUpstreamProcess.stop} was called
   */
  async start(): Promise<number> {
    if (this.#child) await this.#child.exited;
    // stop() may have run while the old child was exiting.
    if (this.#closed) throw new Error("demo-upstream was stopped before it could start again");
    this.state = this.#startedOnce ? "restarting" : "starting";
    this.#startedOnce = true;
    const spawnedAt = Date.now();
    // deno-fmt-ignore: a flag and its value on one line
    const child = this.rt.spawn([
      ...this.rt.selfCommand(), "demo-upstream",
      "--port", String(this.port), "--dir", this.dir,
      // Should the demo itself be SIGKILLed, the upstream does not linger.
      "--parent-pid", String(this.rt.pid),
    ]);
    this.#child = child;
    let exitCode: number | undefined;
    void child.exited.then((c) => (exitCode = c));
    while (!(await this.rt.canConnect({ host: "127.0.0.1", port: this.port }, 250))) {
      if (exitCode !== undefined) {
        this.state = "stopped";
        throw new Error(`demo-upstream exited with status ${exitCode} before listening on port ${this.port}`);
      }
      if (Date.now() - spawnedAt > START_TIMEOUT_MS) {
        child.kill("SIGKILL");
        throw new Error(`demo-upstream did not listen on port ${this.port} within ${START_TIMEOUT_MS} ms`);
      }
      await sleep(PROBE_INTERVAL_MS);
    }
    this.state = "up";
    return Date.now() - spawnedAt;
  }

  /** SIGKILL, without warning, the way a crash or the OOM killer ends a process. */
  kill(): void {
    this.#child?.kill("SIGKILL");
    this.state = "killed";
  }

  /** Kills the current child, if any, waits for it to exit, and forbids starting again. Never throws. */
  async stop(): Promise<void> {
    this.#closed = true;
    const c = this.#child;
    if (!c) return;
    c.kill("SIGKILL");
    await c.exited;
    this.state = "stopped";
  }
}
