/**
 * The load split over generator processes (bench/load/SplitLoop.ts) that the 16-core runs of issue
 * 16 rest on: users spread over processes and fronts as one process would spread them, records
 * brought onto this process's clock, the generators' CPU summed; and the cores servers are pinned to.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CpuMeter } from "../../bench/load/CpuMeter.ts";
import { SplitLoop } from "../../bench/load/SplitLoop.ts";
import { serverCores } from "../../bench/servers/nodeChild.ts";
import { echoServer } from "../helpers/echoSseServer.ts";

test("SplitLoop: 5 users in 2 processes, user g on front g mod 2, records on this process's clock", async () => {
  const fronts = [await echoServer(), await echoServer()];
  const loop = await SplitLoop.start(
    { protocol: "sse", urls: fronts.map((f) => f.url), users: 5, freshSession: false },
    2,
  );
  try {
    const t0 = performance.now();
    const warmupMs = 300;
    const durationMs = 700;
    const run = await loop.round(warmupMs, durationMs, new CpuMeter());
    const t1 = performance.now();
    assert.equal(run.windowMs, durationMs);
    assert.ok(run.records.length > 10, `only ${run.records.length} records`);
    const users = new Set<number>();
    for (const rec of run.records) {
      assert.equal(rec.outcome, "completed", rec.error ?? "");
      assert.match(rec.input, new RegExp(`^u${rec.user}-\\d+$`));
      assert.deepEqual(rec.output, [rec.input]);
      users.add(rec.user);
      // Ended inside the window as this process's clock reads it (a few ms of IPC either side).
      const ended = rec.endedMs ?? NaN;
      assert.ok(ended >= t0 + warmupMs - 50 && ended <= t1, `ended at ${ended - t0} ms of the round`);
      assert.ok((rec.completedMs ?? NaN) >= rec.joinStartMs);
    }
    assert.deepEqual([...users].sort(), [0, 1, 2, 3, 4]);
    const userOf = (input: unknown): number => Number(/^u(\d+)-/.exec(String(input))?.[1]);
    for (const [k, front] of fronts.entries()) {
      assert.ok(front.inputs.length > 0);
      for (const input of front.inputs) assert.equal(userOf(input) % 2, k, `${String(input)} reached front ${k}`);
    }
    assert.ok(run.cpu !== null);
    assert.ok(run.cpu.generatorBusiestCpu !== undefined && run.cpu.generatorBusiestCpu > 0);
    assert.ok(run.cpu.generatorCpu >= run.cpu.generatorBusiestCpu);
    // The users live across rounds: a second round goes on with the same sessions.
    const sessionsBefore = new Set(fronts.flatMap((f) => f.sessions)).size;
    const again = await loop.round(0, 200);
    assert.ok(again.records.length > 0);
    assert.equal(new Set(fronts.flatMap((f) => f.sessions)).size, sessionsBefore);
  } finally {
    loop.close();
    for (const f of fronts) f.close();
  }
});

test("SplitLoop: a front that refuses every join gives records that say so, not a hang", async () => {
  const loop = await SplitLoop.start(
    { protocol: "sse", urls: ["http://127.0.0.1:9"], users: 2, freshSession: true },
    2,
  );
  try {
    const run = await loop.round(0, 300);
    assert.ok(run.records.length > 0);
    for (const rec of run.records) assert.equal(rec.outcome, "error");
  } finally {
    loop.close();
  }
});

test("serverCores: ranges and lists, each core once; anything else is refused", () => {
  assert.deepEqual(serverCores(""), []);
  assert.deepEqual(serverCores("1-3,5, 2"), [1, 2, 3, 5]);
  assert.deepEqual(serverCores("7"), [7]);
  assert.throws(() => serverCores("1-x"), /USHER_BENCH_SERVER_CORES/);
});
