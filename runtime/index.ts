import type { Runtime } from "./types.ts";

export type * from "./types.ts";

/**
 * Picks the {@link Runtime} for the process holdfast runs in, once.
 * Throws when neither Bun nor Deno is present (Node.js is not supported).
 */
export async function detectRuntime(): Promise<Runtime> {
  if ("Bun" in globalThis) return (await import("./bun.ts")).bunRuntime;
  if ("Deno" in globalThis) return (await import("./deno.ts")).denoRuntime;
  throw new Error("Cannot start holdfast: it runs on Bun or Deno, and neither was found");
}
