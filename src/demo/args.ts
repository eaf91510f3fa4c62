import { parseArgs } from "node:util";
import { parseSize, SIZE_FORM } from "../config/units.ts";

/** A bad `holdfast demo` command line; `message` names the flag. Exit status 2. */
export class DemoArgError extends Error {
  override name = "DemoArgError";
}

/** What `holdfast demo` was asked to do. */
export interface DemoOptions {
  /** Bytes to upload (`--size`, default 200m). */
  sizeBytes: number;
  /** Upload pace in bytes per second (`--rate`, default 50m). */
  rateBytesPerSecond: number;
  /** Keep the temp directories (uploads, spool) for inspection (`--keep`). */
  keep: boolean;
}

/**
 * Parses `holdfast demo [--size SIZE] [--rate SIZE] [--keep]`.
 * @param argv the arguments after `demo`
 * @throws {DemoArgError} on an unknown flag, a missing value, or a size that
 *   is not of the `parseSize` form or is 0
 */
export function parseDemoArgs(argv: string[]): DemoOptions {
  let values: { size?: string; rate?: string; keep?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { size: { type: "string" }, rate: { type: "string" }, keep: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new DemoArgError(`${(e as Error).message.split("\n")[0]}; usage: holdfast demo [--size SIZE] [--rate SIZE] [--keep]`);
  }
  return {
    sizeBytes: positiveSize("size", values.size ?? "200m", "at least 1 byte"),
    rateBytesPerSecond: positiveSize("rate", values.rate ?? "50m", "at least 1 byte per second"),
    keep: values.keep ?? false,
  };
}

function positiveSize(flag: string, text: string, minimum: string): number {
  const n = parseSize(text);
  if (n === undefined || n < 1) {
    const why = `expected ${n === undefined ? SIZE_FORM : minimum}`;
    throw new DemoArgError(`Cannot use --${flag} "${text}": ${why}`);
  }
  return n;
}
