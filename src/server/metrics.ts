import type { Server } from "node:http";
import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Registry } from "prom-client";
import { isUsherError } from "../errors.ts";
import type { QueueEngine } from "../queue/index.ts";
import type { EngineEvent } from "../queue/index.ts";
import { BucketHistogram } from "./BucketHistogram.ts";
import type { ReaderBudget } from "./ReaderBudget.ts";
import type { SessionHub } from "./SessionHub.ts";

/** The queue's own refusals, by code, as `usher_queue_refusals_total` names them. */
const QUEUE_REFUSALS = { QUEUE_FULL: "queue_full", CLIENT_LIMIT: "client_limit", WAIT_LIMIT: "wait_limit" } as const;

/** Bucket bounds of the wait and run time histograms, seconds: 5 ms to 10 min. */
const TIME_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * Prometheus metrics of one app. The registry is the app's own (not prom-client's global one), so
 * several apps in one process (tests, benchmarks) do not mix their figures.
 *
 * Queue depth and connections are read when scraped; wait and run times come inside the engine's
 * `started` and terminal events, so the request path pays two histogram counts per prediction.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #refusals: Counter<"code">;
  readonly #queueRefusals: Counter<"reason">;
  /**
   * The priority of each event this process admitted at a level other than 0, from its join to
   * its start (or end): the levels of waiting events, which the engine does not keep. Events at
   * level 0 are not kept (an app without `priority` keeps nothing): their count is the rest.
   */
  readonly #levels = new Map<string, number>();
  readonly #wait: BucketHistogram;
  readonly #run: BucketHistogram;
  #connections = 0;

  constructor(engine: QueueEngine, hub: SessionHub, budget: ReaderBudget | null = null) {
    const registers = [this.registry];
    new Gauge({
      name: "usher_queue_depth",
      help: "Events waiting in the queue of this process, per pool.",
      labelNames: ["pool"],
      registers,
      collect() {
        for (const [pool, c] of engine.poolCounts()) this.set({ pool }, c.waiting);
      },
    });
    new Gauge({
      name: "usher_running_events",
      help: "Events running in this process, per pool.",
      labelNames: ["pool"],
      registers,
      collect() {
        for (const [pool, c] of engine.poolCounts()) this.set({ pool }, c.running);
      },
    });
    waitingByPriorityGauge(this.registry, engine, this.#levels);
    this.#wait = new BucketHistogram({
      name: "usher_wait_seconds",
      help: "Time from joining the queue to starting to run.",
      bounds: TIME_BUCKETS_S,
      registry: this.registry,
    });
    this.#run = new BucketHistogram({
      name: "usher_run_seconds",
      help: "Time from starting to run to the end, by outcome (completed, failed, cancelled).",
      labelName: "outcome",
      bounds: TIME_BUCKETS_S,
      registry: this.registry,
    });
    this.#refusals = new Counter({
      name: "usher_refusals_total",
      help: "Requests refused, by error code (QUEUE_FULL, UNAUTHORIZED, BAD_REQUEST, ...).",
      labelNames: ["code"],
      registers,
    });
    this.#queueRefusals = new Counter({
      name: "usher_queue_refusals_total",
      help: "Joins the queue refused, by reason: queue_full (maxSize), client_limit (maxPerClient), wait_limit (maxWaitMs).",
      labelNames: ["reason"],
      registers,
    });
    // Every reason from the start, at 0: a rate over a series that appears late misses its first count.
    for (const reason of Object.values(QUEUE_REFUSALS)) this.#queueRefusals.inc({ reason }, 0);
    const connections = (): number => this.#connections;
    new Gauge({
      name: "usher_open_connections",
      help: "Open TCP connections to the HTTP server.",
      registers,
      collect() {
        this.set(connections());
      },
    });
    new Gauge({
      name: "usher_open_streams",
      help: "Open session streams (SSE).",
      registers,
      collect() {
        this.set(hub.openStreams);
      },
    });
    if (budget !== null) {
      new Gauge({
        name: "usher_unread_bytes",
        help: "Bytes held for readers: left unread on watched connections, or kept for readers who were cut off or are away.",
        labelNames: ["held"],
        registers,
        collect() {
          this.set({ held: "connections" }, budget.heldBytes - budget.keptBytes);
          this.set({ held: "kept" }, budget.keptBytes);
        },
      });
    }
    engine.on(this.#onEvent);
  }

  /** Counts the connections of `server` (call once, before it listens). */
  watch(server: Server): void {
    server.on("connection", (socket) => {
      this.#connections++;
      socket.once("close", () => this.#connections--);
    });
  }

  /** Counts one refused request. */
  refused(code: string): void {
    this.#refusals.inc({ code });
  }

  /** An event joins the queue at priority `level` (not 0); before the engine sees it, as it may start at once. */
  joining(eventId: string, level: number): void {
    this.#levels.set(eventId, level);
  }

  /** A join threw or was refused: it waits nowhere; a refusal of the queue's own is counted by reason. */
  joinFailed(eventId: string, err: unknown): void {
    if (this.#levels.size !== 0) this.#levels.delete(eventId);
    if (!isUsherError(err)) return;
    const reason = (QUEUE_REFUSALS as Record<string, string | undefined>)[err.code];
    if (reason !== undefined) this.#queueRefusals.inc({ reason });
  }

  /** The text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  // The engine's events carry the times (no per-event bookkeeping here).
  readonly #onEvent = (e: EngineEvent): void => {
    // Started or ended: no longer waiting at its level.
    if (this.#levels.size !== 0 && e.type !== "estimation" && e.type !== "progress") this.#levels.delete(e.eventId);
    switch (e.type) {
      case "started":
        if (e.waitedMs !== undefined) this.#wait.observe(e.waitedMs / 1000);
        return;
      case "completed":
        this.#run.observe(e.durationMs / 1000, e.type);
        return;
      case "failed":
      case "cancelled":
        if (e.ranMs !== undefined) this.#run.observe(e.ranMs / 1000, e.type);
        return;
      default:
        return;
    }
  };
}

/**
 * `usher_queue_waiting_by_priority{priority}`: the events this process admitted that wait, per
 * level; `levels` holds those not at level 0, whose count is the rest of the engine's waiting ones.
 */
function waitingByPriorityGauge(registry: Registry, engine: QueueEngine, levels: ReadonlyMap<string, number>): void {
  new Gauge({
    name: "usher_queue_waiting_by_priority",
    help: "Events waiting in the queue of this process, per priority level (queue({ priority })).",
    labelNames: ["priority"],
    registers: [registry],
    collect() {
      this.reset();
      let waiting = 0;
      for (const c of engine.poolCounts().values()) waiting += c.waiting;
      const byLevel = new Map<number, number>();
      for (const level of levels.values()) byLevel.set(level, (byLevel.get(level) ?? 0) + 1);
      let other = 0;
      for (const [level, n] of byLevel) {
        this.set({ priority: String(level) }, n);
        other += n;
      }
      this.set({ priority: "0" }, Math.max(0, waiting - other));
    },
  });
}

/** Serves `metrics` at `/metrics` in Prometheus' text format. */
export function metricsRoute(server: FastifyInstance, metrics: Metrics): void {
  server.get("/metrics", async (_req, reply) =>
    reply
      .header("content-type", metrics.registry.contentType)
      .header("cache-control", "no-store")
      .send(await metrics.text()),
  );
}
