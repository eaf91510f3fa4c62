/**
 * The `--compress*` flags' values, parsed (nginx `gzip`, `gzip_types`,
 * `gzip_min_length`, `gzip_comp_level`).
 *
 * @module
 */
import { type Coding, CODINGS, DEFAULT_LEVELS, LEVEL_RANGE, type Levels } from "./codings.ts";
import type { TypeMatcher } from "./media-types.ts";

/** What `--compress` and its companions ask for; absent from the config when `--compress off`. */
export interface CompressConfig {
  /** Codings offered, in the server's order of preference (`--compress`), 1 to 3 of them. */
  codings: readonly Coding[];
  /** `--compress-level`, per coding. */
  levels: Readonly<Levels>;
  /** `--compress-types`. */
  types: TypeMatcher;
  /** `--compress-min-length` in bytes: a `Content-Length` body shorter than this is sent as it is. */
  minLength: number;
}

/** The accepted form of `--compress`, quoted in errors. */
export const CODINGS_FORM = "off, or a list of gzip, br and zstd in order of preference (gzip,br,zstd)";
/** The accepted form of `--compress-level`, quoted in errors. */
export const LEVELS_FORM = "a list of CODING=LEVEL with gzip 1-9, br 0-11, zstd 1-19 (gzip=1,br=4,zstd=3)";

/**
 * Parses `--compress`: `off` or codings, comma-separated, each once.
 * @returns the codings in order, empty for `off`
 * @throws {Error} naming {@link CODINGS_FORM}
 */
export function parseCodings(text: string): Coding[] {
  const t = text.trim().toLowerCase();
  if (t === "off") return [];
  const out: Coding[] = [];
  for (const part of t.split(",")) {
    const c = part.trim() as Coding;
    if (!CODINGS.includes(c)) throw new Error(`unknown coding "${part.trim()}"; expected ${CODINGS_FORM}`);
    if (out.includes(c)) throw new Error(`"${c}" is given twice; expected ${CODINGS_FORM}`);
    out.push(c);
  }
  return out;
}

/**
 * Parses `--compress-level`: `CODING=LEVEL` pairs; codings not named keep their default (all of them for "").
 * @throws {Error} naming {@link LEVELS_FORM}
 */
export function parseLevels(text: string): Levels {
  const out: Levels = { ...DEFAULT_LEVELS };
  if (text.trim() === "") return out;
  for (const part of text.split(",")) {
    const [name, value] = part.trim().split("=");
    const c = name.toLowerCase() as Coding;
    const range = LEVEL_RANGE[c];
    const n = value !== undefined && /^\d+$/.test(value) ? Number(value) : NaN;
    if (!CODINGS.includes(c) || !(n >= range[0] && n <= range[1])) throw new Error(`expected ${LEVELS_FORM}`);
    out[c] = n;
  }
  return out;
}
