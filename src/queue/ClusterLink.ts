/**
 * The engine's side of a queue shared with other processes (src/store/SharedQueueStore.ts):
 * drops records of waiting events another process claimed or removed, takes cancels forwarded to
 * the events this process runs, shares call durations for ETAs, forwards cancels of events held
 * elsewhere, and recovers after the store's connection comes back (restoring running claims when
 * the store lost its data, and failing the events it lost). Built only with a shared store: the
 * in-memory store pays nothing of it.
 */
import type { QueueCluster } from "./QueueCluster.ts";
import type { Dispatcher } from "./Dispatcher.ts";
import type { EngineCore } from "./EngineCore.ts";
import type { Estimator } from "./Estimator.ts";
import type { CancelReason, ErrorPayload } from "./types.ts";

/** Links one engine to the other processes of a shared store. See the file comment. */
export class ClusterLink {
  readonly #cluster: QueueCluster;
  readonly #core: EngineCore;
  readonly #estimator: Estimator;
  readonly #dispatcher: Dispatcher;
  readonly #unsubscribe: (() => void)[];

  /** Subscribes to the cluster at once; `cancel` is the engine's own (for forwarded cancels). */
  constructor(
    cluster: QueueCluster,
    core: EngineCore,
    estimator: Estimator,
    dispatcher: Dispatcher,
    cancel: (eventId: string, reason: CancelReason) => Promise<boolean>,
  ) {
    this.#cluster = cluster;
    this.#core = core;
    this.#estimator = estimator;
    this.#dispatcher = dispatcher;
    this.#unsubscribe = [
      cluster.onLeft((ids, claimed) => this.#left(ids, claimed)),
      // Only events this process runs: a forwarded cancel must never bounce back and forth.
      cluster.onCancelRequest((eventId, reason) => {
        if (core.records.get(eventId)?.state === "running") void cancel(eventId, reason);
      }),
      cluster.onDuration((fnId, durationMs) => {
        const fs = core.fns.get(fnId);
        if (fs === undefined) return;
        fs.duration.record(durationMs);
        fs.pool.invalidate();
      }),
      cluster.onReconnect((lostData) => this.#afterReconnect(lostData)),
    ];
    // Start ETAs from what the other processes measured, not from nothing.
    cluster
      .loadDurations([...core.fns.keys()])
      .then((samples) => {
        for (const [fnId, list] of samples) {
          const fs = core.fns.get(fnId);
          if (fs !== undefined) for (const ms of list) fs.duration.record(ms);
        }
      })
      .catch(() => undefined);
  }

  /** Stops listening to the cluster (on shutdown). */
  close(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
  }

  /** Cancels an event this process does not hold; false when no process knows it. */
  async cancelElsewhere(eventId: string, reason: CancelReason): Promise<boolean> {
    const res = await this.#cluster.cancelEvent(eventId, reason);
    if (res === null) return false;
    // Waiting: removed here, so its cancelled message goes out from here. Running: its process ends it.
    if (res !== "forwarded") this.#core.emit({ type: "cancelled", eventId, sessionHash: res.sessionHash, reason });
    return true;
  }

  /**
   * Another process claimed or removed these events: a joining or waiting record of them here
   * goes. A claimed one started there: its user hears so from here, the process that admitted it
   * (the runner sends nothing for it until its result), so that a start costs no store step.
   */
  #left(ids: readonly string[], claimed: boolean): void {
    const core = this.#core;
    for (const id of ids) {
      const r = core.records.get(id);
      if (r === undefined || (r.state !== "joining" && r.state !== "waiting")) continue;
      r.leftElsewhere = true;
      if (claimed) {
        if (r.state === "waiting" && !r.announced) this.#estimator.announceStart(r);
        const waitedMs = r.joinedAtMs === null ? undefined : core.clock.now() - r.joinedAtMs;
        const etaMs = r.fn.duration.valueMs;
        core.emit({ type: "started", eventId: r.eventId, sessionHash: r.sessionHash, etaMs, waitedMs });
      }
      if (r.state === "waiting") core.forget(r);
    }
  }

  /**
   * The shared store's connection came back. Messages may have been missed: look again for
   * claimable work, refresh every rank, and drop records of events another process took meanwhile.
   * When the store came back empty, every event it held is gone: their users are told now.
   */
  #afterReconnect(lostData: boolean): void {
    const core = this.#core;
    if (core.closed) return;
    for (const p of core.pools.values()) {
      p.invalidate();
      this.#estimator.requestRound(p);
    }
    this.#dispatcher.dispatch();
    if (lostData) {
      this.#recoverLostData();
      return;
    }
    for (const r of core.records.values()) {
      if (r.state !== "waiting") continue;
      void core.store.rank(r.eventId).then(
        (rank) => {
          if (rank === null && r.state === "waiting") {
            r.leftElsewhere = true;
            core.forget(r);
          }
        },
        () => undefined,
      );
    }
  }

  /**
   * The store came back empty. Jobs running here go on: the store learns of them again (their
   * lease, their session's pending set), so that their results still reach their users and a death
   * of this process is still noticed. Events admitted before the break are gone and fail; ones
   * admitted since (the store was already back) are not.
   */
  #recoverLostData(): void {
    const core = this.#core;
    const cluster = this.#cluster;
    const restoring = [...core.jobs].flatMap(({ claim, records }) => {
      if (claim === null) return [];
      const live = new Set(records.filter((r) => r.state === "running").map((r) => r.eventId));
      return [{ ...claim, jobs: claim.jobs.filter((j) => live.has(j.eventId)) }];
    });
    const restored = Promise.all(restoring.filter((c) => c.jobs.length > 0).map((c) => cluster.restoreClaim(c))).catch(
      () => undefined,
    );
    const ids = [...core.records.values()]
      .filter((r) => r.state !== "joining" && r.state !== "running")
      .map((r) => r.eventId);
    void restored
      .then(() => cluster.lostEvents(ids))
      .then((lost) => {
        const error: ErrorPayload = {
          message: "The queue store restarted and lost this request. Please try again.",
          title: "Error",
          durationMs: null,
          visible: true,
          code: "STORE_UNAVAILABLE",
        };
        for (const id of lost) {
          const r = core.records.get(id);
          // Forced: the store no longer knows the event, and would drop a plain message for it.
          if (r !== undefined)
            core.end(r, { type: "failed", eventId: r.eventId, sessionHash: r.sessionHash, error }, true);
        }
      })
      .catch(() => undefined);
  }
}
