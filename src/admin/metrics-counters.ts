/**
 * The counters and histograms of `/metrics`, from what requests fed as plain
 * numbers (stats.ts), copied into prom-client at scrape time by `collect`
 * callbacks, and the build info.
 *
 * @module
 */
import { Counter, Gauge, type Metric, type Registry } from "prom-client";
import type { Buckets } from "./buckets.ts";
import type { AdminState } from "./state.ts";
import { METHOD_CLASSES, OUTCOMES, STATUS_CLASSES } from "./stats.ts";

/** Registers the counters since start, the histograms and `holdfast_build_info` in `r`. */
export function registerCounters(r: Registry, state: AdminState): void {
  const s = state.stats;
  const b = state.sources.build;
  const registers = [r];
  new Gauge({
    name: "holdfast_build_info",
    help: "Always 1; the labels say which holdfast runs on which runtime.",
    labelNames: ["version", "runtime", "runtime_version", "platform"],
    // Summed over --workers it would say N: every worker runs the same build.
    aggregator: "first",
    registers,
    collect() {
      this.set({ version: b.version, runtime: b.runtime, runtime_version: b.runtimeVersion, platform: b.platform }, 1);
    },
  });
  new Gauge({
    name: "holdfast_start_time_seconds",
    help: "When holdfast started, in seconds since the epoch.",
    aggregator: "min",
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
  const refusals = state.sources.limitRefusals;
  if (refusals) {
    new Counter({
      name: "holdfast_limit_refused_total",
      help: "Requests refused by --limit-req (429) and by --limit-conn (503 or 429).",
      labelNames: ["limit"],
      registers,
      collect() {
        const n = refusals();
        this.reset();
        this.inc({ limit: "req" }, n.req);
        this.inc({ limit: "conn" }, n.conn);
      },
    });
  }
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
