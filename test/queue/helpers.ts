/**
 * Fakes for engine tests: functions whose calls are settled by hand, hand-fed streams, an event
 * recorder, and an engine factory on a {@link ManualClock}.
 */
import { QueueEngine, type QueueEngineOptions } from "../../src/queue/QueueEngine.ts";
import { MemoryStore } from "../../src/store/MemoryStore.ts";
import type { EnqueueResult, StoredJob } from "../../src/queue/QueueStore.ts";
import type { EngineEvent, EngineFunction, InvokeContext, InvokeResult } from "../../src/queue/types.ts";
import { ManualClock, settle } from "../../src/testing/ManualClock.ts";

export { settle };

/** One call of a {@link FakeFn}, waiting to be settled by the test. */
export interface FakeCall {
  readonly inputs: readonly unknown[];
  readonly ctx: InvokeContext;
  settled: boolean;
  /** Resolves with `{kind:"values", outputs}`; default outputs echo the inputs as `out:<input>`. */
  resolve(outputs?: readonly unknown[]): void;
  /** Resolves with any result (e.g. a stream). */
  resolveWith(result: InvokeResult): void;
  reject(err: unknown): void;
}

/** Fields of a {@link FakeFn}. */
export interface FakeFnOptions {
  name?: string;
  batch?: boolean;
  maxBatchSize?: number;
  concurrencyId?: string;
  concurrencyLimit?: number | null;
  expectedDurationMs?: number;
  timeoutMs?: number;
}

/** An EngineFunction whose every call waits for the test to settle it. */
export class FakeFn implements EngineFunction {
  readonly id: number;
  readonly name: string;
  readonly batch: boolean;
  readonly maxBatchSize: number;
  readonly concurrencyId: string | undefined;
  readonly concurrencyLimit: number | null | undefined;
  readonly expectedDurationMs: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly calls: FakeCall[] = [];

  constructor(id: number, options: FakeFnOptions = {}) {
    this.id = id;
    this.name = options.name ?? `/fn${id}`;
    this.batch = options.batch ?? false;
    this.maxBatchSize = options.maxBatchSize ?? 4;
    this.concurrencyId = options.concurrencyId;
    this.concurrencyLimit = "concurrencyLimit" in options ? options.concurrencyLimit : undefined;
    this.expectedDurationMs = options.expectedDurationMs;
    this.timeoutMs = options.timeoutMs;
  }

  invoke(inputs: readonly unknown[], ctx: InvokeContext): Promise<InvokeResult> {
    return new Promise<InvokeResult>((res, rej) => {
      const call: FakeCall = {
        inputs,
        ctx,
        settled: false,
        resolve(outputs) {
          call.settled = true;
          res({ kind: "values", outputs: outputs ?? inputs.map((x) => `out:${String(x)}`) });
        },
        resolveWith(result) {
          call.settled = true;
          res(result);
        },
        reject(err) {
          call.settled = true;
          rej(err);
        },
      };
      this.calls.push(call);
    });
  }

  /** Calls not settled yet. */
  get pending(): FakeCall[] {
    return this.calls.filter((c) => !c.settled);
  }

  /** The last call (throws if none). */
  last(): FakeCall {
    const c = this.calls[this.calls.length - 1];
    if (c === undefined) throw new Error(`${this.name} was never called`);
    return c;
  }
}

/** A stream fed by hand. Records whether `return()` was called (the engine closing it). */
export class Channel implements AsyncIterable<unknown> {
  returned = false;
  readonly #buffer: IteratorResult<unknown>[] = [];
  #error: unknown = undefined;
  #failed = false;
  #waiter: { resolve: (r: IteratorResult<unknown>) => void; reject: (e: unknown) => void } | null = null;

  push(value: unknown): void {
    this.#deliver({ done: false, value });
  }

  end(): void {
    this.#deliver({ done: true, value: undefined });
  }

  fail(err: unknown): void {
    if (this.#waiter !== null) {
      const w = this.#waiter;
      this.#waiter = null;
      w.reject(err);
    } else {
      this.#failed = true;
      this.#error = err;
    }
  }

