import type { ResolvedQueueOptions } from "../options.ts";
import type { QueuePolicy } from "../queue/index.ts";

/** The store's part of the queue options (order and per-client limit), the same in every process. */
export function queuePolicy(q: ResolvedQueueOptions): QueuePolicy {
  return { fairness: q.fairness, maxPerClient: q.maxPerClient, priorityAgingMs: q.priorityAgingMs };
}
