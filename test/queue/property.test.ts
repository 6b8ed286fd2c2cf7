/**
 * Random sequences of joins, cancels, session disconnects, completions, failures, streams, direct
 * calls and clock advances, checked against the engine's promises: exactly one terminal event per
 * accepted event and nothing after it, `estimation` before `started`, and never more running work
 * than maxThreads or a pool's limit.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isUsherError } from "../../src/errors.ts";
import type { EngineEvent, InvokeContext, InvokeResult } from "../../src/queue/types.ts";
import { QueueEngine } from "../../src/queue/QueueEngine.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import { ManualClock, settle } from "../../src/testing/ManualClock.ts";
import { Channel } from "./helpers.ts";

/** A call in flight; `active` until its promise (or its stream) is done. */
interface Call {
  readonly fnIndex: number;
  readonly inputs: readonly unknown[];
  readonly ctx: InvokeContext;
  active: boolean;
  /** A result (values, error or stream) was handed back. */
  started: boolean;
  resolve(r: InvokeResult): void;
  reject(e: unknown): void;
  channel: Channel | null;
}

type Op =
  | { op: "join"; fn: number; session: number }
  | { op: "cancel"; pick: number }
  | { op: "cancelSession"; session: number }
  | { op: "resolve"; pick: number; wrongShape: boolean }
  | { op: "reject"; pick: number }
  | { op: "stream"; pick: number; chunks: number; end: boolean }
  | { op: "endStream"; pick: number; fail: boolean }
  | { op: "direct"; fn: number }
  | { op: "advance"; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("join" as const),
      fn: fc.constantFrom(0, 1, 1, 2, 3, 4),
      session: fc.nat(3),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("cancel" as const), pick: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("cancelSession" as const), session: fc.nat(3) }) },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant("resolve" as const), pick: fc.nat(10), wrongShape: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("reject" as const), pick: fc.nat(10) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("stream" as const),
      pick: fc.nat(10),
      chunks: fc.nat(3),
      end: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("endStream" as const), pick: fc.nat(10), fail: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("direct" as const), fn: fc.nat(4) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 300 }) }) },
);

const configArb = fc.record({
  concurrencyCount: fc.integer({ min: 1, max: 3 }),
  maxThreads: fc.integer({ min: 1, max: 4 }),
  maxSize: fc.option(fc.integer({ min: 0, max: 8 }), { nil: null }),
  statusUpdateMs: fc.constantFrom(0, 100, 1000),
  ownLimit: fc.integer({ min: 1, max: 3 }),
  groupLimit: fc.integer({ min: 1, max: 2 }),
});

