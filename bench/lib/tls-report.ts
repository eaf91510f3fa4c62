/** Turns bench/tls.ts's measurements into its Markdown section of bench/REPORT.md. */
import type { Machine } from "./machine.ts";
import { median } from "./stats.ts";
import type { LoadKind } from "./tls-args.ts";
import type { TlsProbe } from "./tls-setup.ts";

/** The heading of the section bench/tls.ts owns in REPORT.md. */
export const TLS_HEADING = "## TLS";

/** One measured run of one load against one target. */
export interface TlsMeasurement {
  /** Requests (keep-alive loads) or handshakes (one request each) completed in the measured run. */
  count: number;
  /** `count` per second. */
  rate: number;
  /** wrk's latency percentiles, ms; undefined for s_time, which has none. */
  p50Ms?: number;
  p99Ms?: number;
  /** Proxy CPU (utime + stime of its processes) over the run, per request or handshake, µs. */
  cpuUs: number;
  /** The stime part of it. */
  sysUs: number;
  /** VmHWM summed over the proxy's processes after the run (reset just before it), bytes. */
  peakRss: number;
  /** TCP connections accepted on the machine during the run (TcpPassiveOpens) per request: ~0 keep-alive, ~1 one request per connection. */
  opensPer: number;
  /** Client-side problems: wrk's non-2xx and socket errors, s_time failures, resumed sessions where none should be. */
  errors: Record<string, number>;
  /** 1-minute load average just before the run. */
  loadBefore: string;
  /** `rate` divided by nginx's in the same round and load. */
  ratio?: number;
}

/** All runs of one target under one load. */
export interface TlsRow {
  name: string;
  baseline: boolean;
  runs: TlsMeasurement[];
}

/** A load as the report names it, and its units. */
export interface LoadInfo {
  title: string;
  /** "req/s" or "handshakes/s". */
  rateUnit: string;
  /** "req" or "handshake", after "µs/". */
  per: string;
  /** A sentence on how it is produced. */
  how: string;
}

/** What each load is, for the report's headings and the console. */
export function loadInfo(kind: LoadKind, o: { connections: number; seconds: number; handshakeClients: number }): LoadInfo {
  const wrk = `\`wrk -t1 -c${o.connections} -d${o.seconds}s --latency\``;
  switch (kind) {
    case "plain":
      return {
        title: `Keep-alive GETs over plain HTTP, ${o.connections} connections (same processes, for comparison)`,
        rateUnit: "req/s",
        per: "req",
        how: `${wrk} to each target's plain listener.`,
      };
    case "keepalive":
      return {
        title: `Keep-alive GETs over TLS 1.3, ${o.connections} connections`,
        rateUnit: "req/s",
        per: "req",
        how: `${wrk} to the TLS listener; every connection handshakes once, then carries GETs until the end of the run.`,
      };
    case "resumed":
      return {
        title: `Resumed handshakes: one GET per TLS connection, ${o.connections} connections`,
        rateUnit: "handshakes/s",
        per: "handshake",
        how: `${wrk} \`-H 'Connection: close'\`: the proxy closes each connection after its response and wrk reconnects, ` +
          `offering the session it had (wrk keeps it across reconnects), so each connection is a TLS 1.3 resumption with a ` +
          `session ticket (PSK with an X25519 exchange, no certificate, no signature) and one GET.`,
      };
    case "full":
    case "full-rsa":
      return {
        title: `Full handshakes: one GET per TLS connection, ${kind === "full" ? "ECDSA P-256" : "RSA 2048"} certificate, ` +
          `${o.handshakeClients} clients`,
        rateUnit: "handshakes/s",
        per: "handshake",
        how: `${o.handshakeClients} \`openssl s_time -new -tls1_3 -www /\` processes at once, each one connection at a time: a full ` +
          `handshake (no session offered; X25519 and the certificate's signature), \`GET / HTTP/1.0\`, the response read to the ` +
          `server's close. Handshakes counted from s_time's per-connection output within the ${o.seconds} s window; no latency figures.`,
      };
  }
}

const fixed = (x: number, d: number) => x.toFixed(d);

function errors(runs: TlsMeasurement[]): string {
  const sum: Record<string, number> = {};
  for (const r of runs) for (const [k, n] of Object.entries(r.errors)) sum[k] = (sum[k] ?? 0) + n;
  const parts = Object.entries(sum).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  return parts.length ? `**${parts.join(", ")}**` : "none";
}

