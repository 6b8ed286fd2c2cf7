import assert from "node:assert/strict";
import { test } from "node:test";
import type { CpuCombo } from "../../bench/cpuCombo.ts";
import { checksOf, pointOf, type Round } from "../../bench/scenarios/cpu.ts";

const round = (cpuUs: number, busy: number): Round => ({
  cpuUs,
  perS: 1e6 / (cpuUs / busy),
  busy,
  writes: 2,
  reads: 2,
  completed: 2,
  latenciesMs: [1, 2],
});

/** The four points the checks read (50 users), each with the same rounds (`second`: a second reading of each). */
function points(usher: readonly Round[], floor: readonly Round[], generators: number, second = false) {
  const out = [];
  for (const protocol of ["sse", "ws3"] as const)
    for (const pattern of ["kept", "fresh"] as const) {
      const combo: CpuCombo = { protocol, pattern, users: 50 };
      out.push(
        pointOf(
          combo,
          new Map([
            ["floor", [...floor]],
            ["usher", [...usher]],
          ]),
          generators,
          second,
        ),
      );
    }
  return out;
}

test("the cpu scenario checks item 1 on saturated readings: the median of the rounds' ratios against 1.15", () => {
  const floor = [round(100, 0.95), round(100, 0.96), round(100, 0.97)];
  const within = checksOf(points([round(110, 0.95), round(120, 0.95), round(105, 0.95)], floor, 4));
  assert.equal(within.length, 4);
  assert.deepEqual(
    within.map((c) => c.pass),
    [true, true, true, true],
  );
  assert.match(within[0]?.actual ?? "", /^1\.10×/);
  const over = checksOf(points([round(110, 0.95), round(130, 0.95), round(120, 0.95)], floor, 4));
  assert.deepEqual(
    over.map((c) => c.pass),
    [false, false, false, false],
  );
});

test("the cpu scenario reports, and does not check, a reading from one generator or a server below 90% busy", () => {
  const floor = [round(100, 0.95), round(100, 0.95), round(100, 0.95)];
  const usher = [round(110, 0.95), round(110, 0.95), round(110, 0.95)];
  const oneGenerator = checksOf(points(usher, floor, 1));
  assert.deepEqual(
    oneGenerator.map((c) => c.pass),
    [null, null, null, null],
  );
  assert.match(oneGenerator[0]?.actual ?? "", /unsaturated, not checked/);
  const idle = checksOf(points(usher, [round(100, 0.95), round(100, 0.85), round(100, 0.95)], 4));
  assert.deepEqual(
    idle.map((c) => c.pass),
    [null, null, null, null],
  );
  assert.deepEqual(
    checksOf([]).map((c) => c.pass),
    [null, null, null, null],
  );
});

test("the cpu scenario's checks read the second reading from several generators where a combination has two", () => {
  const floor = [round(100, 0.95), round(100, 0.95), round(100, 0.95)];
  const unsaturated = points([round(110, 0.6), round(110, 0.6), round(110, 0.6)], floor, 1);
  const second = (usher: readonly Round[], floorRounds: readonly Round[]) => points(usher, floorRounds, 2, true);
  assert.match(second(floor, floor)[0]?.label ?? "", /^sse, kept, 50 users, 2 generators$/);
  // Not the first reading's 1.10×: the second's 1.30×, checked (both servers ≥ 90% busy), fails.
  const near = checksOf([...unsaturated, ...second([round(130, 0.95), round(130, 0.95), round(130, 0.95)], floor)]);
  assert.deepEqual(
    near.map((c) => c.pass),
    [false, false, false, false],
  );
  assert.match(near[0]?.actual ?? "", /^1\.30× .*2 generators, cores ≥ 95% busy\)$/);
  // A second reading below 90% busy is reported, not checked.
  const short = checksOf([
    ...second([round(130, 0.95), round(130, 0.95), round(130, 0.95)], [round(100, 0.87), ...floor.slice(1)]),
    ...unsaturated,
  ]);
  assert.deepEqual(
    short.map((c) => c.pass),
    [null, null, null, null],
  );
  assert.match(short[0]?.actual ?? "", /^1\.30× .*2 generators, cores ≥ 87% busy: unsaturated, not checked\)$/);
});
