/**
 * Gradio 3.x's per-event WebSocket messages (`/queue/join`, doc §10.3). Pure: no I/O. Unlike
 * sse_v3 they carry no `event_id` (one socket is one event), generator chunks are full values,
 * and errors are `{ error }` only. Times on the wire are seconds; the engine speaks milliseconds.
 * The client sends two frames: {@link LegacyHashFrame}, then {@link LegacyDataFrame} on `send_data`.
 */
import type { EventUpdate } from "./eventUpdates.ts";

/** Output of a successful 3.x result. */
export interface LegacyOutput {
  data: unknown;
  is_generating: boolean;
  duration: number;
  average_duration: number | null;
}

/** Every message the server sends on a 3.x queue socket. */
export type LegacyMessage =
  | { msg: "send_hash" }
  | { msg: "send_data" }
  | { msg: "queue_full" }
  | {
      msg: "estimation";
      rank: number | null;
      queue_size: number;
      avg_event_process_time: number | null;
      avg_event_concurrent_process_time: number | null;
      rank_eta: number | null;
      queue_eta: number;
    }
  | { msg: "process_starts" }
  | { msg: "progress"; progress_data: unknown }
  | { msg: "log"; log: string; level: "info" | "warning" }
  | { msg: "process_generating"; output: LegacyOutput; success: true }
  | { msg: "process_completed"; output: LegacyOutput | { error: string | null }; success: boolean };

/**
 * The first frame of a Gradio 3.x queue socket, answering `send_hash`:
 * `{"fn_index":N,"session_hash":"…"}` (clients older than 3.6 sent `hash`).
 */
export interface LegacyHashFrame {
  readonly session_hash: string;
  /** As sent: the socket looks the function up and quotes an unknown index back. */
  readonly fn_index: unknown;
}

/** The inputs of a Gradio 3.x event, answering `send_data`: `{"data":[…], …}` (other fields ignored). */
export interface LegacyDataFrame {
  readonly data: unknown[];
}

/** Every frame a Gradio 3.x client sends on its queue socket (which one is expected depends on the phase). */
export type LegacyClientFrame = LegacyHashFrame | LegacyDataFrame;

/** What a 3.x estimation needs beyond the engine's event: the function's averages. */
export interface LegacyAverages {
  /** Moving average of one call of this function, ms, or null before any. */
  readonly averageMs: number | null;
  /** Slots of its pool (3.x divides the average by the worker count). */
  readonly slots: number;
}

/** `{"msg":"send_hash"}` */
export const SEND_HASH: LegacyMessage = { msg: "send_hash" };
/** `{"msg":"send_data"}` */
export const SEND_DATA: LegacyMessage = { msg: "send_data" };
/** `{"msg":"queue_full"}` */
export const QUEUE_FULL: LegacyMessage = { msg: "queue_full" };
/** `{"msg":"process_starts"}` */
export const PROCESS_STARTS: LegacyMessage = { msg: "process_starts" };

/** A failed `process_completed` with `message` (null: the client's generic error). */
export function legacyError(message: string | null): LegacyMessage {
  return { msg: "process_completed", output: { error: message }, success: false };
}

/**
 * 3.x's estimation: `rank_eta` from the engine (Usher's simulation, better than 3.x's global
 * average), the averages the way 3.x computed them: `avg_event_concurrent_process_time` =
 * average / slots, `queue_eta` = that × queue size, and 3.x's initial values (0, null, 1) before
 * any call has been measured.
 */
export function legacyEstimation(
  rank: number | null,
  queueSize: number,
  rankEtaMs: number | null,
  averages: LegacyAverages,
): LegacyMessage {
  const avg = averages.averageMs === null ? null : averages.averageMs / 1000;
  const concurrent = avg === null ? null : avg / Math.max(1, averages.slots);
  return {
    msg: "estimation",
    rank,
    queue_size: queueSize,
    avg_event_process_time: avg ?? 0,
    avg_event_concurrent_process_time: concurrent,
    rank_eta: rankEtaMs === null ? null : rankEtaMs / 1000,
    queue_eta: concurrent === null ? 1 : concurrent * queueSize,
  };
}

/**
 * Translates an event update (the engine's `EngineEvent`) into its 3.x message; not `estimation`
 * and `started`, which the socket handles itself: they depend on its averages and on the data
 * hand-over.
 */
export function toLegacyMessage(event: EventUpdate): LegacyMessage | null {
  switch (event.type) {
    case "progress":
      return { msg: "progress", progress_data: event.progress };
    case "log":
      // 3.x knew only info and warning.
      return { msg: "log", log: event.message, level: event.level === "warning" ? "warning" : "info" };
    case "generating":
      return {
        msg: "process_generating",
        output: {
          data: event.output,
          is_generating: true,
          duration: event.durationMs / 1000,
          average_duration: event.averageDurationMs === null ? null : event.averageDurationMs / 1000,
        },
        success: true,
      };
    case "completed":
      return {
        msg: "process_completed",
        output: {
          data: event.output,
          is_generating: false,
          duration: event.durationMs / 1000,
          average_duration: event.averageDurationMs === null ? null : event.averageDurationMs / 1000,
        },
        success: true,
      };
    case "failed":
      return legacyError(event.error.message);
    case "cancelled":
      return legacyError(
        event.reason === "shutdown"
          ? "Cancelled: the server is shutting down."
          : event.reason === "disconnect"
            ? "Cancelled: the connection was lost."
            : "Cancelled.",
      );
    case "estimation":
    case "started":
      return null;
  }
}
