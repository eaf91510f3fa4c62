/**
 * Differential test of holdfast's request parsing and framing against llhttp, the
 * strict parser of Node's `node:http` server (test/fixtures/llhttp-oracle.mjs).
 * Several hundred seeded cases; every disagreement must be one listed in KNOWN
 * with the RFC sentence behind holdfast's answer, and every KNOWN entry must
 * still occur (a stale entry fails too).
 */
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { ChunkedDecoder } from "../../src/http1/chunked.ts";
import { ParseError } from "../../src/http1/errors.ts";
import { requestFraming } from "../../src/http1/framing.ts";
import { ascii, findField } from "../../src/http1/head.ts";
import { parseRequestHead } from "../../src/http1/parse-request.ts";
import { generate } from "../fixtures/llhttp-cases.ts";

const ORACLE = new URL("../fixtures/llhttp-oracle.mjs", import.meta.url).pathname;
// Node's default --max-http-header-size; oversized cases are far past it on both sides.
const MAX_HEAD_BYTES = 16384;

type Kind = "accept" | "reject" | "incomplete";
interface Verdict {
  kind: Kind;
  /** Body bytes of the first message, when accepted. */
  body?: number;
  detail: string;
}

const HOST = ascii("host");

/** holdfast's answer: the parser, the framing, the chunked decoder, and the engine's Host rule. */
function holdfast(text: string): Verdict {
  const buf = Uint8Array.from(text, (c) => c.charCodeAt(0));
  try {
    const h = parseRequestHead(buf, MAX_HEAD_BYTES);
    if (!h) return { kind: "incomplete", detail: "head" };
    const framing = requestFraming(h);
    // RFC 9112 §3.2 "A server MUST respond with a 400 to any HTTP/1.1 request message that lacks a Host header
    // field": holdfast's engine does this, not the parser; Node does it with requireHostHeader.
    if (h.minor === 1 && findField(h, HOST) === -1) return { kind: "reject", detail: "400 no Host (engine)" };
    const rest = buf.subarray(h.length);
    if (framing.kind === "none") return { kind: "accept", body: 0, detail: "none" };
    if (framing.kind === "length") {
      return rest.length >= framing.bytes
        ? { kind: "accept", body: framing.bytes, detail: "length" }
        : { kind: "incomplete", detail: "length" };
    }
    const d = new ChunkedDecoder();
    d.push(rest, () => {});
    return d.done ? { kind: "accept", body: d.bodyBytes, detail: "chunked" } : { kind: "incomplete", detail: "chunked" };
  } catch (e) {
    if (e instanceof ParseError) return { kind: "reject", detail: `${e.status} ${e.message}` };
    throw e;
  }
}

interface OracleResult {
  request: null | { method: string; url: string; version: string; bodyBytes: number; complete: boolean };
  error: string | null;
  status: number | null;
  timeout: boolean;
}

/** llhttp's answer for the first message: accepted with its body, rejected, or waiting for bytes that never came. */
function llhttp(r: OracleResult): Verdict {
  if (r.request?.complete) return { kind: "accept", body: r.request.bodyBytes, detail: `${r.request.method} ${r.request.url}` };
  if (r.error === "HPE_INVALID_EOF_STATE") return { kind: "incomplete", detail: r.error };
  if (r.error) return { kind: "reject", detail: r.error };
  if (r.status === 400) return { kind: "reject", detail: "400 (requireHostHeader)" };
  return { kind: "incomplete", detail: r.timeout ? "timeout" : `no verdict, status ${r.status}` };
}

/**
 * Where holdfast and llhttp differ: the case tags, each side's answer, and the RFC sentence behind holdfast's.
 * `mutate:<base>:<region>:<byte class>` tags name single-byte mutations (see BASES and MUTANTS).
 */
