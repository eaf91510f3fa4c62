/**
 * `/metrics`: the admin state as Prometheus text (exposition format 0.0.4),
 * written by prom-client. Every series is read at scrape time through a
 * `collect` callback from counters that requests fed as plain numbers
 * (stats.ts) or from the live state (peers, spool, connections), so a
 * request never touches prom-client.
 *
 * @module
 */
import { Counter, Gauge, type Metric, Registry } from "prom-client";
import type { Buckets } from "./buckets.ts";
import type { AdminState, PeerState } from "./state.ts";
import { METHOD_CLASSES, OUTCOMES, STATUS_CLASSES } from "./stats.ts";

const PEER_STATES: readonly PeerState[] = ["up", "backup", "passive-down", "active-down", "down"];

/** The content type of {@link MetricsRegistry.text}. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** A Prometheus registry over an {@link AdminState}; the metric list is in the README's Admin endpoint section. */
export class MetricsRegistry {
  readonly #registry = new Registry();

  constructor(state: AdminState) {
    const r = this.#registry;
    const s = state.stats;
    const b = state.sources.build;
    const registers = [r];
    // A snapshot per scrape, shared by the gauges that read live state.
    let snap: ReturnType<AdminState["snapshot"]> | undefined;
    const live = () => snap ??= state.snapshot();
    this.#beforeScrape = () => (snap = undefined);

    new Gauge({
      name: "holdfast_build_info",
      help: "Always 1; the labels say which holdfast runs on which runtime.",
      labelNames: ["version", "runtime", "runtime_version", "platform"],
      registers,
      collect() {
        this.set({ version: b.version, runtime: b.runtime, runtime_version: b.runtimeVersion, platform: b.platform }, 1);
      },
    });
    new Gauge({
      name: "holdfast_start_time_seconds",
      help: "When holdfast started, in seconds since the epoch.",
      registers,
      collect() {
        this.set(s.startedAt / 1000);
      },
    });
    new Counter({
      name: "holdfast_requests_total",
      help: "Finished requests by route, method class and status class (parse errors under route none).",
      labelNames: ["route", "method", "status_class"],
      registers,
      collect() {
        this.reset();
        for (const rc of s.routes()) {
          rc.counts.forEach((n, i) => {
            if (n === 0) return;
            const m = METHOD_CLASSES[(i / STATUS_CLASSES.length) | 0];
            this.inc({ route: rc.label, method: m, status_class: STATUS_CLASSES[i % STATUS_CLASSES.length] }, n);
          });
        }
      },
    });
    counter(r, "holdfast_request_body_bytes_total", "Request body bytes received from clients.", () => s.bodyBytes);
    counter(r, "holdfast_response_body_bytes_total", "Response body bytes sent to clients.", () => s.sentBytes);
    counter(r, "holdfast_spooled_bytes_total", "Request body bytes written to spool files (past --body-buffer).", () => s.spooledBytes);
    counter(
      r,
      "holdfast_held_requests_total",
      "Requests that needed more than one attempt or whose attempt failed (held, retried, or given up on).",
      () => s.heldRequests,
    );
    counter(r, "holdfast_connections_accepted_total", "Client connections accepted.", () => state.accepted);
    new Counter({
      name: "holdfast_upstream_attempts_total",
      help: "Attempts to peers by outcome: the response's status class, or why none came (refused, connect-timeout, reset, ...).",
      labelNames: ["peer", "outcome"],
      registers,
      collect() {
        this.reset();
        for (const p of s.peers()) {
          p.outcomes.forEach((n, i) => n > 0 && this.inc({ peer: p.peer, outcome: OUTCOMES[i] }, n));
        }
      },
    });
    histogram(r, "holdfast_held_seconds", "Time a request waited for a peer after its body ended, of requests that went to one.", () => [
      [{}, s.held],
    ]);
    histogram(
      r,
      "holdfast_upstream_response_seconds",
      "Time from the start of an attempt to the peer's response head, of attempts that got one.",
      () => [...s.peers()].map((p) => [{ peer: p.peer }, p.response]),
    );
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
        this.set(live().held);
      },
    });
    new Gauge({
      name: "holdfast_peer_up",
      help: "1 when the peer may take requests now (up, or a backup on standby), else 0.",
      labelNames: ["group", "peer"],
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
    const spool = (name: string, help: string, pick: (u: ReturnType<AdminState["snapshot"]>["spool"][number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["dir"],
        registers,
        collect() {
          this.reset();
          for (const u of live().spool) this.set({ dir: u.dir }, pick(u));
        },
      });
    spool("holdfast_spool_files", "Spool files of this process in the directory now.", (u) => u.files);
    spool("holdfast_spool_bytes", "Bytes of this process's spool files in the directory now.", (u) => u.bytes);
    spool("holdfast_spool_free_bytes", "Free bytes of the directory's file system (-1 when unreadable).", (u) => u.freeBytes);
    spool("holdfast_spool_reserve_bytes", "--spool-reserve: free bytes a body must leave in the directory.", (u) => u.reserveBytes);
    new Gauge({
      name: "holdfast_connections",
      help: "Open client connections by state, as nginx's stub_status: reading a head, writing (a request in progress), waiting (idle).",
      labelNames: ["state"],
      registers,
      collect() {
        const c = live().connections;
        this.set({ state: "reading" }, c.reading);
        this.set({ state: "writing" }, c.writing);
        this.set({ state: "waiting" }, c.waiting);
      },
    });
  }

  #beforeScrape: () => void;

  /** The exposition text, every series read now. */
  text(): Promise<string> {
    this.#beforeScrape();
    return this.#registry.metrics();
  }
}

/** A counter whose value is read at scrape time. */
function counter(r: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [r],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/**
 * A histogram read at scrape time from {@link Buckets}: prom-client's own
 * Histogram can only be fed per observation, so this is a metric of the
 * shape its registry formats (the `get()` every prom-client metric has).
 */
function histogram(r: Registry, name: string, help: string, read: () => [Record<string, string>, Buckets][]): void {
  const metric = {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    get() {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      for (const [labels, h] of read()) {
        const cum = h.cumulative();
        h.bounds.forEach((le, i) => values.push({ labels: { ...labels, le }, value: cum[i], metricName: `${name}_bucket` }));
        values.push({ labels: { ...labels, le: "+Inf" }, value: cum[cum.length - 1], metricName: `${name}_bucket` });
        values.push({ labels, value: h.sum, metricName: `${name}_sum` });
        values.push({ labels, value: h.count, metricName: `${name}_count` });
      }
      return Promise.resolve({ name, help, type: "histogram", values, aggregator: "sum" });
    },
  };
  r.registerMetric(metric as unknown as Metric);
}
