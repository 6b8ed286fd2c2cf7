import assert from "node:assert/strict";
import { test } from "node:test";
import type { EngineEvent } from "../../src/queue/types.ts";
import { MAX_BUFFERED_LOGS_PER_EVENT, Outbox } from "../../src/server/Outbox.ts";

const est = (eventId: string, rank: number): EngineEvent => ({
  type: "estimation",
  eventId,
  sessionHash: "s",
  rank,
  queueSize: 9,
  rankEtaMs: null,
});
const prog = (eventId: string, index: number): EngineEvent => ({
  type: "progress",
  eventId,
  sessionHash: "s",
  progress: [{ index, length: 9, unit: "steps", progress: null, desc: null }],
});
const gen = (eventId: string, output: string): EngineEvent => ({
  type: "generating",
  eventId,
  sessionHash: "s",
  output,
  durationMs: 1,
  averageDurationMs: null,
});
const log = (eventId: string, message: string): EngineEvent => ({
  type: "log",
  eventId,
  sessionHash: "s",
  level: "info",
  message,
  title: "Info",
  durationMs: null,
  visible: true,
});
const started = (eventId: string): EngineEvent => ({ type: "started", eventId, sessionHash: "s", etaMs: null });
const done = (eventId: string): EngineEvent => ({
  type: "completed",
  eventId,
  sessionHash: "s",
  output: [],
  durationMs: 1,
  averageDurationMs: null,
});

test("Outbox keeps the latest estimation, progress and chunk per event in their first place, in order", () => {
  const box = new Outbox();
  box.push(est("a", 5));
  box.push(est("b", 6));
  box.push(est("a", 4));
  box.push(started("a"));
  box.push(prog("a", 1));
  box.push(gen("a", "x"));
  box.push(prog("a", 2));
  box.push(gen("a", "xy"));
  assert.equal(box.size, 5);
  const out = box.drain();
  assert.deepEqual(out, [est("a", 4), est("b", 6), started("a"), prog("a", 2), gen("a", "xy")]);
  assert.equal(box.size, 0);
  assert.deepEqual(box.drain(), []);
  // After a drain, a new message takes a new place.
  box.push(est("a", 1));
  assert.deepEqual(box.drain(), [est("a", 1)]);
});

test("Outbox: a terminal message drops its event's pending estimation and progress, not its chunk or other events'", () => {
  const box = new Outbox();
  box.push(est("a", 3));
  box.push(est("b", 4));
  box.push(prog("a", 7));
  box.push(gen("a", "last"));
  box.push(done("a"));
  assert.equal(box.size, 3);
  assert.deepEqual(box.drain(), [est("b", 4), gen("a", "last"), done("a")]);
});

test("Outbox caps logs per event", () => {
  const box = new Outbox();
  for (let i = 0; i < MAX_BUFFERED_LOGS_PER_EVENT + 20; i++) box.push(log("a", `m${i}`));
  box.push(log("b", "other"));
  const out = box.drain();
  assert.equal(out.length, MAX_BUFFERED_LOGS_PER_EVENT + 1);
  assert.deepEqual(out.at(-1), log("b", "other"));
  // The count starts again after a drain.
  box.push(log("a", "again"));
  assert.equal(box.size, 1);
});

test("Outbox: after the first event ends, a second event's replaceable message still replaces its own", () => {
  const box = new Outbox();
  box.push(est("a", 1));
  box.push(est("b", 2));
  box.push(done("a"));
  box.push(est("b", 1)); // b moved up: replaces b's estimation, does not add a second one
  box.push(est("c", 2));
  box.push(est("c", 1));
  assert.equal(box.size, 3);
  assert.deepEqual(box.drain(), [est("b", 1), done("a"), est("c", 1)]);
});
