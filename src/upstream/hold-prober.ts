/**
 * The hold prober: while requests are held for a group, each of its peers is
 * probed every `--hold-probe-interval` (probe.ts), and the first peer that
 * answers wakes every held request of the group at once. One prober per
 * peer, however many requests wait: 1000 held uploads cost the peer one
 * connection per interval, not 1000 (Caddy instead retries each request
 * every `lb_try_interval`, 250 ms by default).
 *
 * @module
 */
import type { Group } from "./group.ts";
import type { Peer } from "./peer.ts";
import type { ProbeVerdict } from "./probe.ts";

/** Probes one peer once; never throws. */
export type ProbeFn = (peer: Peer) => Promise<ProbeVerdict>;

/**
 * Probes one peer at a fixed cadence while started: one probe at a time, the
 * next `intervalMs` after the previous one began (or at once when that one
 * took longer). Stopping and starting again keeps the cadence, so requests
 * that are woken and held again do not make it probe faster.
 */
class PeerProber {
  #running = false;
  #inFlight = false;
  #lastStart = -Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly peer: Peer, readonly probe: ProbeFn, readonly intervalMs: number, readonly onUp: () => void) {}

  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#inFlight) return;
    // The request that started the hold has just found the peer down: a probe now would tell nothing new.
    const due = this.#lastStart + this.intervalMs - Date.now();
    this.#schedule(due > 0 ? due : this.intervalMs);
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => this.#run(), ms);
  }

  #run(): void {
    this.#timer = undefined;
    this.#inFlight = true;
    this.#lastStart = Date.now();
    const done = (verdict: ProbeVerdict) => {
      this.#inFlight = false;
      if (verdict === "up") this.onUp();
      if (this.#running) this.#schedule(Math.max(0, this.#lastStart + this.intervalMs - Date.now()));
    };
    // A probe that throws (it should not) must not stop the cadence.
    this.probe(this.peer).then(done, () => done("down"));
  }
}

/** The probers of one group's peers, started and stopped by its held requests. */
export class HoldProber {
  readonly #probers: PeerProber[];

  /**
   * Hooks into `group.held`: probing starts when the first request is held
   * and stops when the last one is woken or gives up. Peers marked `down`
   * are never probed (they are never selected either).
   * @param intervalMs `--hold-probe-interval`
   */
  constructor(readonly group: Group, probe: ProbeFn, intervalMs: number) {
    const wake = () => group.notify();
    this.#probers = group.peers.filter((p) => !p.down).map((p) => new PeerProber(p, probe, intervalMs, wake));
    group.held.onBusy = (busy) => {
      for (const p of this.#probers) busy ? p.start() : p.stop();
    };
  }

  /** Stops probing for good (shutdown, once no request is left). */
  stop(): void {
    this.group.held.onBusy = undefined;
    for (const p of this.#probers) p.stop();
  }
}
