/**
 * An ended SSE stream lets go of its HTTP response once its last write has left: a sink is kept a
 * while after its end (by its session, or as garbage an old object still points to), and through
 * the response it kept the prediction's request and headers alive into V8's old generation
 * (bench/README.md, 2026-12-07, 08:54). What it does after letting go must not touch the response.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { test } from "node:test";
import { CallSink, SseV3Sink } from "../../src/server/Sink.ts";
import type { EngineEvent } from "../../src/queue/index.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";
import { FakeResponse } from "../helpers/FakeResponse.ts";

const completed: EngineEvent = {
  type: "completed",
  eventId: "e1",
  sessionHash: "s1",
  output: ["a"],
  durationMs: 1,
  averageDurationMs: 1,
};
const tick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

test("a stream that ends in the tick it opened lets go of its response after the tick's flush", async () => {
  const res = new FakeResponse();
  const sink = new SseV3Sink(res as unknown as ServerResponse, null, new ManualClock());
  sink.write(completed);
  sink.finish();
  assert.equal(res.ends, 1);
  await tick();
  assert.equal(res.corked, 0, "the flush uncorked the response it had corked");
  // Let go: nothing after the end reaches the response.
  sink.onClose(() => assert.fail("a stream closed after its end calls nothing"));
  sink.onDrain(() => undefined);
  sink.heartbeat();
  assert.equal(sink.write(completed), true);
  sink.finish();
  await tick();
  assert.deepEqual([res.listeners, res.ends, res.writes.length, res.corked], [0, 1, 1, 0]);
});

test("a stream that ends in a later tick lets go of its response at once", async () => {
  const res = new FakeResponse();
  const sink = new CallSink(res as unknown as ServerResponse, null, new ManualClock());
  sink.onClose(() => undefined);
  await tick();
  assert.equal(res.listeners, 1);
  sink.write(completed);
  assert.equal(res.ends, 1);
  sink.onDrain(() => undefined);
  sink.heartbeat();
  await tick();
  assert.deepEqual([res.listeners, res.ends, res.writes.length, res.corked], [1, 1, 2, 0]);
});
