/**
 * The options of `queue()`: part of {@link ./options.ts}, which re-exports them (one place for every
 * option; this file keeps it under the size limit).
 */
import { z } from "zod";
import { UsherError } from "./errors.ts";
import { count, durationMs, parse } from "./optionSchemas.ts";
import type { QueueStore } from "./queue/QueueStore.ts";
import type { QueueRequest } from "./queue/types.ts";
import { isSharedStore } from "./store/SharedQueueStore.ts";

// ---------------------------------------------------------------------------------------------
// queue()

/** Options of `app.queue(...)` (Gradio's `demo.queue(...)`). */
export interface QueueOptions {
  /** Workers that run predictions in parallel from the shared pool (concurrency_count). Default 1. */
  concurrencyCount?: number;
  /** Most events allowed to wait; a join beyond it is refused with 503 (max_size). Default null: no limit. */
  maxSize?: number | null;
  /** When false, the direct POST routes (`/run`, `/api`) refuse queued functions (api_open). Default true, false on Spaces. */
  apiOpen?: boolean;
  /** Least time between two `estimation` messages to one waiting user, ms. Default 1000. */
  statusUpdateMs?: number;
  /**
   * Where waiting events live. Default: an in-memory store for this process. `redisStore({ url,
   * keyPrefix })` shares one queue (FIFO, maxSize, limits, positions, ETAs, files, State) between
   * every front and worker process using the same Redis and prefix; closing the app closes it.
   */
  store?: QueueStore;
  /**
   * Whether this process runs queued jobs itself. Default true. With a shared store, false makes a
   * front that only admits users and streams their results while worker processes (`runWorker`,
   * `npx usher worker app.ts`) run the jobs; with the in-memory store it must stay true.
   */
  localWorkers?: boolean;
  /**
   * Fair share: waiting events are served round robin across client keys (one per key per turn,
   * FIFO within a key), so one script or one person's many tabs cannot put everyone else behind
   * them. False: strict FIFO, as Gradio. Default true.
   */
  fairness?: boolean;
  /**
   * Whom fair share and `maxPerClient` count a request for. Default: the signed-in user when `auth`
   * is on, else the client's address (`X-Forwarded-For` only from `launch({ trustProxy })` proxies).
   */
  clientKey?: (request: QueueRequest) => string;
  /** A request's priority level, higher first (e.g. signed-in users). Default: 0 for every request. */
  priority?: (request: QueueRequest) => number;
  /**
   * Anti-starvation: how much waiting one priority step is worth, ms. A waiting event is never
   * passed by a higher-priority one that arrived more than (difference × this) after it. Default 30 000.
   */
  priorityAgingMs?: number;
  /** Most events one client key may have waiting or running; one more is refused with 429. Default null: no limit. */
  maxPerClient?: number | null;
  /**
   * Refuse a join whose predicted wait before it starts is longer than this, ms (503 with
   * `Retry-After`). Default null: no limit.
   */
  maxWaitMs?: number | null;
}

/** {@link QueueOptions} with defaults applied. */
export interface ResolvedQueueOptions {
  readonly concurrencyCount: number;
  readonly maxSize: number | null;
  readonly apiOpen: boolean;
  readonly statusUpdateMs: number;
  readonly store: QueueStore | undefined;
  readonly localWorkers: boolean;
  readonly fairness: boolean;
  readonly clientKey: ((request: QueueRequest) => string) | null;
  readonly priority: ((request: QueueRequest) => number) | null;
  readonly priorityAgingMs: number;
  readonly maxPerClient: number | null;
  readonly maxWaitMs: number | null;
}

const queueSchema = z
  .object({
    concurrencyCount: count.optional(),
    maxSize: z.number().int().min(0).nullable().optional(),
    apiOpen: z.boolean().optional(),
    statusUpdateMs: durationMs.optional(),
    store: z.custom<QueueStore>((v) => typeof v === "object" && v !== null && "claim" in v).optional(),
    localWorkers: z.boolean().optional(),
    fairness: z.boolean().optional(),
    clientKey: z.custom<(request: QueueRequest) => string>((v) => typeof v === "function").optional(),
    priority: z.custom<(request: QueueRequest) => number>((v) => typeof v === "function").optional(),
    priorityAgingMs: durationMs.optional(),
    maxPerClient: count.nullable().optional(),
    maxWaitMs: durationMs.nullable().optional(),
  })
  .strict();

/** True when running on Hugging Face Spaces, where Gradio turns the queue on and closes the API. */
export function onSpaces(env: NodeJS.ProcessEnv = process.env): boolean {
  return typeof env["SPACE_ID"] === "string" && env["SPACE_ID"] !== "";
}

/** Validates and fills in {@link QueueOptions}. */
export function resolveQueueOptions(
  options: QueueOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedQueueOptions {
  const o = parse(queueSchema, options, "queue()");
  if (o.localWorkers === false && !isSharedStore(options.store)) {
    throw new UsherError(
      "INVALID_OPTIONS",
      "Invalid options for queue(): localWorkers: false needs a shared store (redisStore(...)); with the in-memory store nothing would run the jobs.",
    );
  }
  return {
    concurrencyCount: o.concurrencyCount ?? 1,
    maxSize: o.maxSize ?? null,
    apiOpen: o.apiOpen ?? !onSpaces(env),
    statusUpdateMs: o.statusUpdateMs ?? 1000,
    // Zod may copy objects: keep the caller's own store.
    store: options.store,
    localWorkers: o.localWorkers ?? true,
    fairness: o.fairness ?? true,
    // Zod wraps functions: keep the caller's own.
    clientKey: options.clientKey ?? null,
    priority: options.priority ?? null,
    priorityAgingMs: o.priorityAgingMs ?? 30_000,
    maxPerClient: o.maxPerClient ?? null,
    maxWaitMs: o.maxWaitMs ?? null,
  };
}
