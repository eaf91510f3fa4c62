import { FLAGS } from "./options.ts";

/** The `--help` text: usage, then every flag with its default and nginx equivalent. */
export function helpText(version: string): string {
  const lines = [
    `holdfast ${version}: an edge reverse proxy that spools request bodies, holds`,
    "requests while the upstream is down, and replays them when it is back.",
    "",
    "Usage:",
    "  holdfast --upstream HOST:PORT [flags]   run the proxy",
    "  holdfast demo [--size SIZE] [--rate SIZE] [--keep]",
    "                                           upload through holdfast while the upstream is killed and restarted",
    "",
    "Sizes: 512, 128k, 10m, 2g (binary multiples). Durations: 250ms, 30s, 5m, 1h.",
    "",
    "Flags:",
  ];
  for (const f of FLAGS) {
    lines.push(`  ${f.short ? `-${f.short}, ` : ""}--${f.name}${f.value ? ` ${f.value}` : ""}${f.multiple ? " (repeatable)" : ""}`);
    lines.push(`      ${f.help}`);
    const facts = [
      f.default !== undefined ? `default: ${f.default}` : "",
      f.nginx ? `nginx: ${f.nginx}` : "",
    ].filter(Boolean);
    if (facts.length) lines.push(`      ${facts.join("; ")}`);
  }
  return lines.join("\n");
}
