import { parseArgs, type ParseArgsConfig } from "node:util";
import { FLAGS } from "./options.ts";
import { type Config, configSchema } from "./schema.ts";

/** A bad command line; `message` names the flag and the accepted form. Exit status 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** What the command line asks for. */
export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "serve"; config: Config }
  | { kind: "check"; config: Config };

/**
 * Parses holdfast's flags (node:util parseArgs) and validates them (zod).
 *
 * @param argv arguments after the program name
 * @param defaultSpoolDir the spool directory used when no `--spool` is given
 * @throws {ConfigError} on an unknown flag, a missing value or a bad value
 */
export function parseCommandLine(argv: string[], defaultSpoolDir: string): Command {
  const options = Object.fromEntries(
    FLAGS.map((f) => [f.name, { type: f.type, ...(f.multiple ? { multiple: true } : {}), ...(f.short ? { short: f.short } : {}) }]),
  ) as ParseArgsConfig["options"];
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: joinDashValues(argv), options, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new ConfigError(`${(e as Error).message.split("\n")[0]}; see holdfast --help`);
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  const raw: Record<string, unknown> = {};
  for (const f of FLAGS) {
    const v = values[f.name];
    if (f.type === "boolean") {
      if (f.name !== "help" && f.name !== "version" && f.name !== "check") raw[f.name] = v === true;
      continue;
    }
    // A default shown with prose ("502 (504 on a timeout)") is not a value.
    const fallback = /^[\w.:/,-]+$/.test(f.default ?? "") ? f.default : undefined;
    const listDefault = f.name === "spool" ? [defaultSpoolDir] : f.name === "listen" ? [fallback] : [];
    raw[f.name] = v ?? (f.multiple ? listDefault : fallback);
  }
  const r = configSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const flag = String(issue.path[0] ?? "");
    const given = values[flag];
    const shown = Array.isArray(given) ? given[Number(issue.path[1] ?? 0)] : given;
    // A boolean flag has no value to quote.
    const quoted = shown === undefined || typeof shown === "boolean" ? "" : ` "${shown}"`;
    throw new ConfigError(`Cannot use --${flag}${quoted}: ${issue.message}`);
  }
  return { kind: values.check ? "check" : "serve", config: r.data };
}

const VALUED = new Set(FLAGS.filter((f) => f.type === "string").map((f) => `--${f.name}`));

/**
 * `--compress-min-length -1` as `--compress-min-length=-1`: parseArgs calls a
 * value that starts with a dash ambiguous and says no more; holdfast has no
 * short flags, so such a value is the flag's, and its check then names the
 * accepted form.
 */
function joinDashValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (VALUED.has(argv[i]) && next !== undefined && /^-[^-]/.test(next)) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}
