import { isUsherError } from "../errors.ts";
import type { Metrics } from "./metrics.ts";
import type { RefusalLog } from "./RefusalLog.ts";

/**
 * Counts a refused request (any 4xx, and 503: queue full or stopped) in the metrics and the burst
 * log. 5xx other than 503 are failures, not refusals; the error handler logs those itself.
 */
export function noteRefusal(metrics: Metrics | null, log: RefusalLog | null, err: unknown, status: number): void {
  if (!((status >= 400 && status < 500) || status === 503)) return;
  const code = refusalCode(err, status);
  metrics?.refused(code);
  log?.note(code, status);
}

/** A short, bounded label for a refusal: the UsherError code, else one per HTTP status. */
export function refusalCode(err: unknown, status: number): string {
  if (isUsherError(err)) return err.code;
  if (status === 413) return "PAYLOAD_TOO_LARGE";
  if (status === 415) return "UNSUPPORTED_MEDIA_TYPE";
  if (status === 400) return "BAD_REQUEST";
  return `HTTP_${status}`;
}
