/**
 * A deterministic JSON document shaped like an API's list response (a page
 * of orders with their customer, items, amounts, timestamps, ids and
 * nulls), for benchmarks that compress JSON: the same bytes on every run and
 * machine, from a seeded generator, so compressed sizes can be compared
 * across runs. Random ids and tracking numbers keep it from compressing
 * better than a real response would; repeated keys and enums give gzip what
 * a real one gives it.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** mulberry32: a small seeded PRNG (32-bit state), uniform in [0, 1). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ["Ada", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemal", "Lena", "Mateo", "Noor"];
const LAST = ["Okafor", "Schmidt", "Rossi", "Ivanova", "Tanaka", "Haddad", "Novak", "Silva", "Berg", "Dubois", "Kowalski", "Moreau"];
const CITIES = ["Berlin", "Lisbon", "Osaka", "Toronto", "Lyon", "Krakow", "Porto", "Utrecht", "Austin", "Leeds"];
const COUNTRIES = ["DE", "PT", "JP", "CA", "FR", "PL", "PT", "NL", "US", "GB"];
const STREETS = ["Main St", "Station Rd", "Harbour Way", "Linden Allee", "Rue Verte", "Ulica Dluga", "Park Ave"];
const PRODUCTS = ["USB-C cable 2 m", "Wireless mouse", "Mechanical keyboard", "27-inch monitor", "Laptop stand", "Webcam 1080p"];
const STATUS = ["paid", "paid", "paid", "pending", "shipped", "shipped", "refunded"];
const TAGS = ["gift", "express", "b2b", "first-order", "newsletter", "promo"];
const CARRIERS = ["dhl", "ups", "fedex", "postnl"];
const ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * The document: `{"object":"list",...,"data":[order, ...],"has_more":...}`,
 * compact (no spaces, as APIs send it), orders appended until it is at least
 * `bytes` long, and always whole (valid JSON, never cut).
 */
export function apiJson(bytes: number): Uint8Array {
  const r = prng(0x5eed1e55);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const id = (prefix: string, n: number) => prefix + Array.from({ length: n }, () => ALNUM[Math.floor(r() * 36)]).join("");
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 10)).join("");
  const epoch = Date.UTC(2025, 0, 1);
  const orders: string[] = [];
  const head = `{"object":"list","url":"/v1/orders","page":1,"generated_at":"2026-01-01T00:00:00.000Z","data":[`;
  let size = head.length + 64;
  for (let i = 0; size < bytes; i++) {
    const first = pick(FIRST), last = pick(LAST), city = Math.floor(r() * CITIES.length);
    const items = Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({
      sku: `SKU-${digits(5)}`,
      name: pick(PRODUCTS),
      quantity: 1 + Math.floor(r() * 4),
      unit_price: 199 + Math.floor(r() * 40_000),
      tax_rate: pick([0.19, 0.2, 0.21, 0.23, 0.1, 0]),
    }));
    const status = pick(STATUS);
    const created = epoch + Math.floor(r() * 365 * 86_400_000);
    const order = {
      id: id("ord_", 14),
      object: "order",
      created_at: new Date(created).toISOString(),
      updated_at: new Date(created + Math.floor(r() * 3 * 86_400_000)).toISOString(),
      status,
      currency: "EUR",
      amount: items.reduce((s, it) => s + it.quantity * it.unit_price, 0),
      customer: {
        id: id("cus_", 14),
        name: `${first} ${last}`,
        email: `${first.toLowerCase()}.${last.toLowerCase()}${Math.floor(r() * 1000)}@example.com`,
        address: {
          line1: `${1 + Math.floor(r() * 250)} ${pick(STREETS)}`,
          line2: r() < 0.7 ? null : `Apt ${1 + Math.floor(r() * 40)}`,
          city: CITIES[city],
          postal_code: digits(5),
          country: COUNTRIES[city],
        },
      },
      items,
      tags: TAGS.filter(() => r() < 0.2),
      metadata: { source: pick(["web", "ios", "android", "api"]), campaign: r() < 0.5 ? null : `spring-${digits(2)}` },
      shipping: status === "shipped" ? { carrier: pick(CARRIERS), tracking: `JD${digits(12)}` } : null,
      paid: status !== "pending",
      risk_score: Math.round(r() * 1000) / 1000,
    };
    const text = JSON.stringify(order);
    orders.push(text);
    size += text.length + 1;
  }
  const tail = `],"has_more":true,"next_cursor":"${id("cur_", 24)}","total_count":${orders.length * 40}}`;
  return new TextEncoder().encode(head + orders.join(",") + tail);
}

/** SHA-256 of `data`, hex. */
export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Makes the document of about `bytes` and writes it to `file` unless the file
 * already holds exactly those bytes (so it is written once, on the first run).
 * @returns its bytes and their SHA-256
 */
export function ensureApiJson(file: string, bytes: number): { data: Uint8Array; sha256: string } {
  const data = apiJson(bytes);
  const sha256 = sha256Hex(data);
  if (!existsSync(file) || sha256Hex(readFileSync(file)) !== sha256) writeFileSync(file, data);
  return { data, sha256 };
}
