/**
 * The hub's side of the memory caps: what a cut-off reader had not read is kept for its return
 * (bounded by the budget and keptResultTtlMs), results buffered for an absent reader count, and
 * what does not fit becomes a RESULT_DROPPED error: every event still ends in one final message.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CancelReason, EngineEvent } from "../../src/queue/types.ts";
import { ReaderBudget } from "../../src/server/ReaderBudget.ts";
import { SessionHub } from "../../src/server/SessionHub.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";
import { CuttableSink } from "../helpers/CuttableSink.ts";

const BIG = 200_000;

function setup(maxServerBytes = 10 * BIG) {
  const clock = new ManualClock();
  const cancelled: [string, CancelReason | undefined][] = [];
  const budget = new ReaderBudget({ clock, maxConnectionBytes: 100_000, maxServerBytes, slowReaderMs: 1000 });
  const hub = new SessionHub({
    clock,
    engine: {
      async cancelSession(h, reason) {
        cancelled.push([h, reason]);
        return 1;
      },
    },
    sessionGraceMs: 100,
    heartbeatMs: 15_000,
    budget,
    keptResultTtlMs: 1000,
  });
  return { clock, hub, budget, cancelled };
}

const big = (eventId: string, session = "s"): EngineEvent => ({
  type: "completed",
  eventId,
  sessionHash: session,
  output: { data: ["x".repeat(BIG)] },
  durationMs: 1,
  averageDurationMs: 1,
});

test("a cut-off reader's unread final is kept for keptResultTtlMs, read once by the next stream", async () => {
  const { clock, hub, budget } = setup();
  hub.expect("s", "e1");
  const first = new CuttableSink();
  hub.attach("s", first);
  hub.deliver(big("e1"));
  assert.equal(first.written.length, 1);
  first.cutOff([{ event: first.written[0] as EngineEvent, bytes: BIG }]);
  assert.equal(budget.keptBytes, BIG);
  // Longer than the session grace, shorter than the kept TTL.
  await clock.advance(500);
  assert.equal(hub.knows("s"), true);
  const back = new CuttableSink();
  assert.equal(hub.attach("s", back), true);
  assert.equal(back.written[0]?.type, "completed");
  assert.equal(back.finished, true);
  assert.equal(budget.keptBytes, 0);
  assert.equal(hub.knows("s"), false);
});

test("a kept final nobody comes back for goes after keptResultTtlMs, cancelling nothing", async () => {
  const { clock, hub, budget, cancelled } = setup();
  hub.expect("s", "e1");
  const sink = new CuttableSink();
  hub.attach("s", sink);
  hub.deliver(big("e1"));
  sink.cutOff([{ event: big("e1"), bytes: BIG }]);
  await clock.advance(999);
  assert.equal(hub.knows("s"), true);
  await clock.advance(2);
  assert.equal(hub.knows("s"), false);
  assert.equal(budget.keptBytes, 0);
  assert.deepEqual(cancelled, []);
});

test("results that do not fit the server cap become RESULT_DROPPED, buffered or handed back", () => {
  const { hub, budget } = setup(BIG + 1000);
  // Two absent readers: the first result fits, the second does not.
  hub.expect("a", "ea");
  hub.expect("b", "eb");
  hub.deliver(big("ea", "a"));
  hub.deliver(big("eb", "b"));
  const a = new CuttableSink();
  const b = new CuttableSink();
  hub.attach("b", b);
  assert.equal(b.written[0]?.type, "failed");
  assert.equal((b.written[0] as Extract<EngineEvent, { type: "failed" }>).error.code, "RESULT_DROPPED");
  hub.attach("a", a);
  assert.equal(a.written[0]?.type, "completed");
  assert.equal(budget.keptBytes, 0);
  // A cut-off reader whose final does not fit either: the error is kept instead, one final.
  hub.expect("c", "ec");
  hub.expect("d", "ed");
  hub.deliver(big("ed", "d"));
  const c = new CuttableSink();
  hub.attach("c", c);
  hub.deliver(big("ec", "c"));
  c.cutOff([{ event: big("ec", "c"), bytes: BIG * 2 }]);
  const c2 = new CuttableSink();
  hub.attach("c", c2);
  assert.equal(c2.written.length, 1);
  assert.equal((c2.written[0] as Extract<EngineEvent, { type: "failed" }>).error.code, "RESULT_DROPPED");
});
