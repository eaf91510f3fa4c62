/** Command-line flags of bench/tls.ts. */
import { resolve } from "node:path";
import { parseDuration } from "../../src/config/units.ts";
import { type Variant, VARIANTS } from "./get-targets.ts";

/** The loads bench/tls.ts can run, in the order a round runs them. */
export const LOAD_KINDS = ["plain", "keepalive", "resumed", "full", "full-rsa"] as const;
/** One of {@link LOAD_KINDS}. */
export type LoadKind = typeof LOAD_KINDS[number];

/** Parsed flags. */
export interface TlsArgs {
  /** Rounds; in each, every load runs against every target once, and the median over rounds is reported. */
  runs: number;
  /** Length of a measured run, whole seconds. */
  seconds: number;
  /** Unmeasured load before each measured run, whole seconds (0: none). */
  warmupSeconds: number;
  /** wrk's `-c` for the keep-alive, plain and resumed loads. */
  connections: number;
  /** `openssl s_time` processes at once for the full handshakes. */
  handshakeClients: number;
  /** Which loads, in round order. */
  loads: LoadKind[];
  /** Which holdfast builds to run. */
  variants: Variant[];
  /** Longest wait for the machine to be free of other benchmarks and test runs before each measured run, ms (0: no waiting). */
  idleWaitMs: number;
  /** Markdown report to merge the section into; "" for none. */
  report: string;
}

/** The usage text printed with a flag error. */
export const TLS_USAGE = `Usage: bun bench/tls.ts [--runs 3] [--duration 5s] [--warmup 2s] [--connections 50] [--handshake-clients 4]
                       [--loads keepalive,resumed,full] [--holdfast bun,deno,binary] [--idle-wait 20m]
                       [--report bench/REPORT.md | --no-report]
  --loads LIST   plain      keep-alive GETs over plain HTTP to the same processes (what TLS adds per request)
                 keepalive  keep-alive GETs over TLS 1.3 (wrk)
                 resumed    one GET per TLS connection, wrk -H 'Connection: close': resumed (session ticket) handshakes
                 full       one GET per TLS connection, openssl s_time -new: full handshakes, ECDSA P-256 certificate
                 full-rsa   the same with an RSA 2048 certificate (a second set of targets)`;

function seconds(flag: string, text: string, min: number, max: number, bad: (why: string) => never): number {
  const ms = parseDuration(text);
  // wrk's -d takes whole seconds; the cap bounds the whole run.
  if (ms === undefined || ms % 1000 !== 0 || ms / 1000 < min || ms / 1000 > max) {
    bad(`${flag} must be whole seconds from ${min}s to ${max}s, like 5s`);
  }
  return ms! / 1000;
}

function whole(flag: string, text: string, min: number, max: number, bad: (why: string) => never): number {
  const n = Number(text);
  // Bounded: every loop of the benchmark has a fixed count.
  if (!Number.isInteger(n) || n < min || n > max) bad(`${flag} must be a whole number from ${min} to ${max}`);
  return n;
}

/**
 * Parses `argv` (after the script name).
 * @throws with {@link TLS_USAGE} on an unknown flag or a bad value
 */
export function parseTlsArgs(argv: string[]): TlsArgs {
  const a: TlsArgs = {
    runs: 3,
    // 4 targets x 3 loads x 3 runs x (2 + 5 s, + ~1 s for s_time) keeps the default run near 4.5 minutes.
    seconds: 5,
    warmupSeconds: 2,
    connections: 50,
    handshakeClients: 4,
    loads: ["keepalive", "resumed", "full"],
    variants: [...VARIANTS],
    idleWaitMs: 20 * 60_000,
    report: resolve(import.meta.dir, "../REPORT.md"),
  };
  const bad = (why: string): never => {
    throw new Error(`${why}\n${TLS_USAGE}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    const value = () => argv[++i] ?? bad(`${f} needs a value`);
    if (f === "--runs") a.runs = whole(f, value(), 1, 50, bad);
    else if (f === "--duration") a.seconds = seconds(f, value(), 1, 600, bad);
    else if (f === "--warmup") a.warmupSeconds = seconds(f, value(), 0, 600, bad);
    else if (f === "--connections") a.connections = whole(f, value(), 1, 1000, bad);
    else if (f === "--handshake-clients") a.handshakeClients = whole(f, value(), 1, 64, bad);
    else if (f === "--loads") {
      const picked = new Set(
        value().split(",").map((s) =>
          LOAD_KINDS.includes(s as LoadKind) ? s as LoadKind : bad(`Unknown load "${s}" (${LOAD_KINDS.join(", ")})`)
        ),
      );
      a.loads = LOAD_KINDS.filter((k) => picked.has(k));
    } else if (f === "--holdfast") {
      a.variants = value().split(",").map((s) =>
        VARIANTS.includes(s as Variant) ? s as Variant : bad(`Unknown holdfast build "${s}" (${VARIANTS.join(", ")})`)
      );
    } else if (f === "--idle-wait") {
      const ms = parseDuration(value());
      if (ms === undefined || ms > 3 * 3600_000) bad("--idle-wait must be a duration up to 3h, like 20m (0 for no waiting)");
      a.idleWaitMs = ms!;
    } else if (f === "--report") a.report = value();
    else if (f === "--no-report") a.report = "";
    else bad(f === "--help" || f === "-h" ? "" : `Unknown flag ${f}`);
  }
  return a;
}
