import { describe, expect, test } from "bun:test";
import { parseRequestHead } from "../../src/http1/parse-request.ts";
import { negotiate } from "../../src/compress/negotiate.ts";
import type { Coding } from "../../src/compress/codings.ts";

const enc = new TextEncoder();
const ALL: Coding[] = ["gzip", "br", "zstd"];

/** The coding chosen for a request with these Accept-Encoding field values (one field line each). */
function pick(values: string[], offered: Coding[] = ALL): string {
  const fields = values.map((v) => `Accept-Encoding: ${v}\r\n`).join("");
  const h = parseRequestHead(enc.encode(`GET / HTTP/1.1\r\nHost: t\r\n${fields}\r\n`), 65536)!;
  return negotiate(h, offered) ?? "identity";
}

describe("negotiate() (RFC 9110 §12.5.3)", () => {
  test("no Accept-Encoding, or an empty one, gives identity", () => {
    expect(pick([])).toBe("identity");
    expect(pick([""])).toBe("identity");
  });

  test("the highest q wins; q=0 excludes; a coding not listed is not acceptable without *", () => {
    expect(pick(["gzip;q=0, br"])).toBe("br");
    expect(pick(["gzip;q=0.2, br;q=0.9, zstd;q=0.5"])).toBe("br");
    expect(pick(["gzip;q=0.002, br;q=0.001"])).toBe("gzip");
    expect(pick(["deflate, compress"])).toBe("identity");
    expect(pick(["gzip;q=0"])).toBe("identity");
  });

  test("ties go to the server's order, whatever the client's order", () => {
    expect(pick(["zstd, br, gzip"])).toBe("gzip");
    expect(pick(["zstd, br, gzip"], ["br", "zstd"])).toBe("br");
    expect(pick(["gzip;q=0.5, br;q=0.5"], ["br", "gzip"])).toBe("br");
  });

  test("* stands for every coding not listed; *;q=0 leaves identity", () => {
    expect(pick(["*"])).toBe("gzip");
    expect(pick(["gzip;q=0, *"])).toBe("br");
    expect(pick(["*;q=0"])).toBe("identity");
    expect(pick(["br;q=0.5, *;q=0.1"])).toBe("br");
    expect(pick(["br;q=0.5, *;q=0.9"])).toBe("gzip");
  });

  test("identity listed higher than every coding keeps the body as it is; listed or not otherwise, no effect", () => {
    expect(pick(["identity"])).toBe("identity");
    expect(pick(["gzip;q=0.5, identity"])).toBe("identity");
    expect(pick(["gzip, identity;q=0.5"])).toBe("gzip");
    expect(pick(["gzip;q=0.5"])).toBe("gzip");
    expect(pick(["identity;q=0, gzip"])).toBe("gzip");
  });

  test("names and q are case-insensitive; x-gzip is gzip; OWS, empty elements, other parameters and repeated fields", () => {
    expect(pick(["GZip;Q=1"])).toBe("gzip");
    expect(pick(["x-gzip"])).toBe("gzip");
    expect(pick([" ,  , br ; q=0.5 ;level=3 ,"])).toBe("br");
    expect(pick(["gzip;q=0", "br"])).toBe("br");
    // The first entry for a name counts.
    expect(pick(["gzip;q=0, gzip"])).toBe("identity");
  });

  test("a malformed q makes its entry unacceptable", () => {
    expect(pick(["gzip;q=2, br;q=0.1"])).toBe("br");
    expect(pick(["gzip;q=x, br;q=0.1"])).toBe("br");
    expect(pick(["gzip;q=0.0001, br;q=0.1"])).toBe("br");
    expect(pick(["gzip;q=1.000"])).toBe("gzip");
    expect(pick(["gzip;q=1.5"])).toBe("identity");
  });
});
