/**
 * The admin view of one process: its own {@link AdminState} and a
 * Prometheus registry over it.
 *
 * @module
 */
import type { AdminView } from "./app.ts";
import { MetricsRegistry } from "./metrics.ts";
import type { AdminState } from "./state.ts";

/** An {@link AdminView} of this process alone, plus its metrics as JSON (what a worker sends its primary). */
export interface LocalView extends AdminView {
  /** Every series now as prom-client's JSON, for `AggregatorRegistry.aggregate`. */
  metricsJson(): Promise<object[]>;
}

/** The view of `state`, read at each call. */
export function localView(state: AdminState): LocalView {
  const metrics = new MetricsRegistry(state);
  return {
    snapshot: () => Promise.resolve(state.snapshot()),
    metrics: () => metrics.text(),
    metricsJson: () => metrics.json(),
  };
}
