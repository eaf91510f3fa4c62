import { describe, expect, test } from "bun:test";
import { formatBytes, parseDuration, parseSize } from "../../src/config/units.ts";

describe("parseSize()", () => {
  test("reads bytes and binary k, m, g multiples as nginx does", () => {
    expect(parseSize("512")).toBe(512);
    expect(parseSize("128k")).toBe(131072);
    expect(parseSize("10m")).toBe(10 * 1024 * 1024);
    expect(parseSize("2G")).toBe(2 * 1024 ** 3);
    expect(parseSize("0")).toBe(0);
  });
  test("rejects other forms", () => {
    for (const bad of ["", "k", "1.5m", "-1", "10mb", "1 m", "ten"]) expect(parseSize(bad)).toBeUndefined();
  });
});

describe("parseDuration()", () => {
  test("reads ms, s, m and h into milliseconds", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("0")).toBe(0);
  });
  test("rejects a bare number other than 0, and unknown units", () => {
    for (const bad of ["5", "5x", "1d", "s", "1.5s", ""]) expect(parseDuration(bad)).toBeUndefined();
  });
});

test("formatBytes() prints binary units", () => {
  expect(formatBytes(512)).toBe("512 B");
  expect(formatBytes(1536)).toBe("1.5 KiB");
  expect(formatBytes(200 * 1024 * 1024)).toBe("200.0 MiB");
});
