import assert from "node:assert/strict";
import { test } from "node:test";
import { Histogram, Registry } from "prom-client";
import { BucketHistogram } from "../../src/server/BucketHistogram.ts";

const BOUNDS = [0.005, 0.01, 0.5, 1];
const VALUES = [0.001, 0.005, 0.0051, 0.7, 3, 1, 0.2, 0];

test("BucketHistogram: exposition identical to prom-client's Histogram, unlabelled", async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const mine = new BucketHistogram({ name: "t_seconds", help: "h", bounds: BOUNDS, registry: ours });
  const ref = new Histogram({ name: "t_seconds", help: "h", buckets: BOUNDS, registers: [theirs] });
  assert.equal(await ours.metrics(), await theirs.metrics());
  for (const v of VALUES) {
    mine.observe(v);
    ref.observe(v);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  ours.resetMetrics();
  theirs.resetMetrics();
  assert.equal(await ours.metrics(), await theirs.metrics());
});

test("BucketHistogram: exposition identical to prom-client's Histogram, one label", async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const mine = new BucketHistogram({
    name: "t_seconds",
    help: "h",
    bounds: BOUNDS,
    labelName: "outcome",
    registry: ours,
  });
  const ref = new Histogram({
    name: "t_seconds",
    help: "h",
    buckets: BOUNDS,
    labelNames: ["outcome"],
    registers: [theirs],
  });
  for (const v of VALUES) {
    for (const outcome of ["completed", "failed", "cancelled"]) {
      mine.observe(v * (outcome.length - 5), outcome);
      ref.observe({ outcome }, v * (outcome.length - 5));
    }
  }
  const text = await ours.metrics();
  assert.equal(text, await theirs.metrics());
  assert.match(text, /t_seconds_count\{outcome="failed"\} 8/);
});
