/**
 * One proxy's figures out of N workers' (`--workers`): what the admin
 * endpoint of the primary shows. Counters and in-flight figures are summed,
 * requests in progress listed from every worker (each tagged with its
 * worker), peers merged by address, spool use summed per directory, and the
 * metrics summed by prom-client's own `AggregatorRegistry` (each series as
 * its `aggregator` says: build info and peer state are not summed).
 *
 * @module
 */
import { AggregatorRegistry } from "prom-client";
import type { PeerState, PeerStatus, StatusSnapshot } from "../admin/status-json.ts";
import { TAIL_LINES } from "../admin/state.ts";
import type { SpoolUsage } from "../spool/store.ts";

// When workers disagree for a moment (a verdict on its way), the worse state shows.
const SEVERITY: Record<PeerState, number> = { up: 0, backup: 0, "passive-down": 1, "active-down": 2, down: 3 };

/** Adds `b`'s numbers into `a`, key by key. */
function addInto(a: Record<string, number>, b: Record<string, number>): void {
  for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
}

/**
 * Merges the snapshots of the workers that answered, in worker order.
 * @param primary the primary's pid and start time (epoch ms): the proxy's own
 * @returns one snapshot; `inflight[]` entries carry `worker` (1 to N)
 */
export function mergeSnapshots(
  parts: { worker: number; snapshot: StatusSnapshot }[],
  primary: { pid: number; startedAt: number; now: number },
): StatusSnapshot {
  const first = parts[0].snapshot;
  const counters = structuredClone(first.counters);
  const connections = { ...first.connections };
  const groups = structuredClone(first.groups);
  const spool = first.spool.map((u) => ({ ...u }));
  for (const { snapshot: s } of parts.slice(1)) {
    for (const k of Object.keys(counters) as (keyof typeof counters)[]) {
      if (k === "byStatus") addInto(counters.byStatus, s.counters.byStatus);
      else counters[k] += s.counters[k];
    }
    for (const k of Object.keys(connections) as (keyof typeof connections)[]) connections[k] += s.connections[k];
    for (const g of s.groups) {
      const mine = groups.find((x) => x.name === g.name);
      if (mine) { for (const p of g.peers) mergePeer(mine.peers.find((x) => x.peer === p.peer), p); }
    }
    for (const u of s.spool) mergeSpool(spool.find((x) => x.dir === u.dir), u);
  }
  const inflight = parts.flatMap(({ worker, snapshot }) => snapshot.inflight.map((r) => ({ ...r, worker })));
  inflight.sort((a, b) => b.ageMs - a.ageMs);
  // Lines carry their own times in three formats: the tail lists each worker's last lines, worker by worker.
  const share = Math.ceil(TAIL_LINES / parts.length);
  const accessLog = parts.flatMap((p) => p.snapshot.accessLog.slice(-share));
  return {
    ...first,
    pid: primary.pid,
    startedAt: new Date(primary.startedAt).toISOString(),
    now: new Date(primary.now).toISOString(),
    uptimeMs: primary.now - primary.startedAt,
    counters,
    connections,
    inflight,
    held: parts.reduce((n, p) => n + p.snapshot.held, 0),
    groups,
    spool,
    accessLog,
  };
}

/** Folds another worker's view of a peer into `into`. */
function mergePeer(into: PeerStatus | undefined, p: PeerStatus): void {
  if (!into) return;
  into.inflight += p.inflight;
  addInto(into.attempts, p.attempts);
  if (SEVERITY[p.state] > SEVERITY[into.state]) {
    into.state = p.state;
    into.downUntil = p.downUntil;
  }
}

/** Folds another worker's use of a spool directory into `into`: its files are its own; the free space is the directory's. */
function mergeSpool(into: SpoolUsage | undefined, u: SpoolUsage): void {
  if (!into) return;
  into.files += u.files;
  into.bytes += u.bytes;
}

/** The Prometheus text over every worker's metrics (`getMetricsAsJSON()` each). */
export function mergeMetrics(parts: object[][]): Promise<string> {
  return AggregatorRegistry.aggregate(parts).metrics();
}
