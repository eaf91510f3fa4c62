/**
 * The attempts of a request as two short lists, nginx's `$upstream_addr`
 * and `$upstream_status` made readable for a request held through an
 * outage: runs of the same value collapse to `value×N`, so 17 attempts on
 * one peer read `127.0.0.1:9001×17` and `refused×16,200`; a failure to
 * connect or to get a response head is named (`refused`, `connect-timeout`,
 * `reset`, `send-timeout`, `read-timeout`, `invalid-response`, `tls`)
 * instead of posing as an HTTP 502 or 504 that no peer sent.
 *
 * @module
 */
import type { AttemptRecord } from "../proxy/hold.ts";

// Beyond this many runs (attempts spread over many peers in turn), the first
// run and the last two (the last failure and the success, usually) are shown
// around `…×N`, N the attempts left out: a line stays short however long the
// hold (a 2-minute hold is ~125 attempts) and however many peers took turns.
const MAX_RUNS = 4;
const FIRST_RUNS = 1;
const LAST_RUNS = 2;

/** What an attempt's status list shows: the response status, or the failure's kind. */
function outcomeOf(a: AttemptRecord): string {
  return a.failure ?? String(a.status);
}

function peerOf(a: AttemptRecord): string {
  return a.peer;
}

/** `127.0.0.1:9001×17`, `127.0.0.1:3001,127.0.0.1:3002`; undefined when there was no attempt. */
export function upstreamSummary(attempts: readonly AttemptRecord[]): string | undefined {
  return summarise(attempts, peerOf);
}

/** `refused×16,200`, `502,200`; undefined when there was no attempt. */
export function statusSummary(attempts: readonly AttemptRecord[]): string | undefined {
  return summarise(attempts, outcomeOf);
}

/**
 * Runs of equal values as `v×N` joined by commas; beyond {@link MAX_RUNS}
 * runs, the first and the last two around `…×N`, N the attempts not shown.
 * @returns undefined for no attempts
 */
export function summarise(attempts: readonly AttemptRecord[], pick: (a: AttemptRecord) => string): string | undefined {
  const n = attempts.length;
  if (n === 0) return undefined;
  if (n === 1) return pick(attempts[0]);
  const values: string[] = [];
  const counts: number[] = [];
  for (const a of attempts) {
    const v = pick(a);
    if (values.length > 0 && values[values.length - 1] === v) {
      counts[counts.length - 1]++;
    } else {
      values.push(v);
      counts.push(1);
    }
  }
  const run = (i: number) => (counts[i] === 1 ? values[i] : `${values[i]}×${counts[i]}`);
  if (values.length <= MAX_RUNS) return values.map((_, i) => run(i)).join(",");
  const last = values.length - LAST_RUNS;
  let hidden = 0;
  for (let i = FIRST_RUNS; i < last; i++) hidden += counts[i];
  const shown: string[] = [];
  for (let i = 0; i < FIRST_RUNS; i++) shown.push(run(i));
  shown.push(`…×${hidden}`);
  for (let i = last; i < values.length; i++) shown.push(run(i));
  return shown.join(",");
}
