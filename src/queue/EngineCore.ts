/**
 * The state every part of the queue engine shares (the store, the records of events not yet
 * ended, the running jobs, the thread gate, the cluster of a shared store) and the one place an
 * event's life ends: {@link EngineCore.end} emits its terminal event once, {@link EngineCore.forget}
 * drops a record that never got into the queue. The parts ({@link Dispatcher}, {@link JobRunner},
 * {@link Admission}, {@link ClusterLink}) each hold this one object: no per-event allocation,
 * and the in-memory store keeps its in-call (no promise) path.
 */
import type { Clock } from "../clock.ts";
import type { ClaimRequest, ImmediateQueueStore, QueueStore } from "./QueueStore.ts";
import type { QueueCluster } from "./QueueCluster.ts";
import type { EventBus } from "./EventBus.ts";
import type { EventRecord } from "./EventRecord.ts";
import type { FnState } from "./FnState.ts";
import type { PoolState } from "./PoolState.ts";
import { cancelledError, type JobHost, type RunningJob } from "./RunningJob.ts";
import { ThreadGate } from "./ThreadGate.ts";
import type { CancelReason, EngineEvent, EngineListener } from "./types.ts";
import { usherWarning } from "../warnings.ts";

/** What {@link EngineCore} is built from (resolved by {@link QueueEngine}'s constructor). */
export interface EngineCoreParts {
  readonly store: QueueStore;
  readonly immediate: ImmediateQueueStore | null;
  readonly cluster: QueueCluster | null;
  readonly bus: EventBus | null;
  readonly clock: Clock;
  readonly maxSize: number | null;
  readonly maxPerClient: number | null;
  readonly maxWaitMs: number | null;
  readonly showError: boolean;
  readonly runJobs: boolean;
  readonly fns: ReadonlyMap<number, FnState>;
  readonly pools: ReadonlyMap<string, PoolState>;
  readonly maxThreads: number;
}

/** The engine's shared state and the end of an event's life. See the file comment. */
export class EngineCore implements JobHost {
  readonly store: QueueStore;
  /** The store again when it answers in the call (in-memory): no promise per queue operation. */
  readonly immediate: ImmediateQueueStore | null;
  /** The other processes of a shared store (null with an in-memory one: none of that cost). */
  readonly cluster: QueueCluster | null;
  readonly bus: EventBus | null;
  readonly clock: Clock;
  readonly maxSize: number | null;
  /** The policy's `maxPerClient` (for the refusal's message). */
  readonly maxPerClient: number | null;
  /** Longest predicted wait a join is admitted with; null: no limit. */
  readonly maxWaitMs: number | null;
  readonly showError: boolean;
  /** Whether this process claims and runs queued jobs (false: a front of a shared store). */
  readonly runJobs: boolean;
  readonly fns: ReadonlyMap<number, FnState>;
  readonly pools: ReadonlyMap<string, PoolState>;
  /** Built once: the store reads it on every claim. */
  readonly claimRequest: ClaimRequest;
  /** Events not yet ended (joining, waiting or running). */
  readonly records = new Map<string, EventRecord>();
  /** Jobs started and not yet settled. */
  readonly jobs = new Set<RunningJob>();
  /** Threads taken by running jobs, runDirect calls and a claim in flight. */
  readonly threads: ThreadGate;
  listeners: readonly EngineListener[] = [];
  closed = false;
  /** Set by shutdown: resolved once the last record has ended. */
  onDrained: (() => void) | null = null;
  /** Set by the engine: a running job's thread started or ended loading its model (ETAs moved). */
  onLoadChange: (job: RunningJob) => void = noop;

  constructor(parts: EngineCoreParts) {
    this.store = parts.store;
    this.immediate = parts.immediate;
    this.cluster = parts.cluster;
    this.bus = parts.bus;
    this.clock = parts.clock;
    this.maxSize = parts.maxSize;
    this.maxPerClient = parts.maxPerClient;
    this.maxWaitMs = parts.maxWaitMs;
    this.showError = parts.showError;
    this.runJobs = parts.runJobs;
    this.fns = parts.fns;
    this.pools = parts.pools;
    this.threads = new ThreadGate(parts.maxThreads);
    const poolLimits = new Map<string, number | null>();
    for (const p of parts.pools.values()) poolLimits.set(p.id, p.limit);
    const batchSizes = new Map<number, number>();
    for (const f of parts.fns.values()) batchSizes.set(f.fn.id, f.batchSize);
    this.claimRequest = { poolLimits, batchSizes };
  }

  emit(event: EngineEvent, force = false): void {
    if (this.bus === null) this.deliver(event);
    else this.bus.publish(event, force);
  }

  /** Calls every listener with an event (directly, or as it comes off the bus). */
  deliver(event: EngineEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        // A listener must not throw; if one does, the engine's state must still move on.
        usherWarning("UsherListenerWarning", `Usher queue engine listener threw: ${String(err)}`);
      }
    }
  }

  /** Emits the terminal event of `r` (once) and aborts its job if no event of it is left. */
  end(r: EventRecord, event: EngineEvent, force = false): void {
    if (r.state === "ended") return;
    const job = r.job;
    // A started event that fails or is cancelled says how long it ran (metrics read it).
    if (job !== null && (event.type === "failed" || event.type === "cancelled") && event.ranMs === undefined) {
      event = { ...event, ranMs: this.clock.now() - job.startMs };
    }
    // A coalesced progress value still pending goes out before the terminal event, never after.
    if (job !== null) job.flushProgress();
    r.state = "ended";
    this.records.delete(r.eventId);
    this.emit(event, force);
    if (job !== null && --job.live === 0 && !job.settled) job.abort(job.abortReason ?? cancelledError());
    // An ended record may still be held (a batch's other events, a collection not yet run), and
    // V8's young-generation collection keeps what an old object points to, dead or not: through
    // it, a front on Redis moved every job's objects into the old generation (bench/README.md,
    // 2026-12-07, 08:54).
    r.job = null;
    if (this.onDrained !== null) this.checkDrained();
  }

  /** Drops a record that never got into the queue (refused or failed admission). */
  forget(r: EventRecord): void {
    r.state = "ended";
    this.records.delete(r.eventId);
    if (this.onDrained !== null) this.checkDrained();
  }

  /** Resolves shutdown's wait once no record is left. */
  checkDrained(): void {
    if (this.records.size > 0 || this.onDrained === null) return;
    const resolve = this.onDrained;
    this.onDrained = null;
    resolve();
  }

  /** Records a call's duration here and, with a shared store, for the other processes' ETAs. */
  recordDuration(fs: FnState, durationMs: number): void {
    fs.duration.record(durationMs);
    this.cluster?.shareDuration(fs.fn.id, durationMs);
  }
}

function noop(): void {}

/** The `cancelled` event of a record. */
export function cancelled(r: EventRecord, reason: CancelReason): EngineEvent {
  return { type: "cancelled", eventId: r.eventId, sessionHash: r.sessionHash, reason };
}
