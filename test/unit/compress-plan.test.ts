import { describe, expect, test } from "bun:test";
import { parseRequestHead } from "../../src/http1/parse-request.ts";
import { parseResponseHead } from "../../src/http1/parse-response.ts";
import type { Framing } from "../../src/http1/framing.ts";
import { planCompression } from "../../src/proxy/compress-response.ts";
import { clientResponseHead } from "../../src/proxy/response-head.ts";
import { DEFAULT_TYPES, TypeMatcher } from "../../src/compress/media-types.ts";
import { DEFAULT_LEVELS } from "../../src/compress/codings.ts";
import type { CompressConfig } from "../../src/compress/flags.ts";

const enc = new TextEncoder();
const S: CompressConfig = { codings: ["gzip", "br"], levels: DEFAULT_LEVELS, types: new TypeMatcher(DEFAULT_TYPES), minLength: 1024 };
const req = (method = "GET", ae = "gzip, br") =>
  parseRequestHead(enc.encode(`${method} / HTTP/1.1\r\nHost: t\r\nAccept-Encoding: ${ae}\r\n\r\n`), 65536)!;
const res = (fields: string, status = "200 OK") => parseResponseHead(enc.encode(`HTTP/1.1 ${status}\r\n${fields}\r\n`), 65536)!;
const LEN: Framing = { kind: "length", bytes: 5000 };
const JSON_200 = "Content-Type: application/json\r\nContent-Length: 5000\r\n";

/** The client's head for a plan applied to `r`, framed as a chunked stream. */
function clientHead(fields: string, ae = "gzip, br"): string | undefined {
  const r = res(fields);
  const plan = planCompression(S, req("GET", ae), r, LEN);
  if (!plan) return undefined;
  const edit = plan.edit(plan.coding ? "Transfer-Encoding: chunked" : undefined);
  const f = { passChunked: false, keepLength: !plan.coding, close: false, upgrade: false, edit };
  return new TextDecoder("latin1").decode(clientResponseHead(r, f));
}

describe("planCompression()", () => {
  test("a JSON response of 5000 bytes is compressed with the negotiated coding", () => {
    expect(planCompression(S, req(), res(JSON_200), LEN)?.coding).toBe("gzip");
    expect(planCompression(S, req("GET", "br"), res(JSON_200), LEN)?.coding).toBe("br");
    expect(planCompression(S, req(), res("Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"), { kind: "chunked" })?.coding)
      .toBe("gzip");
  });

  test("never: HEAD, 204, 206, 304, no body, under the minimum length, encoded, ranged, no-transform, other types, SSE", () => {
    expect(planCompression(S, req("HEAD"), res(JSON_200), LEN)).toBeUndefined();
    for (const status of ["204 No Content", "206 Partial Content", "304 Not Modified", "101 Switching Protocols"]) {
      expect(planCompression(S, req(), res(JSON_200, status), LEN)).toBeUndefined();
    }
    expect(planCompression(S, req(), res(JSON_200), { kind: "none" })).toBeUndefined();
    expect(planCompression(S, req(), res(JSON_200), { kind: "length", bytes: 1023 })).toBeUndefined();
    expect(planCompression(S, req(), res(JSON_200), { kind: "length", bytes: 1024 })).toBeDefined();
    expect(planCompression(S, req(), res(`${JSON_200}Content-Encoding: identity\r\n`), LEN)).toBeUndefined();
    expect(planCompression(S, req(), res(`${JSON_200}Content-Range: bytes 0-4999/9000\r\n`), LEN)).toBeUndefined();
    expect(planCompression(S, req(), res(`${JSON_200}Cache-Control: max-age=60, No-Transform\r\n`), LEN)).toBeUndefined();
    expect(planCompression(S, req(), res(`${JSON_200}Cache-Control: no-transformation\r\n`), LEN)).toBeDefined();
    expect(planCompression(S, req(), res("Content-Type: image/png\r\n"), LEN)).toBeUndefined();
    expect(planCompression(S, req(), res("Content-Length: 5000\r\n"), LEN)).toBeUndefined();
    expect(planCompression(S, req(), res("Content-Type: text/event-stream\r\n"), { kind: "chunked" })).toBeUndefined();
  });

  test("the client's head: Content-Length and the peer's framing out, Content-Encoding, Vary and chunked in", () => {
    expect(clientHead(`${JSON_200}X-A: 1\r\n`)).toBe(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-A: 1\r\n" +
        "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
  });

  test("Vary merged into one line; left alone when it names Accept-Encoding or is *; a strong ETag weakened", () => {
    expect(clientHead(`${JSON_200}Vary: Origin\r\nETag: "x1"\r\nvary: Cookie, \r\n`)).toBe(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
        'Content-Encoding: gzip\r\nVary: Origin, Cookie, Accept-Encoding\r\nETag: W/"x1"\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    expect(clientHead(`${JSON_200}Vary: *\r\nETag: W/"x1"\r\n`)).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nVary: *\r\nETag: W/"x1"\r\n' +
        "Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
  });

  test("Accept-Ranges is dropped from a compressed response (ranges of the peer's bytes), kept on the plain one", () => {
    expect(clientHead(`${JSON_200}Accept-Ranges: bytes\r\n`)).toBe(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
        "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    expect(clientHead(`${JSON_200}Accept-Ranges: bytes\r\n`, "zstd")).toBe(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\nAccept-Ranges: bytes\r\nVary: Accept-Encoding\r\n\r\n",
    );
  });

  test("a client that accepts no offered coding: the body as it is, with Vary: Accept-Encoding and the ETag unchanged", () => {
    expect(clientHead(`${JSON_200}ETag: "x1"\r\n`, "zstd")).toBe(
      'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\nETag: "x1"\r\nVary: Accept-Encoding\r\n\r\n',
    );
  });
});