const KNOWN: { why: string; holdfast: Kind | Kind[]; llhttp: Kind; tags: string[] }[] = [
  {
    why: 'RFC 9112 §2.2: "a recipient MAY recognize a single LF as a line terminator and ignore any preceding CR". ' +
      "nginx does too, in heads and chunked bodies; holdfast re-frames what it forwards (CRLF, Content-Length), so no bare LF reaches an upstream.",
    holdfast: ["accept", "incomplete"],
    llhttp: "reject",
    tags: [
      "bare-lf-head",
      "chunk-bare-lf",
      "chunk-short-data-then-lf",
      ...["htab", "sp", "lf", "delim", "digit", "colon", "semicolon", "alpha", "obs"].map((c) => `mutate:head:cr:${c}`),
      "mutate:head:name:lf",
      "mutate:head:value:lf",
      "mutate:head:final-cr:lf",
      ...["htab", "sp", "lf", "delim", "digit", "colon", "semicolon", "alpha", "obs"].map((c) => `mutate:body:cr:${c}`),
      "mutate:body:ext:lf",
      "mutate:body:trailer-name:lf",
      "mutate:body:trailer-value:lf",
      "mutate:body:final-cr:lf",
    ],
  },
  {
    why: "RFC 9112 §3.1: method = token; RFC 9110 §9.1: methods are case-sensitive and extensible (§16.1), and it is the " +
      'origin server that "SHOULD respond with the 501" to one it does not know. llhttp accepts only its built-in list. ' +
      "(\\nET: the LF is a leading empty line, RFC 9112 §2.2, then ET is a method.)",
    holdfast: "accept",
    llhttp: "reject",
    tags: ["method-unknown-token", "mutate:head:method:alpha", "mutate:head:method:digit", "mutate:head:method:lf"],
  },
  {
    why: 'RFC 9112 §6.3 item 5: an invalid Content-Length is an error "unless the field value can be successfully parsed as a ' +
      "comma-separated list ..., all values in the list are valid, and all values in the list are the same (in which case, the " +
      'message is processed with that single value"; RFC 9110 §8.6 allows either answer.',
    holdfast: "accept",
    llhttp: "reject",
    tags: ["cl-identical-fields", "cl-identical-list"],
  },
  {
    why: 'RFC 9112 §5: field-line = field-name ":" OWS field-value OWS, OWS = *( SP / HTAB ) (RFC 9110 §5.6.3): a trailing ' +
      "HTAB is not part of the value, so `chunked\\t` is chunked. llhttp strips only SP there.",
    holdfast: "accept",
    llhttp: "reject",
    tags: ["te-trailing-htab"],
  },
  {
    why: 'RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), and RFC 9110 §5.6.3: ' +
      '"a recipient MUST parse for such bad whitespace and remove it".',
    holdfast: "accept",
    llhttp: "reject",
    tags: ["chunk-extension-bws"],
  },
  {
    why: 'RFC 9112 §6.1: "A server that receives a request message with a transfer coding it does not understand SHOULD respond ' +
      'with 501 (Not Implemented)." holdfast removes only chunked and forwards with Content-Length, so it cannot pass gzip ' +
      "or deflate on; nginx answers 501 too.",
    holdfast: "reject",
    llhttp: "accept",
    tags: ["te-coded-chunked"],
  },
  {
    why: 'RFC 9112 §6.1: "A server or client that receives an HTTP/1.0 message containing a Transfer-Encoding header field MUST ' +
      'treat the message as if the framing is faulty, even if a Content-Length is present".',
    holdfast: "reject",
    llhttp: "accept",
    tags: ["te-http10"],
  },
  {
    why: 'RFC 9112 §6.3 item 4: "If a Transfer-Encoding header field is present in a request and the chunked transfer coding is ' +
      'not the final encoding ... the server MUST respond with the 400"; an empty list has no final chunked.',
    holdfast: "reject",
    llhttp: "accept",
    tags: ["te-empty"],
  },
  {
    why: 'RFC 9110 §5.4: "A server that receives a request header field line, field value, or set of fields larger than it ' +
      'wishes to process MUST respond with an appropriate 4xx (Client Error) status code": 431 past 256 fields (RFC 6585 §5).',
    holdfast: "reject",
    llhttp: "accept",
    tags: ["many-fields"],
  },
  {
    why: 'RFC 9112 §3: the request-line has single SPs; parsing on whitespace runs instead "can result in request smuggling ' +
      'security vulnerabilities", and "Recipients of an invalid request-line SHOULD respond with ... 400".',
    holdfast: "reject",
    llhttp: "accept",
    tags: ["request-line-extra-sp", "mutate:head:target:sp"],
  },
  {
    why: "RFC 9112 §3: request-line = method SP request-target SP HTTP-version; a line without a version is an HTTP/0.9 request, " +
      'which llhttp accepts and holdfast does not speak (RFC 9112 §3 "SHOULD respond with ... 400").',
    holdfast: "reject",
    llhttp: "accept",
    tags: ["http09-request-line", ...["delim", "digit", "colon", "semicolon", "alpha"].map((c) => `mutate:head:sp:${c}`)],
  },
  {
    why: 'RFC 9110 §15.6.6: 505 means "the server does not support, or refuses to support, the major version of HTTP that was ' +
      "used in the request message\"; holdfast's listener speaks HTTP/1.0 and HTTP/1.1 only.",
    holdfast: "reject",
    llhttp: "accept",
    tags: ["version-other-major", "version-0.9"],
  },
  {
    why: 'RFC 9112 §3.2.4: asterisk-form = "*", nothing more; an invalid request-line SHOULD get 400 (§3).',
    holdfast: "reject",
    llhttp: "accept",
    tags: ["target-asterisk-extra"],
  },
  {
    why: "RFC 9112 §7.1.1: chunk-ext-name = token, at least one tchar; llhttp skips an empty name, holdfast refuses a framing " +
      "line it would have to guess at (HAProxy's rule).",
    holdfast: "reject",
    llhttp: "accept",
    tags: ["chunk-extension-empty-name", "mutate:body:ext:semicolon"],
  },
];

