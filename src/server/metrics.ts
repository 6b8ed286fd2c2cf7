import type { Server } from "node:http";
import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Registry } from "prom-client";
import type { QueueEngine } from "../queue/QueueEngine.ts";
import { TERMINAL_TYPES, type EngineEvent } from "../queue/types.ts";
import { BucketHistogram } from "./BucketHistogram.ts";
import type { SessionHub } from "./SessionHub.ts";

/** Bucket bounds of the wait and run time histograms, seconds: 5 ms to 10 min. */
const TIME_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * Prometheus metrics of one app. The registry is the app's own (not prom-client's global one), so
 * several apps in one process (tests, benchmarks) do not mix their figures.
 *
 * Queue depth and connections are read when scraped; wait and run times come from the engine's
 * events, so the request path pays one map operation per event and nothing per HTTP request.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #refusals: Counter<"code">;
  readonly #wait: BucketHistogram;
  readonly #run: BucketHistogram;
  /** Events seen and not ended: when they joined and, once started, when they started (ms). */
  readonly #times = new Map<string, { joinedMs: number; startedMs: number | null }>();
  readonly #now: () => number;
  #connections = 0;

  constructor(engine: QueueEngine, hub: SessionHub, now: () => number = () => performance.now()) {
    this.#now = now;
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

  /** The text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  readonly #onEvent = (e: EngineEvent): void => {
    const t = this.#times.get(e.eventId);
    if (e.type === "estimation") {
      if (t === undefined) this.#times.set(e.eventId, { joinedMs: this.#now(), startedMs: null });
    } else if (e.type === "started") {
      const now = this.#now();
      if (t === undefined) this.#times.set(e.eventId, { joinedMs: now, startedMs: now });
      else {
        this.#wait.observe((now - t.joinedMs) / 1000);
        t.startedMs = now;
      }
    } else if (TERMINAL_TYPES.has(e.type)) {
      this.#times.delete(e.eventId);
      if (t?.startedMs != null) this.#run.observe((this.#now() - t.startedMs) / 1000, e.type);
    }
  };
}

/** Serves `metrics` at `/metrics` in Prometheus' text format. */
export function metricsRoute(server: FastifyInstance, metrics: Metrics): void {
  server.get("/metrics", async (_req, reply) =>
    reply.header("content-type", metrics.registry.contentType).header("cache-control", "no-store").send(await metrics.text()),
  );
}