/** The table of one load: one line per target, medians of its runs. */
export function tlsTable(info: LoadInfo, rows: TlsRow[]): string[] {
  const lines = [
    `| target | ${info.rateUnit} | ratio vs nginx | p50 ms | p99 ms | proxy CPU µs/${info.per} | of which sys | peak RSS MB | ` +
    `TCP opens/${info.per} | ${info.rateUnit} per run | errors |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
  ];
  for (const r of rows) {
    const m = (f: (x: TlsMeasurement) => number) => median(r.runs.map(f));
    const ratios = r.runs.flatMap((x) => (x.ratio === undefined ? [] : [x.ratio]));
    const lat = (f: (x: TlsMeasurement) => number | undefined) => r.runs.every((x) => f(x) !== undefined) ? fixed(m((x) => f(x)!), 2) : "-";
    const cpu = m((x) => x.cpuUs);
    const sys = m((x) => x.sysUs);
    lines.push(
      `| ${r.name} | ${fixed(m((x) => x.rate), 0)} | ${ratios.length ? fixed(median(ratios), 2) : "-"} | ${lat((x) => x.p50Ms)} | ${
        lat((x) => x.p99Ms)
      } | ${fixed(cpu, 1)} | ${cpu > 0 ? `${fixed((100 * sys) / cpu, 0)}%` : "-"} | ${
        fixed(Math.max(...r.runs.map((x) => x.peakRss)) / 1e6, 1)
      } | ${fixed(m((x) => x.opensPer), 2)} | ${r.runs.map((x) => fixed(x.rate, 0)).join(", ")} | ${errors(r.runs)} |`,
    );
  }
  return lines;
}

/** What one target negotiated, per certificate. */
export interface TargetProbe {
  name: string;
  /** Key type label ("ECDSA P-256") to what s_client saw. */
  byKey: [string, TlsProbe][];
}

/** Where and how the run happened. */
export interface TlsRunInfo {
  date: string;
  command: string;
  machine: Machine;
  deno: string;
  wrk: string;
  /** wrk's libssl (from ldd) and `openssl version`. */
  wrkLibssl: string;
  openssl: string;
  /** The proxies' TLS libraries. */
  libraries: string;
  revision: string;
  /** 1-minute load average before and after the whole run. */
  load: [string, string];
  /** Lowest and highest 1-minute load average seen just before a measured run. */
  loadRange: [string, string];
  /** Total time spent waiting for other benchmarks or test runs to finish, and the waits that gave up. */
  waitedMs: number;
  busyRuns: number;
  runs: number;
  seconds: number;
  warmupSeconds: number;
  peakReset: boolean;
  probes: TargetProbe[];
}

/** The whole `## TLS` section. */
export function renderTlsSection(info: TlsRunInfo, results: { info: LoadInfo; rows: TlsRow[] }[], notes: string[]): string {
  const m = info.machine;
  const out = [
    TLS_HEADING,
    "",
    "Generated by `bench/tls.ts`; see [README.md](README.md#tls-tlsts) for the method. Do not edit by hand.",
    "",
    `- Date: ${info.date}`,
    `- Command: \`${info.command}\``,
    `- Machine: ${m.nproc} CPUs (${m.cpu}), ${m.memGiB} GiB RAM, Linux ${m.kernel}`,
    `- holdfast: ${info.revision}`,
    `- Load average (1 min) before / after: ${info.load[0]} / ${info.load[1]}; just before each measured run: ${info.loadRange[0]}–${
      info.loadRange[1]
    }${info.waitedMs > 0 ? `; ${Math.round(info.waitedMs / 1000)} s spent waiting for other benchmarks and test runs to finish` : ""}${
      info.busyRuns > 0 ? `; **${info.busyRuns} measured runs overlapped them (the wait gave up)**` : ""
    }`,
    `- Runtimes and tools: bun ${m.bun}, ${info.deno}, ${m.nginx}, ${info.wrk} (${info.wrkLibssl}), ${info.openssl} (s_client, s_time)`,
    `- TLS libraries: ${info.libraries}`,
    `- Each target forwards to one nginx responder answering \`200 ok\` (2-byte body) over plain HTTP/1.1 keep-alive. nginx: one worker, ` +
    "`listen ... ssl; ssl_protocols TLSv1.3;`, session tickets on (its default); holdfast: `--listen 127.0.0.1:PORT,tls --tls-cert " +
    "--tls-key` (node:tls). Self-signed certificates made once with `openssl req` into bench/work/.",
    `- ${info.warmupSeconds} s warm-up before each ${info.seconds} s measured run; ${info.runs} rounds, in each every load against every ` +
    `target back to back; median shown (ratio: median of the per-round ratios to nginx in the same load).`,
    "- Proxy CPU: utime + stime of the proxy's processes over the measured run, per request or handshake (nginx: master + worker). Peak " +
    `RSS: VmHWM${info.peakReset ? ", reset before each measured run, largest of the runs" : " since start (it could not be reset)"}. ` +
    "TCP opens: the machine's TcpPassiveOpens over the run per request or handshake (a check that keep-alive held, ~0, or that " +
    "every handshake was a new connection, ~1; other work on the machine adds to it).",
    "",
    "Negotiated (`openssl s_client -tls1_3`; resumes: a second connection offering the first one's session was resumed):",
    "",
    "| target | certificate | protocol | cipher | key exchange | resumes |",
    "| --- | --- | --- | --- | --- | --- |",
    ...info.probes.flatMap((p) =>
      p.byKey.map(([key, t]) => `| ${p.name} | ${key} | ${t.protocol} | ${t.cipher} | ${t.group} | ${t.resumes ? "yes" : "**no**"} |`)
    ),
    "",
  ];
  for (const r of results) out.push(`### ${r.info.title}`, "", r.info.how, "", ...tlsTable(r.info, r.rows), "");
  if (notes.length) out.push(...notes.map((n) => `- ${n}`), "");
  return out.join("\n");
}