test("holdfast agrees with llhttp on every case but the listed disagreements", () => {
  const cases = generate(0x9112);
  expect(cases.length).toBeGreaterThanOrEqual(300);
  const input = JSON.stringify(cases.map((c) => ({ b64: Buffer.from(c.text, "latin1").toString("base64") })));
  const run = spawnSync("node", [ORACLE], { input, encoding: "utf8", timeout: 120_000, maxBuffer: 1 << 26 });
  if (run.status !== 0) throw new Error(`llhttp oracle failed (${run.status ?? run.signal}): ${run.stderr}`);
  const results = JSON.parse(run.stdout) as OracleResult[];
  expect(results.length).toBe(cases.length);

  const unexplained: string[] = [];
  const seen = new Set<string>();
  let listed = 0;
  cases.forEach((c, i) => {
    const ours = holdfast(c.text), theirs = llhttp(results[i]);
    if (ours.kind === theirs.kind && ours.body === theirs.body) return;
    const known = KNOWN.find((k) => k.tags.includes(c.tag) && [k.holdfast].flat().includes(ours.kind) && k.llhttp === theirs.kind);
    if (known) {
      listed++;
      seen.add(c.tag);
      return;
    }
    unexplained.push(
      `${c.tag} ${JSON.stringify(c.text.slice(-90))}: holdfast ${ours.kind} ${ours.body ?? ""} (${ours.detail}), llhttp ${theirs.kind} ${
        theirs.body ?? ""
      } (${theirs.detail})`,
    );
  });
  if (process.env.HTTP1_DIFF_VERBOSE) {
    const mutated = cases.filter((c) => c.tag.startsWith("mutate:")).length;
    console.log(`${cases.length} cases (${mutated} mutations), ${listed} listed disagreements in ${seen.size} tags`);
    console.log(unexplained.join("\n"));
  }
  expect(unexplained).toEqual([]);
  // A listed disagreement that no longer happens is a stale table.
  expect(KNOWN.flatMap((k) => k.tags).filter((t) => !seen.has(t))).toEqual([]);
}, 150_000);
