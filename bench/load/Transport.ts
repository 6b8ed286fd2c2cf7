/**
 * The load generator's view of a protocol: a {@link Transport} makes {@link VirtualUser}s, each
 * with its own session and connection(s), and a user runs one prediction at a time. The SSE
 * transport (`SseTransport.ts`) is the one built today; a WebSocket transport slots in here by
 * implementing the same two interfaces and filling in the same {@link RequestRecord}.
 */

/** How one prediction ended, as the user saw it. */
export type Outcome =
  /** `process_completed` with `success: true`. */
  | "completed"
  /** Join refused with 503 (queue full, predicted wait too long) or 429 (too many of this client's). */
  | "refused"
  /** `process_completed` with `success: false` (the function failed). */
  | "failed"
  /** Transport error, unexpected HTTP status or `unexpected_error` message. */
  | "error"
  /** No terminal message within the timeout. */
  | "timeout"
  /** The stream ended without a `process_completed` for this event. */
  | "lost";

/** The first `estimation` a user saw for its event. */
export interface FirstEstimation {
  readonly rank: number | null;
  /** `rank_eta` converted to ms; null when the server sent none. */
  readonly rankEtaMs: number | null;
  readonly atMs: number;
}

/** One prediction as a virtual user saw it. All times are `performance.now()` ms in the generator. */
export interface RequestRecord {
  readonly user: number;
  /** The input sent (`data[0]`). */
  readonly input: string;
  outcome: Outcome;
  /** When the join request was sent. */
  joinStartMs: number;
  /** When the join response (200 or refusal) arrived. */
  joinedMs: number | null;
  httpStatus: number | null;
  /** A refusal's `Retry-After`, seconds; null when the join was not refused or said none. */
  retryAfterS: number | null;
  firstEstimation: FirstEstimation | null;
  /** When `process_starts` arrived. */
  startedMs: number | null;
  /** When the first `process_generating` arrived. */
  firstChunkMs: number | null;
  /** Number of `process_generating` messages. */
  chunks: number;
  /** When `process_completed` arrived. */
  completedMs: number | null;
  /** When the prediction ended, whatever the outcome. */
  endedMs: number | null;
  /** Final `output.data`, when completed. */
  output: unknown;
  error: string | null;
}

/** One user: its own session, its own connection(s). */
export interface VirtualUser {
  /** Runs one prediction of `input` to its end (never rejects: failures are in the record). */
  predict(input: string, timeoutMs: number): Promise<RequestRecord>;
  /** Drops the user's connections. */
  close(): void;
}

/** A protocol the load generator can speak. */
export interface Transport {
  /** Short name for reports, e.g. "sse". */
  readonly name: string;
  /** Makes virtual user number `index`. */
  createUser(index: number): VirtualUser;
}

/** A fresh record for a prediction of `input` by `user` that starts now. */
export function newRecord(user: number, input: string, nowMs: number): RequestRecord {
  return {
    user,
    input,
    outcome: "error",
    joinStartMs: nowMs,
    joinedMs: null,
    httpStatus: null,
    retryAfterS: null,
    firstEstimation: null,
    startedMs: null,
    firstChunkMs: null,
    chunks: 0,
    completedMs: null,
    endedMs: null,
    output: undefined,
    error: null,
  };
}
