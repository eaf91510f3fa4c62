import type { Runtime } from "../../runtime/index.ts";
import type { Config } from "../config/schema.ts";
import { probeSpoolDirs, roomWarnings } from "./probe.ts";
import { SpoolStore } from "./store.ts";

/**
 * The spool at start-up: every `--spool` directory is probed (probe.ts); one
 * that does not work is named in a warning and left out, and holdfast
 * refuses to start when none works. A directory whose reserve leaves it no
 * room for a body is named in a warning too.
 * @param warn receives each warning (one line, no prefix)
 * @throws Error naming every directory and what failed, when none works
 */
export async function openSpoolStore(rt: Runtime, config: Config, warn: (line: string) => void): Promise<SpoolStore> {
  const { usable, problems } = await probeSpoolDirs(rt, config.spoolDirs);
  if (usable.length === 0) throw new Error(`no --spool directory works: ${problems.join("; ")}`);
  for (const p of problems) warn(`${p}; skipping it`);
  const store = new SpoolStore(rt, usable, config.spoolReserveBytes, warn);
  // A body smaller than --body-buffer stays in memory: the spool only ever holds larger ones.
  for (const d of usable) for (const w of roomWarnings(rt, d, store.reserveOf(d), config.bodyBufferBytes)) warn(w);
  return store;
}
