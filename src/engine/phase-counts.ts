import { BODY, BUSY, HEAD, IDLE, LINGER, TUNNEL } from "./conn-state.ts";
import type { ClientConnection } from "./client-conn.ts";

/** Open client connections by what they do, as nginx's stub_status counts them. */
export interface PhaseCounts {
  /** Reading a request head. */
  reading: number;
  /** A request in progress: its body, its upstream, its response, a tunnel, a lingering close. */
  writing: number;
  /** Idle keep-alive connections between requests. */
  waiting: number;
}

/**
 * Counts `conns` by phase, at the moment of asking (nginx `stub_status`'s
 * Reading, Writing, Waiting): read at scrape time, nothing per request.
 */
export function phaseCounts(conns: Iterable<ClientConnection>): PhaseCounts {
  const out = { reading: 0, writing: 0, waiting: 0 };
  for (const c of conns) {
    switch (c.phase) {
      case IDLE:
        out.waiting++;
        break;
      case HEAD:
        // A keep-alive connection whose next head has not started is waiting, as in nginx.
        if (c.input.bytes.byteLength === 0) out.waiting++;
        else out.reading++;
        break;
      case BODY:
      case BUSY:
      case TUNNEL:
      case LINGER:
        out.writing++;
        break;
    }
  }
  return out;
}
