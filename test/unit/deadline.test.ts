import { expect, test } from "bun:test";
import { Deadline } from "../../src/engine/deadline.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a deadline fires once when it passes; moving it later delays it, clearing it stops it", async () => {
  let fired = 0;
  const d = new Deadline(() => fired++);
  d.set(100);
  await sleep(20);
  d.set(800); // moved: its timer fires at 100 ms, finds it not due, and waits on
  await sleep(250);
  expect(fired).toBe(0);
  await sleep(1000);
  expect(fired).toBe(1);
  d.set(20);
  d.clear();
  await sleep(50);
  expect(fired).toBe(1);
  expect(d.armed).toBe(false);
  d.stop();
});

test("a deadline moved sooner than its pending timer fires on time", async () => {
  let firedAt = 0;
  const start = Date.now();
  const d = new Deadline(() => (firedAt = Date.now() - start));
  d.set(5000);
  d.set(30);
  await sleep(1000);
  // Fired, and long before the first timer would have.
  expect(firedAt).toBeGreaterThanOrEqual(25);
  expect(firedAt).toBeLessThan(1000);
  d.stop();
});
