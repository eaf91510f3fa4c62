// The demo is the README's first command: it must keep passing.
import { afterAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { holdfastCommand, Proc, stopAll, TARGETS } from "./harness.ts";

afterAll(stopAll);

describe.each(TARGETS)("demo on %s", (target) => {
  test("holdfast demo survives the upstream's SIGKILL and exits 0 with matching sha256", async () => {
    const argv = [...holdfastCommand(target), "demo", "--size", "40m"];
    const p = new Proc(spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] }));
    expect(await p.exited).toBe(0);
    const out = p.lines.join("\n");
    expect(out).toContain("SIGKILL");
    expect(out).toMatch(/PASS/);
    const sent = /sha256 sent\s+([0-9a-f]{64})/.exec(out)?.[1];
    const stored = /sha256 stored\s+([0-9a-f]{64})/.exec(out)?.[1];
    expect(sent).toBeDefined();
    expect(stored).toBe(sent!);
  }, 90_000);
});
