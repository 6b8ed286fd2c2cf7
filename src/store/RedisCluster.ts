/**
 * The {@link QueueCluster} side of {@link RedisStore}: what the engine needs to run one queue with
 * other processes (events that left elsewhere, cancels forwarded to the runner, shared call
 * durations, snapshots for ETAs, and writing running claims back after Redis lost its data).
 */
import type { TimerHandle } from "../clock.ts";
import {
  clientKeyOf,
  type CancelReason,
  type Claim,
  type PoolSnapshot,
  type QueueCluster,
  type QueuePolicy,
  type StoredJob,
} from "../queue/index.ts";
import { admittedAt, levelOf, newLease, orderArgs } from "./redisClaims.ts";
import type { RedisLink } from "./RedisLink.ts";
import type { RedisSessionBus } from "./RedisSessionBus.ts";
import { listen } from "./listen.ts";

/** Calls kept per function in `dur:<fnId>` (the engine's moving-average window). */
const DURATION_SAMPLES = 20;
/**
 * A node shares at most one call duration per function per this period (the latest): under load a
 * sample per call would be a message to every node per call, for ETAs that need far fewer.
 */
const DURATION_SHARE_MS = 250;

/** See the file comment. */
export class RedisCluster implements QueueCluster {
  readonly #link: RedisLink;
  readonly #bus: RedisSessionBus;
  readonly #leftListeners = new Set<(ids: readonly string[], claimed: boolean) => void>();
  readonly #cancelListeners = new Set<(eventId: string, reason: CancelReason) => void>();
  readonly #durationListeners = new Set<(fnId: number, ms: number) => void>();
  /** Latest unshared call duration per function, and the timer that shares them. */
  readonly #durations = new Map<number, number>();
  #durationTimer: TimerHandle | null = null;
  /** The store's policy (the order of snapshots, counts of restored events). */
  readonly #policy: () => QueuePolicy;

