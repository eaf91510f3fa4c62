/**
 * Replay latency: how soon after a peer comes back a held request reaches
 * it. Per holdfast build (Bun, Deno, compiled binary): holdfast in front of
 * a closed port, a small GET held there, then a node:http peer in this
 * process starts listening on that port; the delay from its listen callback
 * to the request's arrival is measured on one clock, over N trials. Reports
 * median, p90 and max against Caddy's `lb_try_interval` (250 ms), and merges
 * a `## Replay latency` section into bench/REPORT.md. See bench/README.md.
 *
 * Usage: `bun bench/replay.ts --help`. Exit status 0 when every trial
 * succeeded, 1 on a failure, 2 on bad flags.
 */
/// <reference types="bun-types" />
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { holdfastCommand, type Variant, VARIANTS } from "./lib/get-targets.ts";
import { spawnHoldfast } from "./lib/holdfast.ts";
import { loadAvg, machine, revision } from "./lib/machine.ts";
import { parseFlags, runMain } from "./lib/main.ts";
import { freePort, type Started, stop } from "./lib/proc.ts";
import { renderReplaySection, REPLAY_HEADING, type ReplayRow } from "./lib/replay-report.ts";
import { formatReport, writeSection } from "./lib/sections.ts";
import { REPO, workTree } from "./lib/source.ts";

const USAGE = `Usage: bun bench/replay.ts [--trials 20] [--holdfast bun,deno,binary] [--report bench/REPORT.md | --no-report]
  --trials N        held requests per build (1-200)
  --holdfast LIST   which builds to run; binary needs dist/holdfast-linux-x64 (bun build.ts x64)`;

/** Parsed flags. */
interface ReplayArgs {
  trials: number;
  variants: Variant[];
  /** Markdown report to merge the section into; "" for none. */
  report: string;
}

function parseReplayArgs(argv: string[]): ReplayArgs {
  const bad = (why: string): never => {
    throw new Error(`${why}\n${USAGE}`);
  };
  let v;
  try {
    v = parseArgs({
      args: argv,
      options: {
        trials: { type: "string", default: "20" },
        holdfast: { type: "string", default: VARIANTS.join(",") },
        report: { type: "string", default: join(REPO, "bench/REPORT.md") },
        "no-report": { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (e) {
    return bad((e as Error).message);
  }
  if (v.help) throw new Error(USAGE);
  const trials = Number(v.trials);
  if (!/^\d+$/.test(v.trials) || trials < 1 || trials > 200) bad(`--trials must be a whole number from 1 to 200, like 20`);
  const variants = v.holdfast.split(",") as Variant[];
  for (const x of variants) if (!VARIANTS.includes(x)) bad(`--holdfast "${x}": expected ${VARIANTS.join(", ")}`);
  return { trials, variants, report: v["no-report"] ? "" : v.report };
}

const started = new Set<Started>();
const peers = new Set<Server>();
let workDir = "";

async function cleanup(): Promise<void> {
  for (const s of peers) s.closeAllConnections(), s.close();
  peers.clear();
  for (const p of [...started]) await stop(p);
  started.clear();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}

/** Listens on `port` with a peer that answers "ok" (and closes); resolves with its listen time and the first non-probe request's arrival. */
async function startPeer(port: number): Promise<{ server: Server; listenedAt: number; arrived: Promise<number> }> {
  let arrive!: (at: number) => void;
  const arrived = new Promise<number>((r) => (arrive = r));
  const server = createServer((req, res) => {
    // The hold prober's OPTIONS * is not the held request.
    if (req.url !== "*") arrive(performance.now());
    req.resume();
    req.on("end", () => {
      res.setHeader("Connection", "close");
      res.end("ok");
    });
  });
  peers.add(server);
  const listenedAt = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(performance.now()));
  });
  return { server, listenedAt, arrived };
}

/** One trial: hold a GET, start the peer, return the delay (ms) from its listen() to the request's arrival. */
async function trial(url: string, port: number): Promise<number> {
  const reply = fetch(url, { signal: AbortSignal.timeout(10_000) }).then(async (r) => [r.status, await r.text()] as const);
  await Bun.sleep(150 + Math.floor(Math.random() * 200));
  const peer = await startPeer(port);
  try {
    const [status, body] = await reply;
    if (status !== 200 || body !== "ok") {
      throw new Error(`${url} answered ${status} ${JSON.stringify(body.slice(0, 200))}, expected 200 "ok"`);
    }
    return (await peer.arrived) - peer.listenedAt;
  } finally {
    peer.server.closeAllConnections();
    await new Promise((r) => peer.server.close(r));
    peers.delete(peer.server);
  }
}

async function main(): Promise<number> {
  const a = parseFlags(parseReplayArgs);
  if (!a) return 2;
  mkdirSync(join(REPO, "bench/work"), { recursive: true });
  workDir = mkdtempSync(join(REPO, "bench/work/replay-"));
  const source = workTree();
  const notes: string[] = [];
  const rows: ReplayRow[] = [];
  const load0 = loadAvg();
  for (const variant of a.variants) {
    const cmd = holdfastCommand(source, variant);
    if (!cmd) {
      notes.push("dist/holdfast-linux-x64 was not built (`bun build.ts x64`), so the compiled binary was not measured.");
      continue;
    }
    if (variant === "binary" && statSync(cmd[0]).mtimeMs < statSync(join(REPO, "src/upstream/hold-prober.ts")).mtimeMs) {
      notes.push("dist/holdfast-linux-x64 is older than src/upstream/hold-prober.ts: rebuild it (`bun build.ts x64`).");
    }
    const port = await freePort();
    const spool = join(workDir, `${variant}-spool`);
    mkdirSync(spool);
    const { proc, port: hfPort } = await spawnHoldfast({
      name: `holdfast-${variant}`,
      cmd,
      cwd: source.root,
      dir: workDir,
      upstreamPort: port,
      spool,
      flags: ["--hold", "30s"],
      track: (p) => started.add(p),
    });
    const delays: number[] = [];
    for (let i = 0; i < a.trials; i++) delays.push(await trial(`http://127.0.0.1:${hfPort}/held/${i}`, port));
    await stop(proc);
    started.delete(proc);
    const name = variant === "binary" ? "binary (x64)" : variant === "bun" ? "Bun" : "Deno";
    rows.push({ name, delaysMs: delays });
    console.log(`${name}: ${delays.map((d) => d.toFixed(0)).join(" ")}`);
  }
  const section = renderReplaySection(
    {
      machine: machine(),
      revision: revision(),
      load: [load0, loadAvg()],
      trials: a.trials,
      probeIntervalMs: 100,
      date: new Date().toISOString().slice(0, 10),
    },
    rows,
    notes,
  );
  console.log(section);
  if (a.report) {
    writeSection(a.report, REPLAY_HEADING, section, "# Benchmarks: holdfast vs nginx");
    formatReport(a.report);
  }
  return 0;
}

await runMain("bench/replay.ts", main, cleanup, { quietOnSignal: true });
