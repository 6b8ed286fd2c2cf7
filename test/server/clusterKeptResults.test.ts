/**
 * The memory caps' promise on a front of a Redis deployment: a reader cut off for not reading gets
 * its unread final back when it returns, as on the in-memory hub (keptResults.test.ts). The
 * cluster hub wraps each stream; the stream reports the cut with itself, and the hub must know
 * it as the stream it attached.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { EngineEvent } from "../../src/queue/types.ts";
import { ReaderBudget } from "../../src/server/ReaderBudget.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";
import { CuttableSink } from "../helpers/CuttableSink.ts";
import { clusterHub, soloBus } from "../helpers/soloBus.ts";

const BIG = 200_000;

const big = (eventId: string): EngineEvent => ({
  type: "completed",
  eventId,
  sessionHash: "s",
  output: { data: ["x".repeat(BIG)] },
  durationMs: 1,
  averageDurationMs: 1,
});

test("a cut-off reader on a Redis front gets its unread final when it comes back", async () => {
  const clock = new ManualClock();
  const budget = new ReaderBudget({ clock, maxConnectionBytes: 100_000, maxServerBytes: 10 * BIG, slowReaderMs: 1000 });
  const hub = clusterHub(clock, soloBus(), { budget, keptResultTtlMs: 1000 });
  try {
    hub.expect("s", "e1");
    const first = new CuttableSink();
    assert.equal(hub.attach("s", first), true);
    hub.deliver(big("e1"));
    assert.equal(first.written.length, 1);
    first.cutOff([{ event: first.written[0] as EngineEvent, bytes: BIG }]);
    assert.equal(budget.keptBytes, BIG, "kept for the reader's return");
    assert.equal(first.written.length, 1, "nothing more written to the stream that was cut off");
    await clock.advance(500);
    const back = new CuttableSink();
    assert.equal(hub.attach("s", back), true);
    assert.equal(back.written[0]?.type, "completed");
    assert.equal(budget.keptBytes, 0);
  } finally {
    hub.close();
  }
});
