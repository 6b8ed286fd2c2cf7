/** How {@link RedisLink} names Redis's failures: errors for callers, and URLs fit for messages. */
import { UsherError } from "../errors.ts";

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, "//***@");
}

/** A Lua error is a bug (INTERNAL); anything else means Redis cannot be reached (STORE_UNAVAILABLE). */
export function toStoreError(err: unknown): UsherError {
  if (err instanceof UsherError) return err;
  const e = err as { name?: string; message?: string };
  if (e.name === "ReplyError" && !/LOADING|MASTERDOWN|READONLY|BUSY/.test(e.message ?? "")) {
    return new UsherError("INTERNAL", `Redis store script failed: ${e.message ?? String(err)}`, { cause: err });
  }
  return new UsherError(
    "STORE_UNAVAILABLE",
    "The queue store (Redis) cannot be reached right now; please try again in a moment.",
    {
      cause: err,
    },
  );
}

/** Throws {@link toStoreError} of `err`: a promise's rejection handler. */
export function rethrowStoreError(err: unknown): never {
  throw toStoreError(err);
}

/** What the user of an event Redis lost (with no process left to write it back) is told. */
export const STORE_LOST_ERROR = {
  message: "The queue store restarted and lost this request. Please try again.",
  title: "Error",
  durationMs: null,
  visible: true,
  code: "STORE_UNAVAILABLE",
};

/** What the user of an event is told when its worker stopped responding and it was tried `maxAttempts` times. */
export const WORKER_LOST_ERROR = {
  message: "The worker running this request stopped responding, and it was not retried again. Please try again.",
  title: "Error",
  durationMs: null,
  visible: true,
  code: "WORKER_LOST",
};

/** The warning logged to the session of an event whose worker stopped responding, as it is retried. */
export const WORKER_RETRY_LOG = {
  level: "warning",
  message: "The worker running this request stopped responding; it is being retried.",
  title: "Warning",
  durationMs: 10_000,
  visible: true,
};
