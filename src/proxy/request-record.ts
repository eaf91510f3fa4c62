import type { AccessRecord } from "../access-log.ts";
import type { RequestHead } from "../http1/head.ts";
import type { AttemptRecord } from "./hold.ts";
import type { Route } from "./routes.ts";

/** A request body as it arrives: the spooler or the stream, whose `size` grows (the status page's progress). */
export interface LiveBody {
  /** Body bytes received so far. */
  readonly size: number;
  /** The spool file while one exists (a body received off the JavaScript thread grows there first). */
  readonly path?: string;
  /** Whether the body went to a spool file (`holdfast_spooled_bytes_total`). */
  readonly spilled?: boolean;
}

// The process's start time, then a counter: unique in this process and
// across restarts (spool names also carry the pid), and cheap per request.
let ID_PREFIX = Date.now().toString(36);
let counter = 0;

/**
 * `--workers`: worker `n`'s ids carry `w<n>` after the start time, so that
 * workers started in the same millisecond never hand out the same id.
 */
export function tagRequestIds(worker: number): void {
  ID_PREFIX = `${Date.now().toString(36)}w${worker}`;
}
/** A request id that is short, unique, and safe in a file name. */
function newRequestId(): string {
  return ID_PREFIX + (++counter).toString(36).padStart(5, "0");
}

/**
 * The access record of one request. Its id is made when first read (a spool
 * file name, the access log): a small GET with the log off needs none.
 */
export class RequestRecord implements AccessRecord {
  #id: string | undefined;
  readonly startedAt = Date.now();
  status = 0;
  bodyBytes = 0;
  sentBytes = 0;
  attempts: AttemptRecord[] = [];
  heldMs = 0;
  /** The route it matched; undefined before routing, or when none matched (404). */
  route: Route | undefined = undefined;
  /** The body being received, for the admin endpoint's progress; undefined without a body. */
  body: LiveBody | undefined = undefined;
  /** The declared `Content-Length` in bytes; -1 when there is none (chunked, or no body). */
  declaredBytes = -1;
  /** Epoch ms the body ended and the upstream's part began; 0 while the body is still coming. */
  bodyEndedAt = 0;
  /** Epoch ms at which the hold first waited for a peer; 0 when it never did (hold.ts). */
  heldSince = 0;
  /** The group whose hold counts the request while it is held (hold-episodes.ts). */
  heldGroup: string | undefined;
  /** The received first line of a head that did not parse. */
  requestLine: string | undefined;
  /**
   * @param head the parsed head, kept by reference for the access log (Host,
   *   User-Agent, Referer are decoded only when a line is written); undefined
   *   for a head that did not parse
   */
  constructor(
    readonly clientAddress: string,
    readonly method: string,
    readonly target: string,
    readonly head?: RequestHead,
  ) {}
  get id(): string {
    return this.#id ??= newRequestId();
  }
}
