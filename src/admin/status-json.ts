/**
 * The shape of `/status.json`, field by field as the README's Admin endpoint
 * section documents it. Times in ms (or ISO 8601 strings), sizes in bytes.
 *
 * @module
 */
import type { SpoolUsage } from "../spool/store.ts";

/** A peer's health as the status page says it. */
export type PeerState = "up" | "backup" | "passive-down" | "active-down" | "down";

/** One request in progress (`/status.json`'s `inflight[]`). Times in ms, sizes in bytes. */
export interface LiveRequest {
  id: string;
  method: string;
  target: string;
  client: string;
  /** The route label (`holdfast_requests_total`'s), `none` before routing. */
  route: string;
  group: string | null;
  /** `receiving` the body, `upstream` (sent to a peer, waiting for its answer), `held` (its last attempt failed), `responding`. */
  phase: "receiving" | "upstream" | "held" | "responding";
  ageMs: number;
  /** Body bytes received so far. */
  bodyBytes: number;
  /** The declared Content-Length, null when unknown. */
  declaredBytes: number | null;
  /** Average upload rate since the request began, bytes/s, while receiving; else null. */
  bodyRate: number | null;
  /** Time since the body ended while held or waiting for a peer; 0 while receiving. */
  heldMs: number;
  attempts: number;
  /** The peer of the last attempt (the one being retried while held), null before any. */
  peer: string | null;
  /** The last attempt's failure (`refused`, `reset`, ...) or response status. */
  lastOutcome: string | null;
  /** The response status once it is being relayed. */
  status: number | null;
  /** With `--workers`: the worker (1 to N) serving it; absent otherwise. */
  worker?: number;
}

/** One peer (`/status.json`'s `groups[].peers[]`). */
export interface PeerStatus {
  peer: string;
  state: PeerState;
  /** While `passive-down`: ISO time its fail-timeout ends; else null. */
  downUntil: string | null;
  backup: boolean;
  weight: number;
  /** Requests sent to it and not finished. */
  inflight: number;
  /** Attempts since start by outcome (`2xx`, `refused`, ...). */
  attempts: Record<string, number>;
}

/** `/status.json`: see the README's Admin endpoint section, field by field. */
export interface StatusSnapshot {
  version: string;
  runtime: string;
  platform: string;
  pid: number;
  startedAt: string;
  now: string;
  uptimeMs: number;
  counters: {
    requests: number;
    byStatus: Record<string, number>;
    bodyBytes: number;
    sentBytes: number;
    spooledBytes: number;
    heldRequests: number;
    attempts: number;
    failedAttempts: number;
    parseErrors: number;
    connectionsAccepted: number;
  };
  connections: { active: number; reading: number; writing: number; waiting: number };
  inflight: LiveRequest[];
  held: number;
  groups: { name: string; peers: PeerStatus[] }[];
  spool: SpoolUsage[];
  accessLog: string[];
}
