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
  const gen = (output: unknown): EngineEvent => ({ type: "generating", eventId: "e", sessionHash: "s", output, durationMs: 5, averageDurationMs: null });
  for (const v of [["H"], ["He"], ["Hello"]]) assert.equal(wireJson(gen(v), a), JSON.stringify(toWireMessage(gen(v), b)));
});
