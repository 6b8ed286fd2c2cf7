import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { StreamDiffer, toWireMessage, wireJson } from "../../src/protocol/messages.ts";
import type { EngineEvent } from "../../src/queue/types.ts";

test("wireJson's estimation fast path writes exactly what JSON.stringify(toWireMessage) writes", () => {
  fc.assert(
    fc.property(
      fc.string(),
      fc.integer({ min: 0, max: 2 ** 31 }),
      fc.integer({ min: 0, max: 2 ** 31 }),
      fc.option(fc.double({ noDefaultInfinity: false }), { nil: null }),
      (eventId, rank, queueSize, rankEtaMs) => {
        const e: EngineEvent = { type: "estimation", eventId, sessionHash: "s", rank, queueSize, rankEtaMs };
        assert.equal(wireJson(e, null), JSON.stringify(toWireMessage(e, null)));
      },
    ),
  );
});

test("wireJson of other messages is the generic path (generator diffs included)", () => {
  const a = new StreamDiffer();
  const b = new StreamDiffer();
  const gen = (output: unknown): EngineEvent => ({
    type: "generating",
    eventId: "e",
    sessionHash: "s",
    output,
    durationMs: 5,
    averageDurationMs: null,
  });
  for (const v of [["H"], ["He"], ["Hello"]])
    assert.equal(wireJson(gen(v), a), JSON.stringify(toWireMessage(gen(v), b)));
});

test("wireJson's process_starts and process_completed fast paths write exactly what the generic path writes", () => {
  // Durations the way the engine makes them (differences of performance.now()), and edge cases.
  const ms = fc.oneof(
    fc.double({ noDefaultInfinity: false }),
    fc.double({ min: -1e7, max: 1e7, noNaN: true }),
    fc.integer(),
    fc.constantFrom(0, -0, 0.0005, -0.0005, 0.0004999, 999.9995, 1e12, 1e15, -1e18),
  );
  fc.assert(
    fc.property(fc.string(), fc.option(ms, { nil: null }), (eventId, etaMs) => {
      const e: EngineEvent = { type: "started", eventId, sessionHash: "s", etaMs };
      assert.equal(wireJson(e, null), JSON.stringify(toWireMessage(e, null)));
    }),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(
      fc.string(),
      fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.constant([undefined, () => 1, new Date(0)])),
      ms,
      fc.option(ms, { nil: null }),
      (eventId, output, durationMs, averageDurationMs) => {
        const e: EngineEvent = { type: "completed", eventId, sessionHash: "s", output, durationMs, averageDurationMs };
        const a = new StreamDiffer();
        const b = new StreamDiffer();
        assert.equal(wireJson(e, a), JSON.stringify(toWireMessage(e, b)));
      },
    ),
  );
});

test("wireJson's completed fast path forgets the stream's last chunk like the generic path", () => {
  const differ = new StreamDiffer();
  const gen = (output: unknown): EngineEvent => ({
    type: "generating",
    eventId: "e",
    sessionHash: "s",
    output,
    durationMs: 5,
    averageDurationMs: null,
  });
  wireJson(gen(["Hello"]), differ);
  wireJson({ type: "completed", eventId: "e", output: ["Hello"], durationMs: 5, averageDurationMs: null }, differ);
  // A new event with the same id starts from a full value again, not a diff against the old one.
  assert.equal(wireJson(gen(["Hi"]), differ), JSON.stringify(toWireMessage(gen(["Hi"]), null)));
});
