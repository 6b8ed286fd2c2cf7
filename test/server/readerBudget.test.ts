import assert from "node:assert/strict";
import { test } from "node:test";
import { LARGE_MESSAGE_CHARS, ReaderBudget, roughSize, type ReaderConnection } from "../../src/server/ReaderBudget.ts";
import { resolveLaunchOptions } from "../../src/options.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";

const MiB = 1024 * 1024;

class FakeConnection implements ReaderConnection {
  watching = false;
  retainedBytes = 0;
  bytes = 0;
  wasCut = false;
  settledCount = 0;
  unread(): number {
    return this.wasCut ? 0 : this.bytes;
  }
  settled(): void {
    this.settledCount++;
  }
  cut(): void {
    this.wasCut = true;
  }
}

function setup(over: Partial<{ maxConnectionBytes: number; maxServerBytes: number; slowReaderMs: number }> = {}) {
  const clock = new ManualClock();
  const cuts: ("slow" | "server")[] = [];
  let dropped = 0;
  const budget = new ReaderBudget({
    clock,
    maxConnectionBytes: MiB,
    maxServerBytes: 10 * MiB,
    slowReaderMs: 1000,
    onCut: (_b, why) => cuts.push(why),
    onDropped: () => dropped++,
    ...over,
  });
  return { clock, budget, cuts, dropped: () => dropped };
}

test("small writes are never watched; a large one left unread is, until its reader catches up", async () => {
  const { budget, clock } = setup();
  const c = new FakeConnection();
  c.bytes = LARGE_MESSAGE_CHARS - 1;
  budget.wrote(c);
  assert.equal(budget.watchedConnections, 0);
  c.bytes = 3 * MiB;
  budget.wrote(c);
  assert.equal(c.watching, true);
  assert.equal(budget.heldBytes, 3 * MiB);
  c.bytes = 100;
  await clock.advance(300);
  assert.equal(c.watching, false);
  assert.equal(c.settledCount, 1);
  assert.equal(budget.heldBytes, 0);
  assert.equal(clock.pending, 0, "no timer while nothing is watched");
});

test("a reader past its cap that takes nothing for slowReaderMs is cut off; one that takes bytes is not", async () => {
  const { budget, clock, cuts } = setup();
  const stuck = new FakeConnection();
  const slow = new FakeConnection();
  stuck.bytes = 5 * MiB;
  slow.bytes = 5 * MiB;
  budget.wrote(stuck);
  budget.wrote(slow);
  for (let t = 0; t < 8; t++) {
    slow.bytes -= 100_000;
    await clock.advance(250);
  }
  assert.equal(stuck.wasCut, true);
  assert.equal(slow.wasCut, false);
  assert.deepEqual(cuts, ["slow"]);
  assert.equal(budget.heldBytes, slow.bytes);
  // Under its cap it may take its time.
  slow.bytes = MiB - 1;
  await clock.advance(5000);
  assert.equal(slow.wasCut, false);
});

test("the final messages a connection holds for a re-read count toward its cap", async () => {
  const { budget, clock, cuts } = setup();
  const c = new FakeConnection();
  c.bytes = MiB / 2;
  c.retainedBytes = MiB;
  budget.wrote(c);
  assert.equal(budget.heldBytes, 1.5 * MiB);
  await clock.advance(1250);
  assert.equal(c.wasCut, true);
  assert.deepEqual(cuts, ["slow"]);
  assert.equal(budget.heldBytes, 0);
});

test("the server cap cuts the readers furthest past their cap until the total fits, and bounds kept results", () => {
  const { budget, cuts, dropped } = setup();
  const conns = [4, 3, 2].map((m) => {
    const c = new FakeConnection();
    c.bytes = m * MiB;
    budget.wrote(c);
    return c;
  });
  assert.equal(budget.heldBytes, 9 * MiB);
  const late = new FakeConnection();
  late.bytes = 2 * MiB;
  budget.wrote(late);
  assert.deepEqual(
    conns.map((c) => c.wasCut),
    [true, false, false],
  );
  assert.deepEqual(cuts, ["server"]);
  assert.equal(budget.heldBytes, 7 * MiB);
  const owner = { evicted: 0, evict: () => ++owner.evicted };
  assert.equal(budget.keep(owner, 3 * MiB), true);
  assert.equal(budget.keep(owner, MiB), false);
  budget.dropped();
  assert.equal(dropped(), 1);
  budget.release(owner);
  assert.equal(budget.keptBytes, 0);
});

test("under the server cap a reader that reads now wins: stalled readers go first, then kept results, then the rest", async () => {
  const { budget, clock, cuts, dropped } = setup({ slowReaderMs: 1000 });
  const stalled = new FakeConnection();
  stalled.bytes = 3 * MiB;
  budget.wrote(stalled);
  const owner = { evicted: 0, evict: () => ++owner.evicted };
  assert.equal(budget.keep(owner, 4 * MiB), true);
  // A round later (no progress from `stalled`), a reader starts taking a 4 MiB result.
  await clock.advance(250);
  const fresh = new FakeConnection();
  fresh.bytes = 4 * MiB;
  budget.wrote(fresh);
  assert.equal(budget.heldBytes, 8 * MiB);
  assert.equal(stalled.wasCut, true, "the stalled reader goes first");
  assert.equal(owner.evicted, 0, "that was enough");
  const fresh2 = new FakeConnection();
  fresh2.bytes = 4 * MiB;
  budget.wrote(fresh2);
  assert.equal(owner.evicted, 1, "then kept results give way");
  assert.equal(dropped(), 1);
  assert.equal(budget.keptBytes, 0);
  assert.equal(fresh.wasCut || fresh2.wasCut, false);
  assert.deepEqual(cuts, ["server"]);
});

test("roughSize is close to the JSON length of an output", () => {
  const output = { data: ["x".repeat(100_000), [1, 2, 3], { a: "b" }], is_generating: false };
  const json = JSON.stringify(output).length;
  const rough = roughSize(output);
  assert.ok(Math.abs(rough - json) < json * 0.05, `${rough} vs ${json}`);
});

test("the caps are launch options with defaults, validated once", () => {
  const o = resolveLaunchOptions({});
  assert.equal(o.maxConnectionBufferBytes, 4 * MiB);
  assert.equal(o.maxServerBufferBytes, 256 * MiB);
  assert.equal(o.slowReaderMs, 10_000);
  assert.equal(o.keptResultTtlMs, 60_000);
  assert.throws(() => resolveLaunchOptions({ maxConnectionBufferBytes: 1000 }), /maxConnectionBufferBytes/);
  assert.throws(
    () => resolveLaunchOptions({ maxServerBufferBytes: 2 * MiB }),
    /maxServerBufferBytes must be at least maxConnectionBufferBytes/,
  );
  assert.throws(() => resolveLaunchOptions({ slowReaderMs: 0 }), /slowReaderMs/);
  assert.equal(
    resolveLaunchOptions({ maxConnectionBufferBytes: MiB, maxServerBufferBytes: 2 * MiB }).maxServerBufferBytes,
    2 * MiB,
  );
});
