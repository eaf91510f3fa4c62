/**
 * What the admin endpoint shows, gathered from where it lives: requests in
 * progress (the in-flight set), peers and their health (the groups), spool
 * use (the store), client connections (the engine), counters and the
 * access-log tail (fed per finished request). The lifecycle feeds it through
 * cheap hooks; everything else is read when a page, a scrape or a dashboard
 * asks ({@link AdminState.snapshot}), so a request costs the same whether
 * anyone looks or not.
 *
 * @module
 */
import type { ClientConnection } from "../engine/client-conn.ts";
import { phaseCounts } from "../engine/phase-counts.ts";
import type { RequestRecord } from "../proxy/request-record.ts";
import type { SpoolStore } from "../spool/store.ts";
import type { Group } from "../upstream/group.ts";
import type { Peer } from "../upstream/peer.ts";
import { type AccessFormatter, AccessTail } from "./access-tail.ts";
import { type CountedRecord, RequestStats, routeLabel, STATUS_CLASSES } from "./stats.ts";
import type { LiveRequest, PeerState, PeerStatus, StatusSnapshot } from "./status-json.ts";

export type { LiveRequest, PeerState, PeerStatus, StatusSnapshot } from "./status-json.ts";

/** Access-log lines the status page shows. */
export const TAIL_LINES = 50;

/** Where the admin endpoint's figures come from; built once by server.ts. */
export interface AdminSources {
  /** Requests in progress (`Inflight.track()`). */
  live: ReadonlySet<RequestRecord>;
  /** Open client connections. */
  conns: ReadonlySet<ClientConnection>;
  groups: readonly Group[];
  store: SpoolStore;
  /** Bytes on disk of a file, for a body the runtime writes off the JavaScript thread; undefined when gone. */
  fileSize(path: string): number | undefined;
  /** The access log's line format. */
  format: AccessFormatter;
  /** `holdfast_build_info` and the page's title. */
  build: { version: string; runtime: string; runtimeVersion: string; platform: string; pid: number };
  /** Requests refused by `--limit-req` (and route zones) and by `--limit-conn` since start. */
  limitRefusals?: () => { req: number; conn: number };
}

/** The admin endpoint's state: counters fed per request, and {@link snapshot} for everything else. */
export class AdminState {
  readonly stats = new RequestStats();
  readonly tail: AccessTail;
  /** Client connections accepted since start (stub_status `accepts`, `handled`). */
  accepted = 0;

  constructor(readonly sources: AdminSources) {
    this.tail = new AccessTail(TAIL_LINES, sources.format);
  }

  /** Counts a finished request and keeps it for the tail; `label` overrides its route label (`admin`). */
  done(r: CountedRecord, now: number, label?: string): void {
    this.stats.record(r, label);
    this.tail.push(r, now);
  }

  /** Requests started since start: finished ones, parse errors, and those in progress (stub_status `requests`). */
  get requestsStarted(): number {
    return this.stats.requests + this.sources.live.size;
  }

  /** The state of a peer at `now` (epoch ms). */
  peerState(p: Peer, now: number): PeerState {
    if (p.down) return "down";
    if (!p.healthy) return "active-down";
    if (p.outUntil > now) return "passive-down";
    return p.backup ? "backup" : "up";
  }

  /** Open client connections by phase, read now (stub_status's Active, Reading, Writing, Waiting). */
  connections(): StatusSnapshot["connections"] {
    const c = phaseCounts(this.sources.conns);
    return { active: c.reading + c.writing + c.waiting, ...c };
  }

  /** The requests in progress, oldest first, read at `now` (epoch ms). */
  inflight(now = Date.now()): LiveRequest[] {
    return Array.from(this.sources.live, (r) => this.#live(r, now));
  }

  /** Every group's peers and their health at `now` (epoch ms). */
  groups(now = Date.now()): StatusSnapshot["groups"] {
    const s = this.stats;
    return this.sources.groups.map((g) => ({
      name: g.name,
      peers: g.peers.map((p): PeerStatus => {
        const state = this.peerState(p, now);
        return {
          peer: p.key,
          state,
          downUntil: state === "passive-down" ? new Date(p.outUntil).toISOString() : null,
          backup: p.backup,
          weight: p.weight,
          inflight: p.inflight,
          attempts: s.outcomesOf(p.key),
        };
      }),
    }));
  }

  /** Everything `/status.json` says, read now. */
  snapshot(now = Date.now()): StatusSnapshot {
    const s = this.stats;
    const src = this.sources;
    const inflight = this.inflight(now);
    const byStatus: Record<string, number> = {};
    STATUS_CLASSES.forEach((c, i) => (byStatus[c] = s.byStatus[i]));
    return {
      version: src.build.version,
      runtime: `${src.build.runtime} ${src.build.runtimeVersion}`,
      platform: src.build.platform,
      pid: src.build.pid,
      startedAt: new Date(s.startedAt).toISOString(),
      now: new Date(now).toISOString(),
      uptimeMs: now - s.startedAt,
      counters: {
        requests: s.requests,
        byStatus,
        bodyBytes: s.bodyBytes,
        sentBytes: s.sentBytes,
        spooledBytes: s.spooledBytes,
        heldRequests: s.heldRequests,
        attempts: s.attempts,
        failedAttempts: s.failedAttempts,
        parseErrors: s.parseErrors,
        connectionsAccepted: this.accepted,
      },
      connections: this.connections(),
      inflight,
      held: inflight.filter((r) => r.phase === "held").length,
      groups: this.groups(now),
      spool: src.store.usage(),
      accessLog: this.tail.lines(),
    };
  }

  #live(r: RequestRecord, now: number): LiveRequest {
    const last = r.attempts.at(-1);
    // A body the runtime moves to its file off the JavaScript thread is counted there once complete: its file grows first.
    const path = r.body?.path;
    const bytes = Math.max(r.body?.size ?? 0, path ? this.sources.fileSize(path) ?? 0 : 0);
    const receiving = r.bodyEndedAt === 0;
    // Held once it has waited for a peer (a request whose only peer is down may never make an attempt) or one failed it.
    const held = r.heldSince !== 0 || last?.failure !== undefined;
    const phase = receiving ? "receiving" : r.status !== 0 ? "responding" : held ? "held" : "upstream";
    const age = now - r.startedAt;
    return {
      id: r.id,
      method: r.method,
      target: r.target,
      client: r.clientAddress,
      route: r.route ? routeLabel(r.route) : "none",
      group: r.route?.group.name ?? null,
      phase,
      ageMs: age,
      bodyBytes: bytes,
      declaredBytes: r.declaredBytes >= 0 ? r.declaredBytes : null,
      bodyRate: receiving && age > 0 ? Math.round(bytes * 1000 / age) : null,
      heldMs: receiving || r.status !== 0 ? 0 : now - r.bodyEndedAt,
      attempts: r.attempts.length,
      peer: last?.peer ?? null,
      lastOutcome: last ? last.failure ?? String(last.status) : null,
      status: r.status !== 0 ? r.status : null,
    };
  }
}