describe("QueueEngine properties", () => {
  it("one terminal event per accepted event, nothing after it, and limits always respected", async () => {
    await fc.assert(
      fc.asyncProperty(configArb, fc.array(opArb, { minLength: 5, maxLength: 80, size: "large" }), async (cfg, ops) => {
        const clock = new ManualClock();
        const calls: Call[] = [];
        // Pools: f0 default; f1 own pool (batch of 3); f2, f3 share group "g"; f4 unlimited own pool.
        const poolOf = ["default", "fn:1", "id:g", "id:g", "fn:4"] as const;
        const limitOf: Record<string, number> = {
          default: cfg.concurrencyCount,
          "fn:1": cfg.ownLimit,
          "id:g": cfg.groupLimit,
          "fn:4": Number.POSITIVE_INFINITY,
        };
        let violation: string | null = null;
        const makeFn = (id: number, extra: object) => ({
          id,
          name: `/f${id}`,
          batch: false,
          maxBatchSize: 1,
          ...extra,
          invoke(inputs: readonly unknown[], ctx: InvokeContext): Promise<InvokeResult> {
            const total = calls.filter((c) => c.active).length + 1;
            if (total > cfg.maxThreads) violation = `maxThreads ${cfg.maxThreads} exceeded: ${total}`;
            // Direct calls are not bound by pool limits, only by maxThreads.
            const pool = poolOf[id] ?? "?";
            const queued = ctx.events[0]?.sessionHash !== "direct";
            if (queued) {
              const n =
                calls.filter((c) => c.active && poolOf[c.fnIndex] === pool && c.ctx.events[0]?.sessionHash !== "direct")
                  .length + 1;
              if (n > (limitOf[pool] ?? 0)) violation = `pool ${pool} over its limit: ${n}`;
            }
            return new Promise<InvokeResult>((resolve, reject) => {
              calls.push({ fnIndex: id, inputs, ctx, active: true, started: false, resolve, reject, channel: null });
            });
          },
        });
        const functions = [
          makeFn(0, { expectedDurationMs: 100 }),
          makeFn(1, { concurrencyLimit: cfg.ownLimit, batch: true, maxBatchSize: 3 }),
          makeFn(2, { concurrencyId: "g", concurrencyLimit: cfg.groupLimit, timeoutMs: 250 }),
          makeFn(3, { concurrencyId: "g", concurrencyLimit: 5 }),
          makeFn(4, { concurrencyLimit: null, expectedDurationMs: 50 }),
        ];
        const engine = new QueueEngine({
          functions,
          store: new MemoryStore(),
          ownsStore: true,
          clock,
          concurrencyCount: cfg.concurrencyCount,
          maxSize: cfg.maxSize,
          maxThreads: cfg.maxThreads,
          statusUpdateMs: cfg.statusUpdateMs,
          showError: false,
        });

        const accepted = new Set<string>();
        const seen = new Map<string, EngineEvent[]>();
        const ended = new Set<string>();
        engine.on((e) => {
          if (ended.has(e.eventId)) violation = `${e.type} after the end of ${e.eventId}`;
          const list = seen.get(e.eventId) ?? [];
          list.push(e);
          seen.set(e.eventId, list);
          if (e.type === "started" && !list.some((x) => x.type === "estimation"))
            violation = `started before estimation: ${e.eventId}`;
          if (e.type === "completed" || e.type === "failed" || e.type === "cancelled") ended.add(e.eventId);
        });

        const pending = (): Call[] => calls.filter((c) => c.active && !c.started);
        const streaming = (): Call[] => calls.filter((c) => c.active && c.channel !== null);
        const trackStream = (c: Call, ch: Channel): void => {
          // The call stays "active" (holding its thread and slot) until its stream ends or is closed.
          const iterate = ch[Symbol.asyncIterator].bind(ch);
          ch[Symbol.asyncIterator] = () => {
            const it = iterate();
            return {
              next: async () => {
                try {
                  const r = await it.next();
                  if (r.done === true) c.active = false;
                  return r;
                } catch (e) {
                  c.active = false;
                  throw e;
                }
              },
              return: async () => {
                c.active = false;
                return it.return?.() ?? { done: true, value: undefined };
              },
            };
          };
        };
        const directs: Promise<unknown>[] = [];
        let n = 0;

        for (const o of ops) {
          switch (o.op) {
            case "join": {
              const eventId = `e${n++}`;
              try {
                await engine.join({ fnId: o.fn, eventId, sessionHash: `s${o.session}`, data: eventId, rootUrl: "" });
                accepted.add(eventId);
              } catch (e) {
                assert.ok(isUsherError(e, "QUEUE_FULL"), String(e));
              }
              break;
            }
            case "cancel":
              await engine.cancel(`e${o.pick % Math.max(n, 1)}`);
              break;
            case "cancelSession":
              await engine.cancelSession(`s${o.session}`);
              break;
            case "resolve": {
              const p = pending();
              const c = p[o.pick % Math.max(p.length, 1)];
              if (c === undefined) break;
              c.started = true;
              c.active = false;
              c.resolve({ kind: "values", outputs: o.wrongShape ? [] : c.inputs.map((x) => `out:${String(x)}`) });
              break;
            }
            case "reject": {
              const p = pending();
              const c = p[o.pick % Math.max(p.length, 1)];
              if (c === undefined) break;
              c.started = true;
              c.active = false;
              c.reject(new Error("boom"));
              break;
            }
            case "stream": {
              const p = pending();
              const c = p[o.pick % Math.max(p.length, 1)];
              if (c === undefined) break;
              const ch = new Channel();
              c.started = true;
              c.channel = ch;
              trackStream(c, ch);
              if (functions[c.fnIndex]?.batch === true) c.active = false; // never read: closed at once
              c.resolve({ kind: "stream", chunks: ch });
              for (let i = 0; i < o.chunks; i++) ch.push(i);
              if (o.end) ch.end();
              break;
            }
            case "endStream": {
              const s = streaming();
              const c = s[o.pick % Math.max(s.length, 1)];
              if (c === undefined || c.channel === null) break;
              if (o.fail) c.channel.fail(new Error("stream broke"));
              else c.channel.end();
              break;
            }
            case "direct":
              directs.push(
                engine.runDirect(o.fn, "direct", { sessionHash: "direct", rootUrl: "", meta: {} }).catch(() => null),
              );
              break;
            case "advance":
              await clock.advance(o.ms);
              break;
          }
          await settle(4);
          if (violation !== null) throw new Error(violation);
        }

        // Shut down: everything still waiting or running must end.
        let closed = false;
        const closing = engine.close({ graceMs: 0 }).then(() => (closed = true));
        let directsDone = false;
        const allDirects = Promise.all(directs).then(() => (directsDone = true));
        // Settling calls frees threads, which direct calls still waiting take: repeat until all is done.
        for (let round = 0; round < 100 && !(closed && directsDone); round++) {
          await settle(4);
          for (const c of calls) {
            if (!c.active) continue;
            if (c.channel !== null) c.channel.end();
            else {
              c.started = true;
              c.active = false;
              c.resolve({ kind: "values", outputs: c.inputs.map(() => null) });
            }
          }
        }
        assert.ok(closed, "close() did not resolve");
        assert.ok(directsDone, "a direct call never finished");
        await closing;
        await allDirects;
        await settle(4);
        if (violation !== null) throw new Error(violation);

        for (const id of accepted) {
          const terminals = (seen.get(id) ?? []).filter(
            (e) => e.type === "completed" || e.type === "failed" || e.type === "cancelled",
          );
          assert.equal(terminals.length, 1, `${id}: ${JSON.stringify(seen.get(id)?.map((e) => e.type))}`);
        }
        for (const id of seen.keys()) assert.ok(accepted.has(id), `events for a refused join: ${id}`);
        assert.equal(clock.pending, 0, "timers left after close");
        assert.equal(await engine.size(), 0);
      }),
      { numRuns: 300 },
    );
  });
});
