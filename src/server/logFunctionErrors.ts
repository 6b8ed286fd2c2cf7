import type { FastifyBaseLogger } from "fastify";
import type { QueueEngine } from "../queue/index.ts";

/**
 * One log line per failed event (a function that threw, timed out or returned the wrong shape),
 * with its event id, so an operator can match a user's report to the log. Returns the unsubscribe.
 */
export function logFunctionErrors(engine: QueueEngine, log: FastifyBaseLogger): () => void {
  return engine.on((e) => {
    if (e.type !== "failed") return;
    const cause = e.error.cause;
    log.error(
      {
        eventId: e.eventId,
        code: e.error.code,
        ...(cause instanceof Error ? { err: cause } : cause === undefined ? {} : { cause: String(cause) }),
      },
      "function failed",
    );
  });
}
