/** Formatting a written report the way the repository's checks want it. */
/// <reference types="bun-types" />
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./source.ts";

/**
 * Formats the Markdown file at `path` as `deno fmt --check bench` wants it
 * (tables aligned, prose wrapped at 140 columns, as deno.json says); only a
 * warning when that cannot be done.
 */
export function formatReport(path: string): void {
  const deno = join(REPO, "node_modules/.bin/deno");
  if (!existsSync(deno)) return console.warn(`${deno} is missing: ${path} is left unformatted (deno fmt would change it)`);
  const argv = [deno, "fmt", "--quiet", "--config", join(REPO, "deno.json"), path];
  const r = Bun.spawnSync(argv, { cwd: REPO, stdout: "pipe", stderr: "pipe", timeout: 60_000 });
  if (r.exitCode !== 0) console.warn(`deno fmt ${path} failed (${r.exitCode}): ${r.stderr.toString().trim()}`);
}