  #deliver(r: IteratorResult<unknown>): void {
    if (this.#waiter !== null) {
      const w = this.#waiter;
      this.#waiter = null;
      w.resolve(r);
    } else this.#buffer.push(r);
  }

  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    return {
      next: () => {
        const r = this.#buffer.shift();
        if (r !== undefined) return Promise.resolve(r);
        if (this.#failed) return Promise.reject(this.#error);
        return new Promise((resolve, reject) => {
          this.#waiter = { resolve, reject };
        });
      },
      return: () => {
        this.returned = true;
        // Like a generator at a pending yield: the pending next() ends too.
        this.#deliver({ done: true, value: undefined });
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }
}

/**
 * A MemoryStore whose enqueue answers only when the test says so, like a slow remote store: the
 * event is already in the queue (claimable) before the engine hears back.
 */
export class SlowEnqueueStore extends MemoryStore {
  /** Its enqueue waits: the engine must take the async path, as with a remote store. */
  override readonly answersInCall = false;
  readonly held: (() => void)[] = [];
  override enqueue(job: StoredJob, maxSize: number | null): Promise<EnqueueResult> {
    const result = super.enqueue(job, maxSize);
    return new Promise((resolve) => this.held.push(() => resolve(result)));
  }
}

/** Collects engine events with the clock time they were emitted at. */
export class Recorder {
  readonly events: (EngineEvent & { atMs: number })[] = [];

  constructor(engine: QueueEngine, clock: ManualClock) {
    engine.on((e) => this.events.push({ ...e, atMs: clock.now() }));
  }

  of(eventId: string): (EngineEvent & { atMs: number })[] {
    return this.events.filter((e) => e.eventId === eventId);
  }

  types(eventId: string): string[] {
    return this.of(eventId).map((e) => e.type);
  }

  ofType<T extends EngineEvent["type"]>(type: T, eventId?: string): Extract<EngineEvent, { type: T }>[] {
    return this.events.filter(
      (e): e is EngineEvent & { atMs: number } & { type: T } =>
        e.type === type && (eventId === undefined || e.eventId === eventId),
    ) as unknown as Extract<EngineEvent, { type: T }>[];
  }

  /** The event ids in the order their `started` was emitted. */
  startedOrder(): string[] {
    return this.events.filter((e) => e.type === "started").map((e) => e.eventId);
  }

  terminal(eventId: string): EngineEvent | undefined {
    return this.of(eventId).find((e) => e.type === "completed" || e.type === "failed" || e.type === "cancelled");
  }
}

/** An engine on a ManualClock with test defaults (cc 1, no maxSize, 40 threads, statusUpdateMs 0). */
export function makeEngine(
  functions: readonly EngineFunction[],
  options: Partial<Omit<QueueEngineOptions, "functions">> = {},
): { engine: QueueEngine; clock: ManualClock; rec: Recorder } {
  const clock = options.clock instanceof ManualClock ? options.clock : new ManualClock();
  const engine = new QueueEngine({
    functions,
    clock,
    concurrencyCount: options.concurrencyCount ?? 1,
    maxSize: options.maxSize === undefined ? null : options.maxSize,
    maxThreads: options.maxThreads ?? 40,
    statusUpdateMs: options.statusUpdateMs ?? 0,
    showError: options.showError ?? false,
    store: options.store ?? new MemoryStore(),
    ownsStore: options.store === undefined,
    policy: options.policy,
    maxWaitMs: options.maxWaitMs,
  });
  return { engine, clock, rec: new Recorder(engine, clock) };
}

/** Joins with defaults (session `s-<eventId>`), then lets the engine settle. */
export async function join(
  engine: QueueEngine,
  fnId: number,
  eventId: string,
  fields: { sessionHash?: string; data?: unknown; clientKey?: string; priority?: number } = {},
): Promise<{ eventId: string; rank: number; queueSize: number }> {
  const r = await engine.join({
    fnId,
    eventId,
    sessionHash: fields.sessionHash ?? `s-${eventId}`,
    data: fields.data ?? eventId,
    rootUrl: "http://127.0.0.1:7860",
    clientKey: fields.clientKey,
    priority: fields.priority,
  });
  await settle();
  return r;
}

/** The single pending call of `fn` with these inputs (throws if none). */
export function callWith(fn: FakeFn, ...inputs: unknown[]): FakeCall {
  const c = fn.pending.find((call) => JSON.stringify(call.inputs) === JSON.stringify(inputs));
  if (c === undefined) throw new Error(`no pending call of ${fn.name} with ${JSON.stringify(inputs)}`);
  return c;
}
