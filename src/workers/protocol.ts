/**
 * The messages between holdfast's primary and its workers (`--workers`),
 * one JSON value per line over the channel of runtime/channel.ts.
 *
 * @module
 */
import type { StatusSnapshot } from "../admin/status-json.ts";

/** A worker's figures: `/status.json`'s snapshot and prom-client's `getMetricsAsJSON()`. */
export interface WorkerFigures {
  snapshot: StatusSnapshot;
  metrics: object[];
}

/** What a worker sends its primary. */
export type WorkerMessage =
  /** First message: which worker this is; `ready` once its listeners are bound. */
  | { t: "hello"; worker: number; pid: number }
  | { t: "ready" }
  /** Its own failures sent a peer out until `until` (epoch ms), or its trial brought it back (0). */
  | { t: "out"; group: string; peer: string; until: number }
  /** The answer to a `figures` request. */
  | { t: "figures"; id: number; figures: WorkerFigures | null }
  /** `--admin-path` on a worker's listener: the whole proxy's view, please. */
  | { t: "view"; id: number };

/** What the primary sends a worker. */
export type PrimaryMessage =
  /** An active health check's verdict (the primary runs them). */
  | { t: "health"; group: string; peer: string; healthy: boolean }
  /** Another worker's passive verdict, as in {@link WorkerMessage}. */
  | { t: "out"; group: string; peer: string; until: number }
  /** Send your figures, answering with the same id. */
  | { t: "figures"; id: number }
  /** The answer to a `view` request: the snapshot and the exposition text over all workers. */
  | { t: "view"; id: number; snapshot: StatusSnapshot; metrics: string };
