/**
 * One Markdown file, several writers: each benchmark owns a `## ` section of
 * bench/REPORT.md and replaces only that, leaving the others' text as it was.
 */
/// <reference types="bun-types" />
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./source.ts";

/** Start and end line indexes of the section headed exactly `heading` (up to the next `# ` or `## ` heading), or undefined. */
function find(lines: string[], heading: string): [number, number] | undefined {
  const start = lines.findIndex((l) => l.trimEnd() === heading);
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && !/^#{1,2} /.test(lines[end])) end++;
  return [start, end];
}

/**
 * `doc` with the section headed `heading` replaced by `section` (which starts
 * with that heading), or with `section` appended when there is none.
 */
export function replaceSection(doc: string, heading: string, section: string): string {
  const lines = doc.split("\n");
  const body = section.trimEnd().split("\n");
  const at = find(lines, heading);
  if (!at) return `${doc.trimEnd()}\n\n${body.join("\n")}\n`;
  const after = lines.slice(at[1]);
  return [...lines.slice(0, at[0]), ...body, ...(after.length ? ["", ...after] : [])].join("\n").trimEnd() + "\n";
}

/**
 * The section headed `heading` of the file at `path` ("" when the file or the
 * section is missing), with a blank line before it: what a writer that
 * regenerates the whole file appends to keep another benchmark's section.
 */
export function keptSection(path: string, heading: string): string {
  if (!existsSync(path)) return "";
  const lines = readFileSync(path, "utf8").split("\n");
  const at = find(lines, heading);
  return at ? `\n${lines.slice(at[0], at[1]).join("\n").trimEnd()}\n` : "";
}

/** Writes `section` into the Markdown file at `path` (see {@link replaceSection}); creates the file with `title` when missing. */
export function writeSection(path: string, heading: string, section: string, title: string): void {
  const doc = existsSync(path) ? readFileSync(path, "utf8") : `${title}\n`;
  writeFileSync(path, replaceSection(doc, heading, section));
}

/**
 * Formats the report the way `deno fmt --check bench` wants it (tables
 * aligned, prose wrapped at 140 columns, as deno.json says); only a warning
 * when that cannot be done.
 */
export function formatReport(path: string): void {
  const deno = join(REPO, "node_modules/.bin/deno");
  if (!existsSync(deno)) return console.warn(`${deno} is missing: ${path} is left unformatted (deno fmt would change it)`);
  const argv = [deno, "fmt", "--quiet", "--config", join(REPO, "deno.json"), path];
  const r = Bun.spawnSync(argv, { cwd: REPO, stdout: "pipe", stderr: "pipe", timeout: 60_000 });
  if (r.exitCode !== 0) console.warn(`deno fmt ${path} failed (${r.exitCode}): ${r.stderr.toString().trim()}`);
}
