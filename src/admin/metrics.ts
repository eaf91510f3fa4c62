/**
 * `/metrics`: the admin state as Prometheus text (exposition format 0.0.4),
 * written by prom-client. Every series is read at scrape time through a
 * `collect` callback, from counters that requests fed as plain numbers
 * (metrics-counters.ts) or from the live state (metrics-gauges.ts), so a
 * request never touches prom-client.
 *
 * @module
 */
import { Registry } from "prom-client";
import { registerCounters } from "./metrics-counters.ts";
import { registerGauges } from "./metrics-gauges.ts";
import type { AdminState } from "./state.ts";

/** The content type of {@link MetricsRegistry.text}. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** A Prometheus registry over an {@link AdminState}; the metric list is in the README's Admin endpoint section. */
export class MetricsRegistry {
  readonly #registry = new Registry();
  readonly #beforeScrape: () => void;

  constructor(state: AdminState) {
    registerCounters(this.#registry, state);
    this.#beforeScrape = registerGauges(this.#registry, state);
  }

  /** The exposition text, every series read now. */
  text(): Promise<string> {
    this.#beforeScrape();
    return this.#registry.metrics();
  }

  /** Every series read now, as prom-client's JSON (`getMetricsAsJSON`), for a primary to sum over its workers. */
  json(): Promise<object[]> {
    this.#beforeScrape();
    return this.#registry.getMetricsAsJSON();
  }
}