  constructor(link: RedisLink, bus: RedisSessionBus, policy: () => QueuePolicy) {
    this.#link = link;
    this.#bus = bus;
    this.#policy = policy;
    for (const kind of ["L", "S"] as const) {
      link.onNodeMessage(kind, (body) => {
        const ids = JSON.parse(body) as string[];
        for (const l of this.#leftListeners) l(ids, kind === "S");
      });
    }
    // An output or a final of an event admitted here, run elsewhere: it left the queue and, unless
    // cancelled (a waiting event removed elsewhere is told by an L too), started there (QuietStarts.ts).
    bus.onRanElsewhere((event) => {
      for (const l of this.#leftListeners) l([event.eventId], event.type !== "cancelled");
    });
    link.onNodeMessage("C", (body) => {
      const [eventId, reason] = JSON.parse(body) as [string, CancelReason];
      for (const l of this.#cancelListeners) l(eventId, reason);
    });
  }

  /** This node's id. */
  get nodeId(): string {
    return this.#link.nodeId;
  }

  /** Another node shared a call duration (a "d" wake-up). */
  heardDuration(fnId: number, durationMs: number): void {
    if (Number.isFinite(fnId) && Number.isFinite(durationMs))
      for (const l of this.#durationListeners) l(fnId, durationMs);
  }

  /** Stops the duration timer (the store is closing). */
  close(): void {
    if (this.#durationTimer !== null) this.#link.clock.clearTimeout(this.#durationTimer);
    this.#durationTimer = null;
  }

  onLeft(listener: (eventIds: readonly string[], claimed: boolean) => void): () => void {
    return listen(this.#leftListeners, listener);
  }

  onCancelRequest(listener: (eventId: string, reason: CancelReason) => void): () => void {
    return listen(this.#cancelListeners, listener);
  }

  onDuration(listener: (fnId: number, durationMs: number) => void): () => void {
    return listen(this.#durationListeners, listener);
  }

  onReconnect(listener: (lostData: boolean) => void): () => void {
    return this.#link.onReconnect(listener);
  }

  async cancelEvent(eventId: string, reason: CancelReason): Promise<StoredJob | "forwarded" | null> {
    const r = (await this.#link.run("usherCancelEvent", eventId, reason)) as [number, string?, string?];
    if (r[0] === 1 && r[1] !== undefined) {
      // Its cancelled message goes out from here, to the node it was admitted through.
      this.#bus.removed(eventId, r[2] ?? "");
      return JSON.parse(r[1]) as StoredJob;
    }
    return r[0] === 2 ? "forwarded" : null;
  }

  async cancelRunningSession(sessionHash: string, reason: CancelReason): Promise<number> {
    return (await this.#link.run("usherCancelRunningSession", sessionHash, reason)) as number;
  }

  async snapshot(poolId: string): Promise<PoolSnapshot> {
    const [, members, running] = (await this.#link.run("usherSnapshot", poolId, ...orderArgs(this.#policy()))) as [
      number,
      string[],
      (string | number)[],
    ];
    const waiting = members.map((m) => {
      const at = m.indexOf(":");
      return { fnId: Number(m.slice(0, at)), eventId: m.slice(at + 1) };
    });
    const jobs: { fnId: number; ageMs: number }[] = [];
    for (let i = 0; i + 1 < running.length; i += 2)
      jobs.push({ fnId: Number(running[i]), ageMs: Number(running[i + 1]) });
    return { waiting, running: jobs };
  }

  shareDuration(fnId: number, durationMs: number): void {
    this.#durations.set(fnId, durationMs);
    if (this.#durationTimer !== null) return;
    this.#durationTimer = this.#link.clock.setTimeout(() => {
      this.#durationTimer = null;
      for (const [id, ms] of this.#durations) {
        const key = `${this.#link.prefix}dur:${id}`;
        this.#link.fire((redis) =>
          redis
            .multi()
            .lpush(key, ms)
            .ltrim(key, 0, DURATION_SAMPLES - 1)
            .exec(),
        );
        this.#link.wake("d", id, ms);
      }
      this.#durations.clear();
    }, DURATION_SHARE_MS);
  }

  async restoreClaim(claim: Claim): Promise<void> {
    const leaseId = claim.leaseId ?? `${claim.jobs[0]?.eventId ?? ""}|${newLease()}`;
    const args: (string | number)[] = [];
    for (const j of claim.jobs)
      args.push(j.eventId, j.sessionHash, JSON.stringify(j), levelOf(j), clientKeyOf(j), admittedAt(j));
    const o = this.#link.options;
    const n = (await this.#link.run(
      "usherRestore",
      leaseId,
      o.leaseMs,
      claim.poolId,
      claim.fnId,
      o.sessionTtlMs,
      this.#policy().maxPerClient === null ? "0" : "1",
      ...args,
    )) as number;
    if (n > 0) {
      const eventIds = claim.jobs.map((j) => j.eventId);
      const sessionHash = claim.jobs[0]?.sessionHash ?? "";
      this.#link.held.set(leaseId, {
        poolId: claim.poolId,
        sessionHash,
        eventIds,
        clientKeys: claim.jobs.map(clientKeyOf),
      });
    }
  }

  async lostEvents(eventIds: readonly string[]): Promise<string[]> {
    if (eventIds.length === 0) return [];
    const results = await this.#link.call((redis) => {
      const p = redis.pipeline();
      for (const id of eventIds) p.exists(`${this.#link.prefix}job:${id}`);
      return p.exec();
    });
    return eventIds.filter((_, i) => results?.[i]?.[1] === 0);
  }

  async loadDurations(fnIds: readonly number[]): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>();
    if (fnIds.length === 0) return out;
    const results = await this.#link.call((redis) => {
      const p = redis.pipeline();
      for (const id of fnIds) p.lrange(`${this.#link.prefix}dur:${id}`, 0, DURATION_SAMPLES - 1);
      return p.exec();
    });
    fnIds.forEach((id, i) => {
      const list = results?.[i]?.[1];
      if (Array.isArray(list) && list.length > 0) out.set(id, list.map(Number).reverse());
    });
    return out;
  }
}
