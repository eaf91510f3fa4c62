/**
 * Parsers for `--limit-req` (nginx `limit_req_zone` + `limit_req`) and
 * `--limit-conn` (nginx `limit_conn_zone $binary_remote_addr` +
 * `limit_conn`). Each throws an Error naming the part that is wrong and the
 * accepted form; schema.ts names the flag.
 *
 * @module
 */

/** Whose requests share a bucket: the client's address, or a request field's value. */
export type LimitKey = { kind: "ip" } | { kind: "header"; /** lowercase field name */ name: string };

/** One `--limit-req` (or a route's `limit-req=` options). */
export interface LimitReqSpec {
  /** Requests per second (600r/m = 10). */
  ratePerS: number;
  /** nginx `burst=`: requests beyond the rate that are delayed (or, with nodelay, passed) instead of refused. */
  burst: number;
  /** nginx `nodelay`: requests within the burst go at once. */
  nodelay: boolean;
  key: LimitKey;
}

/** One `--limit-conn`. */
export interface LimitConnSpec {
  /** Connections open at once per client address; the next gets {@link status}. */
  max: number;
  /** 503 (nginx `limit_conn_status` default) or 429. */
  status: 503 | 429;
}

/** Accepted `--limit-req` form. */
export const LIMIT_REQ_FORM = "RATE[,burst=N][,nodelay][,key=ip|header:NAME], RATE such as 10r/s, 600r/m or 10";
/** Accepted `--limit-conn` form. */
export const LIMIT_CONN_FORM = "N[,key=ip][,status=503|429], N at least 1";

const RATE = /^(\d+(?:\.\d+)?)(?:r\/([sm]))?$/;
const WHOLE = /^\d+$/;
// RFC 9110 §5.1 field name.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses a rate as nginx writes it (`10r/s`, `600r/m`), or a bare number of requests per second.
 * @returns requests per second
 * @throws {Error} when it is not such a rate, or is 0
 */
export function parseRate(s: string): number {
  const m = RATE.exec(s);
  const n = m ? Number(m[1]) / (m[2] === "m" ? 60 : 1) : 0;
  if (!(n > 0)) throw new Error(`rate "${s}" must be a positive rate such as 10r/s, 600r/m or 10`);
  return n;
}

/**
 * Parses `key=ip` or `key=header:NAME` (the value after `key=`).
 * @throws {Error} naming the accepted forms
 */
export function parseLimitKey(v: string): LimitKey {
  if (v === "ip") return { kind: "ip" };
  if (v.startsWith("header:") && TOKEN.test(v.slice(7))) return { kind: "header", name: v.slice(7).toLowerCase() };
  throw new Error(`key "${v}" must be ip or header:NAME, such as header:X-Api-Key`);
}

/**
 * Parses a `--burst=` count.
 * @throws {Error} when it is not a whole number
 */
export function parseBurst(v: string): number {
  if (!WHOLE.test(v)) throw new Error(`burst "${v}" must be a whole number such as 0 or 20`);
  return Number(v);
}

/**
 * Parses `--limit-req RATE[,burst=N][,nodelay][,key=ip|header:NAME]`.
 * @throws {Error} naming the part that is wrong and the accepted form
 */
export function parseLimitReq(s: string): LimitReqSpec {
  const [rate, ...opts] = s.split(",");
  const spec: LimitReqSpec = { ratePerS: 0, burst: 0, nodelay: false, key: { kind: "ip" } };
  try {
    spec.ratePerS = parseRate(rate);
    for (const o of opts) {
      if (o === "nodelay") spec.nodelay = true;
      else if (o.startsWith("burst=")) spec.burst = parseBurst(o.slice(6));
      else if (o.startsWith("key=")) spec.key = parseLimitKey(o.slice(4));
      else throw new Error(`unknown option "${o}"`);
    }
  } catch (e) {
    throw new Error(`${(e as Error).message}: expected ${LIMIT_REQ_FORM}`);
  }
  return spec;
}

/**
 * Parses `--limit-conn N[,key=ip][,status=503|429]`.
 * @throws {Error} naming the part that is wrong and the accepted form
 */
export function parseLimitConn(s: string): LimitConnSpec {
  const [n, ...opts] = s.split(",");
  const bad = (why: string) => new Error(`${why}: expected ${LIMIT_CONN_FORM}`);
  if (!WHOLE.test(n) || Number(n) < 1) throw bad(`"${n}" must be a whole number of connections, at least 1`);
  const spec: LimitConnSpec = { max: Number(n), status: 503 };
  for (const o of opts) {
    if (o === "key=ip") continue;
    if (o === "status=503" || o === "status=429") spec.status = Number(o.slice(7)) as 503 | 429;
    else throw bad(`unknown option "${o}"`);
  }
  return spec;
}
