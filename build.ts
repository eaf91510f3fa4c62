/**
 * Cross-compiles holdfast into self-contained binaries with `bun build
 * --compile`: dist/holdfast-linux-x64 and dist/holdfast-linux-arm64.
 * Bun fetches each target's runtime from the npm registry. Usage:
 * `bun build.ts [x64|arm64 ...]` (default: both).
 */
import { $ } from "bun";

const TARGETS: Record<string, string> = {
  x64: "bun-linux-x64",
  arm64: "bun-linux-arm64",
};

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(TARGETS);
for (const arch of wanted) {
  const target = TARGETS[arch];
  if (!target) throw new Error(`Cannot build "${arch}": expected one of ${Object.keys(TARGETS).join(", ")}`);
  const out = `dist/holdfast-linux-${arch}`;
  // The body receiver thread (runtime/bun-receiver.ts) is its own entry point, embedded next to main.
  await $`${process.execPath} build --compile --minify --target=${target} src/main.ts runtime/bun-receiver-worker.ts --outfile ${out}`;
  console.log(`built ${out}`);
}
