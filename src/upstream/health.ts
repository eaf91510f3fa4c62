import type { HealthCheckSpec } from "../config/upstream-flags.ts";
import type { Runtime } from "../../runtime/index.ts";
import type { ClientTls } from "../../runtime/socket-types.ts";
import type { PeerAddress } from "../config/address.ts";
import type { Group } from "./group.ts";
import type { Peer } from "./peer.ts";

// Health probes ignore interim responses.
const NO_INTERIM = { onInterim(): void {} };
import { Exchange } from "../transport/exchange.ts";
import { event } from "../log/events.ts";

/**
 * Active health checks for one group (NGINX Plus `health_check`, which open
 * source nginx lacks): every `intervalMs` each peer gets `GET path`; `fails`
 * bad probes in a row (a status outside the range, an error, or no answer
 * within `timeoutMs`) take it out, `passes` good ones put it back, and held
 * requests are woken at once. Both are `peer-down` and `peer-up` events
 * (source `health-check`) with the last probe's outcome.
 */
export class HealthChecker {
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #stopped = false;
  /** `--workers`: the primary runs the checks and tells its workers each change of `healthy`. */
  onChange: ((peer: Peer) => void) | undefined = undefined;

  /** @param tlsOf how to reach an https peer (the same checks as its requests), undefined for a plain one */
  constructor(
    readonly rt: Runtime,
    readonly group: Group,
    readonly spec: HealthCheckSpec,
    readonly tlsOf: (peer: PeerAddress) => ClientTls | undefined = () => undefined,
  ) {}

  /** Starts probing every peer; the first probe goes out at once. */
  start(): void {
    for (const peer of this.group.peers) this.#loop(peer, 0, 0);
  }

  /** Stops all probes (shutdown). */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  #loop(peer: Peer, good: number, bad: number): void {
    if (this.#stopped) return;
    void this.#probe(peer).then((outcome) => {
      const ok = outcome === GOOD;
      good = ok ? good + 1 : 0;
      bad = ok ? 0 : bad + 1;
      const base = { group: this.group.name, peer: peer.key, source: "health-check" };
      if (peer.healthy && bad >= this.spec.fails) {
        peer.healthy = false;
        event("peer-down", { ...base, reason: outcome, probes: bad });
        this.onChange?.(peer);
      } else if (!peer.healthy && good >= this.spec.passes) {
        peer.healthy = true;
        event("peer-up", { ...base, reason: outcome, probes: good });
        this.group.notify();
        this.onChange?.(peer);
      }
      if (this.#stopped) return;
      const t = setTimeout(() => {
        this.#timers.delete(t);
        this.#loop(peer, good, bad);
      }, this.spec.intervalMs);
      this.#timers.add(t);
    });
  }

  /** @returns {@link GOOD}, or why the probe failed: `status 503`, `refused`, `timeout`... */
  async #probe(peer: Peer): Promise<string> {
    const a = peer.address;
    const deadline = Date.now() + this.spec.timeoutMs;
    let ex: Exchange | undefined;
    const timer = setTimeout(() => ex?.cancel("read-timeout"), this.spec.timeoutMs);
    try {
      const socket = await this.rt.sockets.connect(
        a.socketPath ? { path: a.socketPath } : { host: a.host, port: a.port },
        this.spec.timeoutMs,
        this.tlsOf(a),
      );
      const left = Math.max(1, deadline - Date.now());
      ex = new Exchange({ socket, uses: 0, reused: false }, {
        head: ENC.encode(
          `GET ${this.spec.path} HTTP/1.1\r\nHost: ${
            a.socketPath ? "localhost" : a.key
          }\r\nUser-Agent: holdfast-health-check\r\nConnection: close\r\n\r\n`,
        ),
        body: { kind: "none" },
        openSpool: () => Promise.reject(new Error("no body")),
        method: "GET",
        readTimeoutMs: left,
        sendTimeoutMs: left,
        maxHeadBytes: 64 * 1024,
        interim: NO_INTERIM,
      });
      const head = await ex.response();
      ex.cancel("complete");
      return head.status >= this.spec.statusMin && head.status <= this.spec.statusMax ? GOOD : `status ${head.status}`;
    } catch (e) {
      return probeFailure(e);
    } finally {
      clearTimeout(timer);
    }
  }
}

const ENC = new TextEncoder();

// A probe whose status is in the range.
const GOOD = "ok";

/** Why a probe failed, as an attempt's kind (`refused`, `connect-timeout`, `read-timeout`, `tls`), else `error`. */
function probeFailure(e: unknown): string {
  // A ConnectError's `timeout` is the attempt kind `connect-timeout`.
  const kind = (e as { kind?: unknown }).kind;
  if (kind === "timeout") return "connect-timeout";
  return typeof kind === "string" ? kind : "error";
}
