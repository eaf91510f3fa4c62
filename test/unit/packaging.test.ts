import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseCommandLine } from "../../src/config/parse.ts";

const ROOT = resolve(import.meta.dir, "../..");
const UNIT = readFileSync(join(ROOT, "packaging/holdfast.service"), "utf8");
const ENV = readFileSync(join(ROOT, "packaging/holdfast.env"), "utf8");

/** The unit's `Key=value` lines by section, comments and blank lines dropped; throws on a line that is neither. */
function sections(text: string): Map<string, [string, string][]> {
  const out = new Map<string, [string, string][]>();
  let current: [string, string][] | undefined;
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "" || /^[#;]/.test(line)) continue;
    const head = /^\[(\w+)\]$/.exec(line);
    if (head) {
      out.set(head[1], current = []);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`line ${i + 1} is not Key=value in a section: ${line}`);
    current.push([kv[1], kv[2]]);
  }
  return out;
}

/** An EnvironmentFile's assignments as systemd reads them: quotes removed, a backslash joining lines. */
function envFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const joined = text.replace(/\\\n/g, "");
  for (const line of joined.split("\n")) {
    const m = /^([A-Z_]+)=(?:"([^"]*)"|(.*))$/.exec(line);
    if (m) out.set(m[1], (m[2] ?? m[3]).replace(/\s+/g, " ").trim());
  }
  return out;
}

test("packaging/holdfast.service is a well-formed unit with the hardening and directories holdfast needs", () => {
  const s = sections(UNIT);
  expect([...s.keys()]).toEqual(["Unit", "Service", "Install"]);
  const service = new Map(s.get("Service")!);
  expect(service.get("DynamicUser")).toBe("yes");
  expect(service.get("StateDirectory")).toBe("holdfast");
  expect(service.get("RuntimeDirectory")).toBe("holdfast");
  expect(service.get("ProtectSystem")).toBe("strict");
  expect(service.get("NoNewPrivileges")).toBe("yes");
  expect(service.get("CapabilityBoundingSet")).toBe("CAP_NET_BIND_SERVICE");
  expect(service.get("AmbientCapabilities")).toBe("CAP_NET_BIND_SERVICE");
  expect(service.get("ExecReload")).toMatch(/kill -HUP \$MAINPID$/);
  expect(service.get("ExecStart")).toBe("/usr/local/bin/holdfast $HOLDFAST_FLAGS");
  expect(service.get("ExecStartPre")).toBe("/usr/local/bin/holdfast --check $HOLDFAST_FLAGS");
  expect(service.get("EnvironmentFile")).toBe("/etc/holdfast/holdfast.env");
  // Longer than the default --shutdown-timeout, so systemd does not SIGKILL a drain in progress.
  expect(Number(service.get("TimeoutStopSec")!.replace(/s$/, ""))).toBeGreaterThan(30);
  expect(new Map(s.get("Install")!).get("WantedBy")).toBe("multi-user.target");
});

test("systemd-analyze verify finds nothing to say about the unit (where systemd is installed)", () => {
  const which = spawnSync("sh", ["-c", "command -v systemd-analyze"], { encoding: "utf8" });
  // Debian's CI image has systemd; elsewhere the well-formedness test above is the check.
  if (which.status !== 0) return;
  const dir = mkdtempSync("/tmp/holdfast-unit-");
  try {
    // verify wants the programs to exist: the unit as it would be with holdfast installed at /bin/true.
    const unit = UNIT.replaceAll("/usr/local/bin/holdfast", "/bin/true").replace("/etc/holdfast/holdfast.env", join(dir, "holdfast.env"));
    writeFileSync(join(dir, "holdfast.service"), unit);
    writeFileSync(join(dir, "holdfast.env"), ENV);
    const r = spawnSync("systemd-analyze", ["verify", join(dir, "holdfast.service")], { encoding: "utf8" });
    expect({ status: r.status, stderr: r.stderr, stdout: r.stdout }).toEqual({ status: 0, stderr: "", stdout: "" });
    // It does catch a mistake (a misspelled key is only a warning, hence the empty stderr above).
    writeFileSync(join(dir, "holdfast.service"), unit.replace("ProtectSystem=strict", "ProtectSystem=strikt"));
    const bad = spawnSync("systemd-analyze", ["verify", join(dir, "holdfast.service")], { encoding: "utf8" });
    expect(bad.stderr).toContain("strikt");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("packaging/holdfast.env's flags parse, and spool where the unit's directories are", () => {
  const flags = envFile(ENV).get("HOLDFAST_FLAGS")!;
  expect(flags).toBeDefined();
  const cmd = parseCommandLine(flags.split(" "), "/unused");
  if (cmd.kind !== "serve") throw new Error(`expected flags to serve, got ${cmd.kind}`);
  expect(cmd.config.spoolDirs).toEqual(["/run/holdfast", "/var/lib/holdfast"]);
  expect(cmd.config.listeners).toEqual([{ host: "0.0.0.0", port: 80, tls: false }]);
});
