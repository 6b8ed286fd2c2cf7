import type { FastifyBaseLogger } from "fastify";
import type { ErrorCode } from "../errors.ts";
import type { QueueEngine } from "../queue/index.ts";

/**
 * One log line per failed event (a function that threw, timed out or returned the wrong shape),
 * with its event id, so an operator can match a user's report to the log. Returns the unsubscribe.
 */
export function logFunctionErrors(engine: QueueEngine, log: FastifyBaseLogger): () => void {
  return engine.on((e) => {
    if (e.type !== "failed") return;
    logFunctionFailure(log, { eventId: e.eventId }, e.error.code, e.error.message, e.error.cause);
  });
}

/**
 * The line of one failed call, queued or direct. An AppError is the app speaking to its user on
 * purpose ("Type some text first."): a warning with its message and no stack, not an error to
 * page someone for. Anything else is an error with what the function threw, stack included.
 */
export function logFunctionFailure(
  log: FastifyBaseLogger,
  fields: Readonly<Record<string, unknown>>,
  code: ErrorCode,
  shownMessage: string | null,
  cause: unknown,
): void {
  if (code === "APP_ERROR") {
    log.warn({ ...fields, code, error: shownMessage }, "function failed");
    return;
  }
  const what = cause instanceof Error ? { err: cause } : cause === undefined ? {} : { cause: String(cause) };
  log.error({ ...fields, code, ...what }, "function failed");
}
