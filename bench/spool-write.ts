/**
 * Experiment behind the spool writer's design: how fast Bun.serve can take a
 * request body and append it to a file on /dev/shm, per write strategy, and
 * what that costs in RSS. Each strategy runs in a fresh process (so VmHWM is
 * its own) serving one upload from curl at a time.
 *
 * Usage: `bun bench/spool-write.ts [--size 1g] [--runs 3] [--smol]` (`--smol`:
 * children run with Bun's smaller-heap flag). Prints a table;
 * writes nothing but its temp files (body and spool files on /dev/shm), which it removes.
 */
/// <reference types="bun-types" />
import { closeSync, openSync, rmSync, writeSync, writevSync } from "node:fs";
import { open } from "node:fs/promises";
import { parseSize } from "../src/config/units.ts";
import { openSpoolFile } from "../runtime/node-common.ts";
import { ensureBody } from "./lib/body.ts";
import { upload } from "./lib/curl.ts";
import { freePort, start, stop, waitForPort } from "./lib/proc.ts";
import { vmField } from "./lib/rss.ts";
import { mbPerSecond, median } from "./lib/stats.ts";

type Sink = { write(c: Uint8Array): void | Promise<void>; close(): void | Promise<void> };

// Each takes the file path and returns an appender; all see the same chunks.
const STRATEGIES: Record<string, (path: string) => Promise<Sink>> = {
  "drain only (no file)": () => Promise.resolve({ write() {}, close() {} }),
  "holdfast openSpoolFile (runtime/node-common.ts)": (p) => openSpoolFile(p),
  "FileHandle.writev, 1 MiB coalesced": (p) => coalesced(p, 1024 * 1024, false),
  "FileHandle.writev, 256 KiB, next batch gathers while one writes": (p) => coalesced(p, 256 * 1024, true),
  "FileHandle.write per chunk": async (p) => {
    const fh = await open(p, "wx", 0o600);
    return { write: async (c) => void (await fh.write(c)), close: () => fh.close() };
  },
  "writeSync per chunk": (p) => {
    const fd = openSync(p, "wx", 0o600);
    return Promise.resolve({ write: (c) => void writeSync(fd, c), close: () => closeSync(fd) });
  },
  "writevSync, 256 KiB coalesced": (p) => {
    const fd = openSync(p, "wx", 0o600);
    let pending: Uint8Array[] = [];
    let n = 0;
    const flush = () => {
      if (n) writevSync(fd, pending);
      pending = [];
      n = 0;
    };
    return Promise.resolve({
      write: (c: Uint8Array) => {
        pending.push(c);
        n += c.byteLength;
        if (n >= 256 * 1024) flush();
      },
      close: () => {
        flush();
        closeSync(fd);
      },
    });
  },
  "Bun FileSink (Bun.file().writer())": (p) => {
    const w = Bun.file(p).writer({ highWaterMark: 256 * 1024 });
    return Promise.resolve({ write: async (c) => void (await w.write(c)), close: async () => void (await w.end()) });
  },
};

/**
 * Coalescing FileHandle.writev like holdfast's; with `overlap`, write()
 * returns as soon as the batch is handed over, so the next batch gathers
 * while the previous one is written (at most one write in flight).
 */
async function coalesced(path: string, limit: number, overlap: boolean): Promise<Sink> {
  const fh = await open(path, "wx", 0o600);
  let pending: Uint8Array[] = [];
  let n = 0;
  let inflight: Promise<unknown> = Promise.resolve();
  const flush = async () => {
    const bufs = pending;
    pending = [];
    n = 0;
    await inflight;
    inflight = fh.writev(bufs);
    if (!overlap) await inflight;
  };
  return {
    async write(c) {
      pending.push(c);
      n += c.byteLength;
      if (n >= limit) await flush();
    },
    async close() {
      if (n) await flush();
      await inflight;
      await fh.close();
    },
  };
}

/** Child mode: serve uploads into `dir` with one strategy. */
function serveOne(name: string, port: number, dir: string) {
  const make = STRATEGIES[name];
  let seq = 0;
  Bun.serve({
    hostname: "127.0.0.1",
    port,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    idleTimeout: 120,
    async fetch(req) {
      const path = `${dir}/w-${process.pid}-${seq++}`;
      const sink = await make(path);
      let n = 0;
      for await (const c of req.body!) {
        n += c.byteLength;
        await sink.write(c);
      }
      await sink.close();
      rmSync(path, { force: true });
      return new Response(`${n}\n`);
    },
  });
}

async function driver() {
  const argv = process.argv.slice(2);
  const flag = (f: string, d: string) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : d);
  const size = parseSize(flag("--size", "1g"))!;
  const runs = Math.min(20, Math.max(1, Number(flag("--runs", "3"))));
  const dir = `/dev/shm/holdfast-bench/spool-write-${process.pid}`;
  const body = `/dev/shm/holdfast-bench/body-${size}.bin`;
  Bun.spawnSync(["mkdir", "-p", dir]);
  ensureBody(body, size);
  const rows: string[] = [];
  try {
    for (const name of Object.keys(STRATEGIES)) {
      const port = await freePort();
      const p = start(name, [
        process.execPath,
        ...(argv.includes("--smol") ? ["--smol"] : []),
        import.meta.path,
        "--child",
        name,
        String(port),
        dir,
      ]);
      try {
        await waitForPort(p, port);
        const secs: number[] = [];
        for (let i = 0; i < runs; i++) secs.push((await upload(`http://127.0.0.1:${port}/`, body, size, 120)).seconds);
        const hwm = vmField(p.pid, "VmHWM") / 1e6;
        rows.push(
          `| ${name} | ${mbPerSecond(size, median(secs)).toFixed(0)} | ${secs.map((s) => s.toFixed(2)).join(", ")} | ${hwm.toFixed(1)} |`,
        );
        console.error(rows.at(-1));
      } finally {
        await stop(p);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    // 1 GiB of /dev/shm is RAM: do not leave it behind.
    rmSync(body, { force: true });
  }
  console.log(`Body ${size} bytes, ${runs} runs each, Bun ${Bun.version}${argv.includes("--smol") ? " --smol" : ""}\n`);
  console.log("| strategy | MB/s (median) | runs, s | VmHWM MB |\n| --- | ---: | --- | ---: |\n" + rows.join("\n"));
}

if (process.argv[2] === "--child") serveOne(process.argv[3], Number(process.argv[4]), process.argv[5]);
else await driver();
