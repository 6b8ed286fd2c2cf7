/**
 * The in-process churn driver shared by test/server/churn.test.ts and bench/scenarios/churn.ts:
 * `cycles` users join the real engine and session hub on a manual clock and leave in every way a
 * user can (never open a stream, drop it while waiting, drop it while running, stay to the end).
 * It asserts the invariants as it goes (every event ends; at the end nothing waits, runs, stays in
 * the hub or holds a timer) and returns the figures.
 */
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Clock, TimerHandle } from "../../src/clock.ts";
import { QueueEngine } from "../../src/queue/QueueEngine.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import type { EngineEvent, EngineFunction, InvokeContext, InvokeResult } from "../../src/queue/types.ts";
import { SessionHub } from "../../src/server/SessionHub.ts";
import type { Sink } from "../../src/server/Sink.ts";
import { settle } from "../../src/testing/ManualClock.ts";

/** Grace of a session without a stream, ms (of the manual clock). */
export const GRACE_MS = 100;

/** What a churn run measured. */
export interface ChurnFigures {
  readonly cycles: number;
  /** Function calls started (users who reached a slot). */
  readonly calls: number;
  /** Calls that saw their abort signal. */
  readonly aborted: number;
  /** Users who left while their call ran. */
  readonly leftWhileRunning: number;
  /** heapUsed after full GC before the first and after the last cycle, bytes. */
  readonly heapBefore: number;
  readonly heapAfter: number;
  /** Wall time of the cycles, ms. */
  readonly ms: number;
}

/**
 * A manual clock for many timers: fires every due timer in time order and lets promise chains run
 * once per instant (ManualClock settles after each timer, which is right for fine-grained tests but
 * too slow for 100 000 users).
 */
class BulkClock implements Clock {
  #now = 0;
  #timers = new Set<{ at: number; fn: () => void }>();
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const t = { at: this.#now + Math.max(0, delayMs), fn };
    this.#timers.add(t);
    return t;
  }
  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as { at: number; fn: () => void });
  }
  /** The next turn of the loop: a timer due now (fired by the next advance). */
  defer(fn: () => void): void {
    this.setTimeout(fn, 0);
  }
  get pending(): number {
    return this.#timers.size;
  }
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await settle(3);
      let at = Infinity;
      for (const t of this.#timers) if (t.at <= target && t.at < at) at = t.at;
      if (at === Infinity) break;
      this.#now = at;
      for (const t of [...this.#timers]) {
        if (t.at !== at || !this.#timers.has(t)) continue;
        this.#timers.delete(t);
        t.fn();
      }
    }
    this.#now = target;
    await settle(3);
  }
}

/** A stream the test can drop, like a user closing the tab. */
class FakeSink implements Sink {
  writes = 0;
  finished = false;
  #close: (() => void)[] = [];
  write(_e: EngineEvent): boolean {
    this.writes++;
    return true;
  }
  finish(): void {
    this.finished = true;
  }
  heartbeat(): void {}
  onDrain(): void {}
  onClose(fn: () => void): void {
    this.#close.push(fn);
  }
  drop(): void {
    for (const fn of this.#close) fn();
    this.#close = [];
  }
}

/** A function whose calls end when the test says, or when aborted (it honours its signal). */
class HeldFn implements EngineFunction {
  readonly id = 0;
  readonly name = "/held";
  readonly batch = false;
  readonly maxBatchSize = 1;
  readonly running = new Map<string, { ctx: InvokeContext; finish: () => void }>();
  aborted = 0;
  calls = 0;
  invoke(inputs: readonly unknown[], ctx: InvokeContext): Promise<InvokeResult> {
    this.calls++;
    const eventId = ctx.events[0]?.eventId ?? "";
    return new Promise((resolve) => {
      const finish = (): void => {
        this.running.delete(eventId);
        resolve({ kind: "values", outputs: inputs });
      };
      ctx.signal.addEventListener(
        "abort",
        () => {
          this.aborted++;
          finish();
        },
        { once: true },
      );
      this.running.set(eventId, { ctx, finish });
    });
  }
}

/** Runs `cycles` join-and-leave cycles (see the file comment). */
export async function runEngineChurn(cycles: number): Promise<ChurnFigures> {
  const clock = new BulkClock();
  const fn = new HeldFn();
  const engine = new QueueEngine({
    functions: [fn],
    store: new MemoryStore(),
    ownsStore: true,
    clock,
    concurrencyCount: 8,
    maxSize: null,
    maxThreads: 40,
    statusUpdateMs: 1000,
    showError: false,
  });
  const hub = new SessionHub({ clock, engine, sessionGraceMs: GRACE_MS, heartbeatMs: 15_000 });
  engine.on(hub.deliver);
  const terminal = new Map<string, string>();
  engine.on((e) => {
    if (e.type === "completed" || e.type === "failed" || e.type === "cancelled") terminal.set(e.eventId, e.type);
  });
  const heapBefore = heapAfterGc();
  const t0 = performance.now();
  const ROUND = 1000;
  let leftWhileRunning = 0;
  for (let round = 0; round * ROUND < cycles; round++) {
    const sinks = new Map<string, FakeSink>();
    const ids: string[] = [];
    for (let i = 0; i < ROUND; i++) {
      const id = `r${round}e${i}`;
      const session = `s-${id}`;
      hub.expect(session, id);
      await engine.join({ fnId: 0, sessionHash: session, data: [id], eventId: id, rootUrl: "http://x" });
      ids.push(id);
      // 1 in 4 never opens a stream; the rest attach one.
      if (i % 4 !== 0) {
        const sink = new FakeSink();
        hub.attach(session, sink);
        sinks.set(id, sink);
      }
    }
    await settle(2);
    // Those running now: half finish normally, half lose their user.
    let k = 0;
    for (const [id, r] of [...fn.running]) {
      if (k++ % 2 === 0) r.finish();
      else {
        sinks.get(id)?.drop();
        leftWhileRunning++;
      }
    }
    // Of those still waiting, half drop their stream; the others stay to the end.
    k = 0;
    for (const [id, sink] of sinks) if (!fn.running.has(id) && !terminal.has(id) && k++ % 2 === 0) sink.drop();
    // Grace passes: the dropped and the never-attached are cancelled; the slots freed run the rest.
    await clock.advance(GRACE_MS + 1);
    while (fn.running.size > 0) {
      for (const r of [...fn.running.values()]) r.finish();
      await settle(2);
    }
    await clock.advance(GRACE_MS + 1);
    for (const id of ids) assert.ok(terminal.has(id), `${id} never ended`);
    terminal.clear();
  }
  assert.equal(await engine.size(), 0, "queue empty");
  assert.equal(fn.running.size, 0, "nothing running");
  assert.ok(leftWhileRunning > 0);
  assert.ok(
    fn.aborted >= leftWhileRunning,
    `every running call whose user left saw its abort (${fn.aborted} of ${leftWhileRunning})`,
  );
  assert.equal(hub.size, 0, "no session left");
  await engine.close({ graceMs: 0 });
  hub.close();
  assert.equal(clock.pending, 0, "no timer left");
  const ms = performance.now() - t0;
  return { cycles, calls: fn.calls, aborted: fn.aborted, leftWhileRunning, heapBefore, heapAfter: heapAfterGc(), ms };
}

/** heapUsed after full collections (exposes gc for this process if node was not started with it). */
export function heapAfterGc(): number {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
