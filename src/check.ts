/**
 * `holdfast --check` (nginx `-t`): everything start-up would find wrong,
 * found without serving. The flags were already validated by the parser;
 * this reads the files and asks the system: each spool directory takes a
 * file (probe.ts), each TLS file and the offline page parse, each peer's
 * name resolves (a unix socket's directory exists). A peer that is down is
 * not a problem: holding requests for it is holdfast's job. Nothing is
 * bound, so a check can run beside the holdfast it is about to replace.
 *
 * @module
 */
import { limitPlan } from "./limits/plan.ts";
import { dirname } from "node:path";
import type { Runtime } from "../runtime/index.ts";
import type { PeerAddress } from "./config/address.ts";
import type { Config } from "./config/schema.ts";
import { loadOfflinePage } from "./offline-page.ts";
import { probeSpoolDir, roomWarnings } from "./spool/probe.ts";
import { defaultReserveBytes } from "./spool/store.ts";
import { loadCaBundle, loadCertificates } from "./tls/load.ts";

// A resolver that does not answer is a problem, not a hang.
const LOOKUP_TIMEOUT_MS = 5000;

/** What {@link checkConfig} found: what holdfast would do, and what stops it. */
export interface CheckReport {
  /** One line per thing holdfast would do or use. */
  plan: string[];
  /** Would not stop holdfast, but is worth knowing (a spool directory without room). */
  warnings: string[];
  /** Each stops holdfast or makes a part of it useless; empty: the check passes. */
  problems: string[];
}

/** Checks a parsed configuration against the files and the system; never throws for what it finds. */
export async function checkConfig(rt: Runtime, c: Config): Promise<CheckReport> {
  const r: CheckReport = { plan: [], warnings: [], problems: [] };
  const workers = c.workers === 0 ? rt.cpuCount() : c.workers;
  const each = workers > 1 ? ` (${workers} workers${c.workers === 0 ? ", one per CPU" : ""}, SO_REUSEPORT)` : "";
  for (const l of c.listeners) r.plan.push(`listen on ${l.host}:${l.port}${l.tls ? " with TLS" : ""}${each}`);
  if (c.certFiles.length > 0) {
    try {
      for (const line of loadCertificates(rt, c.certFiles).lines) r.plan.push(`serve ${line}`);
    } catch (e) {
      r.problems.push((e as Error).message);
    }
  }
  if (c.upstreamCaPath) {
    try {
      loadCaBundle(rt, c.upstreamCaPath);
      r.plan.push(`trust the https peers' certificates that chain to ${c.upstreamCaPath}`);
    } catch (e) {
      r.problems.push((e as Error).message);
    }
  }
  const lookups = c.groups.map((g) => Promise.all(g.peers.map((p) => checkPeer(rt, p.address))));
  for (const [i, g] of c.groups.entries()) {
    const peers = await lookups[i];
    r.plan.push(`send to group ${g.name} (${g.policy.kind}${g.health ? `, health check GET ${g.health.path}` : ""}):`);
    for (const [j, p] of g.peers.entries()) {
      const [line, problem] = peers[j];
      r.plan.push(`  peer ${p.address.tls ? p.address.origin : p.address.key}${line}`);
      if (problem) r.problems.push(problem);
    }
  }
  for (const route of c.routes) r.plan.push(`route ${route.text}`);
  if (c.routes.length === 0) {
    r.plan.push(`route every request to group ${c.groups.find((g) => g.name === "default")?.name ?? c.groups[0].name}`);
  }
  r.plan.push(...limitPlan(c));
  for (const dir of c.spoolDirs) {
    const problem = await probeSpoolDir(rt, dir);
    if (problem) {
      r.problems.push(problem);
      continue;
    }
    const reserve = c.spoolReserveBytes ?? defaultReserveBytes(rt, dir);
    r.plan.push(`spool bodies over ${c.bodyBufferBytes} bytes in ${dir}: ${rt.files.freeBytes(dir)} bytes free, ${reserve} kept free`);
    r.warnings.push(...roomWarnings(rt, dir, reserve, c.bodyBufferBytes));
  }
  if (c.offlinePagePath) {
    try {
      const page = loadOfflinePage(rt, c.offlinePagePath);
      r.plan.push(`serve ${c.offlinePagePath} (${page.byteLength} bytes) when giving up on the upstream`);
    } catch (e) {
      r.problems.push((e as Error).message);
    }
  }
  r.plan.push(
    `hold requests up to ${c.holdMs} ms while no peer can be reached; on SIGTERM wait up to ${c.shutdownTimeoutMs} ms for them`,
  );
  return r;
}

/**
 * Resolves one peer's name (or finds its unix socket's directory).
 * @returns the plan line's tail, and the problem if there is one
 */
async function checkPeer(rt: Runtime, a: PeerAddress): Promise<[string, string | undefined]> {
  if (a.socketPath) {
    const dir = dirname(a.socketPath);
    if (!rt.files.exists(dir)) return ["", `--upstream ${a.key}: the directory ${dir} does not exist`];
    return [rt.files.exists(a.socketPath) ? "" : " (no socket there yet: requests are held until the app creates it)", undefined];
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error("no answer"), { code: "timeout" })), LOOKUP_TIMEOUT_MS);
    });
    const addresses = await Promise.race([rt.lookup(a.host), timeout]);
    return [addresses.length === 1 && addresses[0] === a.host ? "" : ` = ${addresses.join(", ")}`, undefined];
  } catch (e) {
    const code = (e as { code?: string }).code ?? (e as Error).message;
    return ["", `--upstream ${a.key}: cannot resolve "${a.host}" (${code})`];
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Prints a report as `holdfast --check` does: the plan on stdout, warnings
 * and problems on stderr, then the verdict.
 * @returns the exit status: 0 when there is no problem, else 1
 */
export function printReport(rt: Runtime, r: CheckReport): number {
  rt.stdout(`holdfast would:\n${r.plan.map((l) => `  ${l}\n`).join("")}`);
  for (const w of r.warnings) rt.stderr(`holdfast: warning: ${w}\n`);
  for (const p of r.problems) rt.stderr(`holdfast: problem: ${p}\n`);
  if (r.problems.length === 0) {
    rt.stdout("holdfast: the configuration is fine\n");
    return 0;
  }
  rt.stderr(`holdfast: the check failed with ${r.problems.length} problem${r.problems.length === 1 ? "" : "s"}\n`);
  return 1;
}
