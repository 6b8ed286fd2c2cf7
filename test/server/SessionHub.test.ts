import assert from "node:assert/strict";
import { test } from "node:test";
import type { CancelReason, EngineEvent } from "../../src/queue/types.ts";
import { SessionHub } from "../../src/server/SessionHub.ts";
import type { Sink } from "../../src/server/Sink.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";

class FakeSink implements Sink {
  written: EngineEvent[] = [];
  finished = false;
  heartbeats = 0;
  full = false;
  private drain: (() => void) | undefined;
  private close: (() => void) | undefined;
  write(e: EngineEvent): boolean {
    this.written.push(e);
    return !this.full;
  }
  finish(): void {
    this.finished = true;
  }
  heartbeat(): void {
    this.heartbeats++;
  }
  onDrain(fn: () => void): void {
    this.drain = fn;
  }
  onClose(fn: () => void): void {
    this.close = fn;
  }
  fireDrain(): void {
    this.full = false;
    const d = this.drain;
    this.drain = undefined;
    d?.();
  }
  disconnect(): void {
    this.close?.();
  }
}

function setup(graceMs = 5000) {
  const clock = new ManualClock();
  const cancelled: [string, CancelReason | undefined][] = [];
  const gone: string[] = [];
  const hub = new SessionHub({
    clock,
    engine: {
      async cancelSession(h, reason) {
        cancelled.push([h, reason]);
        return 1;
      },
    },
    sessionGraceMs: graceMs,
    heartbeatMs: 15_000,
    onSessionGone: (h) => gone.push(h),
  });
  return { clock, hub, cancelled, gone };
}

const est = (eventId: string, rank: number): EngineEvent => ({
  type: "estimation",
  eventId,
  sessionHash: "s",
  rank,
  queueSize: rank + 1,
  rankEtaMs: null,
});
const done = (eventId: string): EngineEvent => ({
  type: "completed",
  eventId,
  sessionHash: "s",
  output: ["x"],
  durationMs: 1,
  averageDurationMs: 1,
});

test("messages before the stream opens are kept and flushed on attach; close after the last result", () => {
  const { hub } = setup();
  hub.expect("s", "e1");
  hub.deliver(est("e1", 0));
  hub.deliver(done("e1"));
  const sink = new FakeSink();
  assert.equal(hub.attach("s", sink), true);
  // The estimation is pointless once the result is there: only the result goes out.
  assert.deepEqual(
    sink.written.map((e) => e.type),
    ["completed"],
  );
  assert.equal(sink.finished, true);
  assert.equal(hub.size, 0);
});

test("the stream stays open while another event of the session is pending", () => {
  const { hub } = setup();
  hub.expect("s", "e1");
  hub.expect("s", "e2");
  const sink = new FakeSink();
  hub.attach("s", sink);
  hub.deliver(done("e1"));
  assert.equal(sink.finished, false);
  hub.deliver(done("e2"));
  assert.equal(sink.finished, true);
});

test("events of unknown sessions or events are dropped", () => {
  const { hub } = setup();
  hub.deliver(est("nope", 0));
  assert.equal(hub.size, 0);
});

test("a session that never opens its stream is cancelled after the grace period", async () => {
  const { clock, hub, cancelled, gone } = setup(5000);
  hub.expect("s", "e1");
  await clock.advance(4999);
  assert.deepEqual(cancelled, []);
  await clock.advance(1);
  assert.deepEqual(cancelled, [["s", "disconnect"]]);
  assert.deepEqual(gone, ["s"]);
  assert.equal(hub.knows("s"), false);
});

test("grace periods of many sessions each end on time, restarted ones from their restart, own lengths too", async () => {
  const { clock, hub, cancelled } = setup(5000);
  const names = (): string[] => cancelled.map(([h]) => h);
  hub.expect("a", "e1");
  await clock.advance(1000);
  hub.expect("b", "e2");
  hub.expect("c", "e3", 2500); // its own length (the /call API's)
  await clock.advance(1000);
  // "a" gets a reader at 2 s and loses it at 3 s: its period starts again then.
  const sink = new FakeSink();
  hub.attach("a", sink);
  await clock.advance(1000);
  sink.disconnect();
  hub.expect("d", "e4");
  await clock.advance(499); // 3.499 s
  assert.deepEqual(names(), []);
  await clock.advance(1); // 3.5 s: c (1 s + 2.5 s)
  assert.deepEqual(names(), ["c"]);
  await clock.advance(2499); // 5.999 s
  assert.deepEqual(names(), ["c"]);
  await clock.advance(1); // 6 s: b (1 s + 5 s)
  assert.deepEqual(names(), ["c", "b"]);
  await clock.advance(1999); // 7.999 s
  assert.deepEqual(names(), ["c", "b"]);
  await clock.advance(1); // 8 s: a (restarted at 3 s) and d (3 s)
  assert.deepEqual(names().sort(), ["a", "b", "c", "d"]);
  hub.close();
});

test("a dropped stream that comes back within the grace period loses nothing", async () => {
  const { clock, hub, cancelled } = setup(5000);
  hub.expect("s", "e1");
  const a = new FakeSink();
  hub.attach("s", a);
  a.disconnect();
  hub.deliver(est("e1", 3));
  await clock.advance(3000);
  const b = new FakeSink();
  hub.attach("s", b);
  hub.deliver(done("e1"));
  await clock.advance(10_000);
  assert.deepEqual(cancelled, []);
  assert.deepEqual(
    b.written.map((e) => e.type),
    ["estimation", "completed"],
  );
});

test("a slow reader gets coalesced updates: the latest estimation wins, results are never dropped", () => {
  const { hub } = setup();
  hub.expect("s", "e1");
  hub.expect("s", "e2");
  const sink = new FakeSink();
  hub.attach("s", sink);
  sink.full = true;
  hub.deliver(est("e1", 9)); // written, reports congestion
  for (let r = 8; r >= 0; r--) hub.deliver(est("e1", r));
  hub.deliver(done("e2"));
  assert.equal(sink.written.length, 1);
  sink.fireDrain();
  const ranks = sink.written.filter((e) => e.type === "estimation").map((e) => (e.type === "estimation" ? e.rank : -1));
  assert.deepEqual(ranks, [9, 0]);
  assert.deepEqual(sink.written.at(-1)?.type, "completed");
});

test("heartbeats go to open streams only, from one timer", async () => {
  const { clock, hub } = setup();
  hub.expect("s", "e1");
  const sink = new FakeSink();
  hub.attach("s", sink);
  await clock.advance(45_000);
  assert.equal(sink.heartbeats, 3);
  hub.deliver(done("e1"));
  await clock.advance(60_000);
  assert.equal(sink.heartbeats, 3);
  assert.equal(clock.pending, 0);
});
