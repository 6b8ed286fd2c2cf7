/**
 * The ideal schedule the `hog` scenario measures Usher against: round robin over keys as
 * FAIR-SPEC's "Order" states it, FIFO with fairness off; and the scenario's reading of it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { idealVisitorWaits } from "../../bench/report/fairFigures.ts";
import { idealSchedule } from "../../bench/report/idealSchedule.ts";
import { newRecord } from "../../bench/load/Transport.ts";

test("one slot, a hog's 3 jobs then a visitor: the visitor goes second (round robin) or last (FIFO)", () => {
  const arrivals = [
    { atMs: 0, key: "h" },
    { atMs: 0, key: "h" },
    { atMs: 0, key: "h" },
    { atMs: 5, key: "v" },
  ];
  assert.deepEqual(idealSchedule(arrivals, { slots: 1, serviceMs: 10, fairness: true }), [0, 10, 30, 20]);
  assert.deepEqual(idealSchedule(arrivals, { slots: 1, serviceMs: 10, fairness: false }), [0, 10, 20, 30]);
});

test("a key that gets its first waiting job joins the ring's end; a served key goes behind the others", () => {
  // Keys a (3 jobs), b (2), c (1), all waiting when the one slot frees at 10.
  const arrivals = [
    { atMs: 0, key: "x" },
    { atMs: 1, key: "a" },
    { atMs: 1, key: "a" },
    { atMs: 1, key: "a" },
    { atMs: 2, key: "b" },
    { atMs: 2, key: "b" },
    { atMs: 3, key: "c" },
  ];
  const starts = idealSchedule(arrivals, { slots: 1, serviceMs: 10, fairness: true });
  // Order: x, a1, b1, c1, a2, b2, a3.
  assert.deepEqual(starts, [0, 10, 40, 60, 20, 50, 30]);
});

test("an idle server starts a job when it arrives; slots run side by side", () => {
  const arrivals = [
    { atMs: 100, key: "a" },
    { atMs: 100, key: "b" },
    { atMs: 100, key: "c" },
    { atMs: 400, key: "d" },
  ];
  assert.deepEqual(idealSchedule(arrivals, { slots: 2, serviceMs: 50, fairness: true }), [100, 100, 150, 400]);
});

test("the hog's 300 jobs and 60 visitors: round robin keeps every visitor under one job's time, FIFO does not", () => {
  const records = [
    ...Array.from({ length: 300 }, (_, k) => newRecord(k, `h${k}`, 0)),
    ...Array.from({ length: 60 }, (_, i) => newRecord(300 + i, `v${i}`, (i * 10_000) / 60)),
  ];
  const fair = idealVisitorWaits(records, { slots: 4, serviceMs: 50, fairness: true });
  const fifo = idealVisitorWaits(records, { slots: 4, serviceMs: 50, fairness: false });
  assert.equal(fair.length, 60);
  assert.ok(Math.max(...fair) < 50, `longest round-robin wait ${Math.max(...fair)} ms`);
  // FIFO: the first visitor waits for the whole batch, 300 jobs / 4 slots × 50 ms.
  assert.equal(fifo[0], 3750);
  assert.ok(Math.min(...fair) >= 0);
});
