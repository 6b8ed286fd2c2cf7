/** SessionHub with a persistent sink (the multiplexed queue socket), driven by a manual clock. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CancelReason, EngineEvent } from "../../src/queue/types.ts";
import { SessionHub } from "../../src/server/SessionHub.ts";
import type { FinishReason, Sink } from "../../src/server/Sink.ts";
import { ManualClock } from "../../src/testing/ManualClock.ts";

class PersistentSink implements Sink {
  readonly persistent = true;
  written: EngineEvent[] = [];
  finished: FinishReason[] = [];
  full = false;
  #drain: (() => void) | undefined;
  #close: (() => void) | undefined;
  write(e: EngineEvent): boolean {
    this.written.push(e);
    return !this.full;
  }
  finish(reason: FinishReason): void {
    this.finished.push(reason);
  }
  heartbeat(): void {}
  onDrain(fn: () => void): void {
    this.#drain = fn;
  }
  onClose(fn: () => void): void {
    this.#close = fn;
  }
  drain(): void {
    this.full = false;
    this.#drain?.();
  }
  drop(): void {
    this.#close?.();
  }
}

function setup(graceMs = 1000) {
  const clock = new ManualClock();
  const cancelled: [string, CancelReason | undefined][] = [];
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
  });
  return { clock, hub, cancelled };
}

const gen = (eventId: string, output: string): EngineEvent => ({
  type: "generating",
  eventId,
  sessionHash: "tab",
  output: [output],
  durationMs: 1,
  averageDurationMs: null,
});
const done = (eventId: string): EngineEvent => ({
  type: "completed",
  eventId,
  sessionHash: "tab",
  output: ["x"],
  durationMs: 1,
  averageDurationMs: 1,
});

test("a persistent sink attaches before any event and is never finished for being idle", () => {
  const { hub } = setup();
  const sink = new PersistentSink();
  assert.equal(hub.attach("tab", sink), true, "an unknown session is created for a socket");
  hub.expect("tab", "e1");
  hub.deliver(done("e1"));
  hub.expect("tab", "e2");
  hub.deliver(done("e2"));
  assert.deepEqual(
    sink.written.map((e) => e.eventId),
    ["e1", "e2"],
  );
  assert.deepEqual(sink.finished, []);
  assert.equal(hub.knows("tab"), true);
  // Nothing pending and the socket goes: the session is forgotten, nothing is cancelled.
  sink.drop();
  assert.equal(hub.knows("tab"), false);
});

test("a dropped socket with pending events: cancelled after the grace period unless it comes back", async () => {
  const { hub, clock, cancelled } = setup(1000);
  const first = new PersistentSink();
  hub.attach("tab", first);
  hub.expect("tab", "e1");
  first.drop();
  await clock.advance(999);
  const second = new PersistentSink();
  hub.attach("tab", second);
  await clock.advance(5000);
  assert.deepEqual(cancelled, []);
  second.drop();
  await clock.advance(1000);
  await Promise.resolve();
  assert.deepEqual(cancelled, [["tab", "disconnect"]]);
});

test("a congested socket gets the latest generator value when it drains; a newer socket replaces an older one", () => {
  const { hub } = setup();
  const sink = new PersistentSink();
  hub.attach("tab", sink);
  hub.expect("tab", "e1");
  sink.full = true;
  hub.deliver(gen("e1", "a"));
  for (const v of ["ab", "abc", "abcd"]) hub.deliver(gen("e1", v));
  assert.equal(sink.written.length, 1);
  sink.drain();
  assert.deepEqual(
    sink.written.map((e) => (e.type === "generating" ? (e.output as string[])[0] : e.type)),
    ["a", "abcd"],
  );
  const newer = new PersistentSink();
  hub.attach("tab", newer);
  assert.deepEqual(sink.finished, ["replaced"]);
  hub.deliver(done("e1"));
  assert.equal(newer.written.at(-1)?.type, "completed");
  hub.close();
  assert.deepEqual(newer.finished, ["shutdown"]);
});
