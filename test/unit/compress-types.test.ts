import { describe, expect, test } from "bun:test";
import { parseResponseHead } from "../../src/http1/parse-response.ts";
import { DEFAULT_TYPES, TypeMatcher } from "../../src/compress/media-types.ts";

const enc = new TextEncoder();
const head = (type?: string) =>
  parseResponseHead(
    enc.encode(`HTTP/1.1 200 OK\r\n${type === undefined ? "" : `Content-Type: ${type}\r\n`}Content-Length: 0\r\n\r\n`),
    65536,
  )!;

describe("TypeMatcher (--compress-types, nginx gzip_types)", () => {
  const m = new TypeMatcher(DEFAULT_TYPES);

  test("the defaults: text/*, JSON, JavaScript, SVG, XML, case-insensitive, parameters ignored", () => {
    for (const t of ["text/html", "text/css; charset=utf-8", "TEXT/Plain", "application/json", "Application/JSON;charset=UTF-8"]) {
      expect([t, m.matches(head(t))]).toEqual([t, true]);
    }
    for (const t of ["application/javascript", "image/svg+xml", "application/xml"]) expect(m.matches(head(t))).toBe(true);
  });

  test("other types, a bare prefix, a missing Content-Type and text/event-stream do not match", () => {
    for (const t of ["image/png", "application/octet-stream", "application/jsonx", "text/", "text", ""]) {
      expect([t, m.matches(head(t))]).toEqual([t, false]);
    }
    expect(m.matches(head())).toBe(false);
    expect(m.matches(head("text/event-stream"))).toBe(false);
    expect(new TypeMatcher(["*"]).matches(head("text/event-stream; charset=utf-8"))).toBe(false);
  });

  test("* matches any type; TYPE/* every subtype of TYPE", () => {
    expect(new TypeMatcher(["*"]).matches(head("image/png"))).toBe(true);
    expect(new TypeMatcher(["*/*"]).matches(head("font/woff2"))).toBe(true);
    expect(new TypeMatcher(["font/*"]).matches(head("font/ttf"))).toBe(true);
    expect(new TypeMatcher(["font/*"]).matches(head("text/html"))).toBe(false);
  });

  test("a malformed pattern is refused, naming the accepted form", () => {
    for (const p of ["json", "text/", "/json", "a/b/c", "te xt/html"]) {
      expect(() => new TypeMatcher([p])).toThrow(/is not a media type; expected a list of media types TYPE\/SUBTYPE/);
    }
  });
});
