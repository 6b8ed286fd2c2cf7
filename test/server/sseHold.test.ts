/**
 * An SSE stream keeps queue-status messages (estimation, process_starts) back for at most
 * STATUS_HOLD_MS so that they leave with the stream's next message in one write, and on a shared
 * queue a final whose event waited leaves with the stream's end (Sink.holdForEnd).
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { test } from "node:test";
import { STATUS_HOLD_MS, SseV3Sink, type Sink } from "../../src/server/Sink.ts";
import type { EngineEvent } from "../../src/queue/index.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";
import type { SessionBus } from "../../src/store/index.ts";
import { clusterHub, soloBus } from "../helpers/soloBus.ts";
import { FakeResponse } from "../helpers/FakeResponse.ts";

const ID = "e1";
const SESSION = "s1";
const estimation: EngineEvent = {
  type: "estimation",
  eventId: ID,
  sessionHash: SESSION,
  rank: 2,
  queueSize: 3,
  rankEtaMs: 5,
};
const started: EngineEvent = { type: "started", eventId: ID, sessionHash: SESSION, etaMs: 1 };
const generating: EngineEvent = {
  type: "generating",
  eventId: ID,
  sessionHash: SESSION,
  output: ["a"],
  durationMs: 1,
  averageDurationMs: 1,
};
const completed: EngineEvent = {
  type: "completed",
  eventId: ID,
  sessionHash: SESSION,
  output: ["a"],
  durationMs: 1,
  averageDurationMs: 1,
};

const tick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));
const messages = (chunk: string): string[] => [...chunk.matchAll(/"msg":"(\w+)"/g)].map((m) => m[1] as string);
/** The messages of each write so far. */
const written = (res: FakeResponse): string[][] => res.writes.map(messages);

function sinkOn(): { sink: SseV3Sink; res: FakeResponse; clock: ManualClock } {
  const clock = new ManualClock();
  const res = new FakeResponse();
  return { sink: new SseV3Sink(res as unknown as ServerResponse, null, clock), res, clock };
}

test("status messages wait for the next message and leave with it, headers included, in one write", async () => {
  const { sink, res } = sinkOn();
  sink.write(estimation);
  await tick();
  sink.write(started);
  await tick();
  assert.deepEqual(res.writes, [], "nothing leaves while the status waits, not even the headers");
  sink.write(completed);
  await tick();
  assert.deepEqual(written(res), [["estimation", "process_starts", "process_completed"]]);
  sink.finish();
  assert.deepEqual(written(res)[1], ["close_stream"]);
});

test("held status leaves on its own after STATUS_HOLD_MS; output never waits", async () => {
  const { sink, res, clock } = sinkOn();
  sink.write(estimation);
  await tick();
  await clock.advance(STATUS_HOLD_MS - 1);
  await tick();
  assert.deepEqual(res.writes, []);
  await clock.advance(1);
  await tick();
  assert.deepEqual(written(res), [["estimation"]]);
  sink.write(started);
  sink.write(generating);
  await tick();
  assert.deepEqual(written(res), [["estimation"], ["process_starts", "process_generating"]]);
  // A heartbeat carries what waits too.
  sink.write(started);
  sink.heartbeat();
  await tick();
  assert.deepEqual(written(res)[2], ["process_starts", "heartbeat"]);
});

test("status a person would see for longer than the hold, or whose ETA is unknown, goes at once", async () => {
  const { sink, res } = sinkOn();
  sink.write({ ...estimation, rankEtaMs: 5000 });
  await tick();
  sink.write({ ...estimation, rankEtaMs: null });
  await tick();
  sink.write({ ...started, etaMs: STATUS_HOLD_MS });
  await tick();
  sink.write({ ...started, etaMs: null });
  await tick();
  assert.deepEqual(written(res), [["estimation"], ["estimation"], ["process_starts"], ["process_starts"]]);
});

test("a reader cut off while status waits: nothing is written after the cut, and the hold's timer is gone", async () => {
  const { sink, res, clock } = sinkOn();
  sink.write(estimation);
  await tick();
  assert.equal(clock.pending, 1, "the hold's timer");
  sink.cut();
  assert.equal(clock.pending, 0);
  await clock.advance(STATUS_HOLD_MS);
  sink.releaseHeld();
  await tick();
  assert.deepEqual(res.writes, []);
});

test("a stream that got no status flushes its headers at once; holdForEnd leaves its final alone", async () => {
  const { sink, res } = sinkOn();
  await tick();
  assert.deepEqual(res.writes, ["<headers>"]);
  sink.write(completed);
  sink.holdForEnd();
  await tick();
  assert.deepEqual(written(res).slice(1), [["process_completed"]], "its event never waited: no hold");
});

test("holdForEnd: the final of an event that waited leaves with the stream's end, or when released, or after the hold", async () => {
  for (const how of ["end", "release", "timeout"] as const) {
    const { sink, res, clock } = sinkOn();
    sink.write(estimation);
    sink.write(started);
    sink.write(completed);
    sink.holdForEnd();
    await tick();
    assert.deepEqual(res.writes, [], how);
    if (how === "end") sink.finish();
    else if (how === "release") sink.releaseHeld();
    else await clock.advance(STATUS_HOLD_MS);
    await tick();
    const expected = ["estimation", "process_starts", "process_completed"];
    assert.deepEqual(written(res), [how === "end" ? [...expected, "close_stream"] : expected], how);
  }
});

/** A sink that records what the cluster hub asks of it. */
class RecordingSink implements Sink {
  readonly calls: string[] = [];
  write(event: EngineEvent): boolean {
    this.calls.push(`write ${event.type}`);
    return true;
  }
  finish(reason: string): void {
    this.calls.push(`finish ${reason}`);
  }
  heartbeat(): void {}
  onDrain(): void {}
  onClose(): void {}
  holdForEnd(): void {
    this.calls.push("holdForEnd");
  }
  releaseHeld(): void {
    this.calls.push("releaseHeld");
  }
}

test("a front on a shared queue holds a stream's last final while it asks the store whether the session is idle", async () => {
  for (const others of [false, true]) {
    const clock = new ManualClock();
    let settle: () => void = () => undefined;
    const bus = {
      ...soloBus(),
      whenSettled: (_sessionHash: string, then: () => void) => void (settle = then),
      othersPending: () => others,
    } as unknown as SessionBus;
    const hub = clusterHub(clock, bus);
    try {
      const sink = new RecordingSink();
      hub.expect(SESSION, ID);
      assert.equal(hub.attach(SESSION, sink), true);
      hub.deliver(completed);
      assert.deepEqual(sink.calls, ["write completed", "holdForEnd"]);
      settle();
      for (let i = 0; i < 5; i++) await tick();
      // Idle: the stream ends, and the held final leaves with its end. Others pending: it leaves now.
      assert.deepEqual(sink.calls.slice(2, 3), [others ? "releaseHeld" : "finish idle"], `others pending: ${others}`);
    } finally {
      hub.close();
    }
  }
});
