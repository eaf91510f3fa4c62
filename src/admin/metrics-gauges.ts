/**
 * The gauges of `/metrics` that show live state (requests in progress,
 * peers, spool, connections), read once per scrape.
 *
 * @module
 */
import { Gauge, type Registry } from "prom-client";
import type { SpoolUsage } from "../spool/store.ts";
import type { AdminState, LiveRequest, PeerState, StatusSnapshot } from "./state.ts";

const PEER_STATES: readonly PeerState[] = ["up", "backup", "passive-down", "active-down", "down"];

/**
 * Registers the live-state gauges in `r`.
 * @returns a function to call before each scrape: the live state is then read once, for every gauge
 */
export function registerGauges(r: Registry, state: AdminState): () => void {
  const registers = [r];
  let scrape: { inflight: LiveRequest[]; groups: StatusSnapshot["groups"]; spool: SpoolUsage[] } | undefined;
  const live = () => scrape ??= { inflight: state.inflight(), groups: state.groups(), spool: state.sources.store.usage() };
  new Gauge({
    name: "holdfast_inflight_requests",
    help: "Requests in progress.",
    registers,
    collect() {
      this.set(live().inflight.length);
    },
  });
  new Gauge({
    name: "holdfast_held_requests",
    help: "Requests in progress whose last attempt failed: held until a peer is back or --hold ends.",
    registers,
    collect() {
      this.set(live().inflight.filter((r) => r.phase === "held").length);
    },
  });
  new Gauge({
    name: "holdfast_peer_up",
    help: "1 when the peer may take requests now (up, or a backup on standby), else 0.",
    labelNames: ["group", "peer"],
    // Workers share peer health: every one says the same.
    aggregator: "first",
    registers,
    collect() {
      this.reset();
      for (const g of live().groups) {
        for (const p of g.peers) this.set({ group: g.name, peer: p.peer }, p.state === "up" || p.state === "backup" ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: "holdfast_peer_state",
    help: "1 for the peer's current state (up, backup, passive-down, active-down, down), 0 for the others.",
    labelNames: ["group", "peer", "state"],
    // Workers share peer health: every one says the same.
    aggregator: "first",
    registers,
    collect() {
      this.reset();
      for (const g of live().groups) {
        for (const p of g.peers) {
          for (const st of PEER_STATES) this.set({ group: g.name, peer: p.peer, state: st }, p.state === st ? 1 : 0);
        }
      }
    },
  });
  new Gauge({
    name: "holdfast_peer_inflight_requests",
    help: "Requests sent to the peer and not finished.",
    labelNames: ["group", "peer"],
    registers,
    collect() {
      this.reset();
      for (const g of live().groups) for (const p of g.peers) this.set({ group: g.name, peer: p.peer }, p.inflight);
    },
  });
  // Free space and the reserve are the directory's, the same from every worker: not summed.
  const spool = (name: string, help: string, pick: (u: SpoolUsage) => number, aggregator: "sum" | "first" = "sum") =>
    new Gauge({
      name,
      help,
      labelNames: ["dir"],
      aggregator,
      registers,
      collect() {
        this.reset();
        for (const u of live().spool) this.set({ dir: u.dir }, pick(u));
      },
    });
  spool("holdfast_spool_files", "Spool files of this process in the directory now.", (u) => u.files);
  spool("holdfast_spool_bytes", "Bytes of this process's spool files in the directory now.", (u) => u.bytes);
  spool("holdfast_spool_free_bytes", "Free bytes of the directory's file system (-1 when unreadable).", (u) => u.freeBytes, "first");
  spool("holdfast_spool_reserve_bytes", "--spool-reserve: free bytes a body must leave in the directory.", (u) => u.reserveBytes, "first");
  new Gauge({
    name: "holdfast_connections",
    help: "Open client connections by state, as nginx's stub_status: reading a head, writing (a request in progress), waiting (idle).",
    labelNames: ["state"],
    registers,
    collect() {
      const c = state.connections();
      this.set({ state: "reading" }, c.reading);
      this.set({ state: "writing" }, c.writing);
      this.set({ state: "waiting" }, c.waiting);
    },
  });
  return () => (scrape = undefined);
}
