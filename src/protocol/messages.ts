/**
 * Gradio's queue messages (sse_v3, doc §3) and their translation from event updates. Pure: no I/O.
 * Times on the wire are seconds; the engine speaks milliseconds.
 */
import type { EventUpdate, ProgressUnit, UpdateError } from "./eventUpdates.ts";
import { diff } from "./diff.ts";

/** Output object of a successful result (`output` of process_generating / process_completed). */
export interface WireOutput {
  data: unknown;
  is_generating: boolean;
  duration: number;
  average_duration: number | null;
  render_config: null;
  changed_state_ids: never[];
  used_cache: null;
}

/** Every message the server sends on a session stream. */
export type WireMessage =
  | { msg: "estimation"; event_id: string; rank: number; queue_size: number; rank_eta: number | null }
  | { msg: "process_starts"; event_id: string; eta: number | null }
  | { msg: "progress"; event_id: string; progress_data: readonly ProgressUnit[] }
  | {
      msg: "log";
      event_id: string;
      log: string;
      level: string;
      duration: number | null;
      visible: boolean;
      title: string;
    }
  | { msg: "process_generating"; event_id: string; output: WireOutput; success: true; time_limit: null }
  | {
      msg: "process_completed";
      event_id: string;
      output: WireOutput | WireError;
      success: boolean;
      title: string | null;
      code?: string;
    }
  | { msg: "heartbeat"; event_id: null }
  | { msg: "close_stream"; event_id: null }
  | { msg: "unexpected_error"; event_id: null; message: string; session_not_found: boolean; success: false };

/** A message about one event (every sse_v3 message that carries an `event_id`). */
export type WireEventMessage = Extract<WireMessage, { event_id: string }>;

/** Output of a failed result. */
export interface WireError {
  error: string | null;
  duration?: number | null;
  visible?: boolean;
  title?: string;
}

/**
 * Milliseconds as wire seconds, to the microsecond. Rounded so that the fast paths of
 * {@link wireJson} can write them with integer arithmetic (a double's shortest decimal form was
 * 10% of the engine's CPU per identity prediction) and both paths write the same text.
 */
export function seconds(ms: number): number {
  return Number.isFinite(ms) ? Math.round(ms * 1000) / 1e6 : ms;
}
const secondsOrNull = (ms: number | null): number | null => (ms === null ? null : seconds(ms));

/** The wire form of an error payload (`output` of a failed process_completed). */
export function wireError(error: UpdateError): WireError {
  return {
    error: error.message,
    duration: secondsOrNull(error.durationMs),
    visible: error.visible,
    title: error.title,
  };
}

/** The `output` of a successful chunk or result. */
function wireOutput(
  data: unknown,
  generating: boolean,
  durationMs: number,
  averageDurationMs: number | null,
): WireOutput {
  return {
    data,
    is_generating: generating,
    duration: seconds(durationMs),
    average_duration: secondsOrNull(averageDurationMs),
    render_config: null,
    changed_state_ids: [],
    used_cache: null,
  };
}

/** The message for a cancelled event: an error status titled "Cancelled", code "cancelled". */
export function cancelledMessage(eventId: string, reason: string): WireMessage {
  const text =
    reason === "disconnect"
      ? "Cancelled: the connection was lost."
      : reason === "shutdown"
        ? "Cancelled: the server is shutting down."
        : "Cancelled.";
  return {
    msg: "process_completed",
    event_id: eventId,
    output: { error: text, visible: true, title: "Cancelled", duration: null },
    success: false,
    title: "Cancelled",
    code: "cancelled",
  };
}

/**
 * Keeps, per event, the last full output sent, so that the second and later generator chunks go
 * out as diffs (sse_v2+). One per stream of messages (one per session for SSE v3).
 */
export class StreamDiffer {
  /** Made on the first chunk: most streams carry no generator, and a Map per stream showed in allocation profiles. */
  private last: Map<string, unknown[]> | null = null;

  /** Returns what to put in `output.data` for this chunk, and remembers the full value. */
  chunk(eventId: string, full: unknown): unknown {
    const values = Array.isArray(full) ? full : [full];
    const last = (this.last ??= new Map());
    const prev = last.get(eventId);
    last.set(eventId, values);
    if (prev === undefined) return values;
    return values.map((v, i) => (i < prev.length ? diff(prev[i], v) : diff(null, v)));
  }

  /** Forgets an ended event. */
  end(eventId: string): void {
    this.last?.delete(eventId);
  }
}

/**
 * Translates an event update (the engine's `EngineEvent`) into its sse_v3 wire message. `differ`
 * turns generator chunks into diffs; pass null for transports that send full values (the /call
 * API, Gradio 3.x websocket).
 */
export function toWireMessage(event: EventUpdate, differ: StreamDiffer | null): WireMessage {
  switch (event.type) {
    case "estimation":
      return {
        msg: "estimation",
        event_id: event.eventId,
        rank: event.rank,
        queue_size: event.queueSize,
        rank_eta: secondsOrNull(event.rankEtaMs),
      };
    case "started":
      return { msg: "process_starts", event_id: event.eventId, eta: secondsOrNull(event.etaMs) };
    case "progress":
      return { msg: "progress", event_id: event.eventId, progress_data: event.progress };
    case "log":
      return {
        msg: "log",
        event_id: event.eventId,
        log: event.message,
        level: event.level,
        duration: secondsOrNull(event.durationMs),
        visible: event.visible,
        title: event.title,
      };
    case "generating":
      return {
        msg: "process_generating",
        event_id: event.eventId,
        output: wireOutput(
          differ === null ? event.output : differ.chunk(event.eventId, event.output),
          true,
          event.durationMs,
          event.averageDurationMs,
        ),
        success: true,
        time_limit: null,
      };
    case "completed":
      differ?.end(event.eventId);
      return {
        msg: "process_completed",
        event_id: event.eventId,
        output: wireOutput(event.output, false, event.durationMs, event.averageDurationMs),
        success: true,
        title: null,
      };
    case "failed":
      differ?.end(event.eventId);
      return {
        msg: "process_completed",
        event_id: event.eventId,
        output: wireError(event.error),
        success: false,
        title: event.error.title,
        code: event.error.code.toLowerCase(),
      };
    case "cancelled":
      differ?.end(event.eventId);
      return cancelledMessage(event.eventId, event.reason);
  }
}

/**
 * `JSON.stringify(toWireMessage(event, differ))`, with fast paths for the messages every
 * prediction sends: `estimation` (also what a status round sends to every waiting user),
 * `process_starts` and a successful `process_completed`. Building the object and stringifying it
 * was the largest single cost of an identity prediction in the engine; the templates write the
 * same text in the same field order (test/protocol/wireJson.test.ts checks it against the generic path).
 */
export function wireJson(event: EventUpdate, differ: StreamDiffer | null): string {
  switch (event.type) {
    case "estimation":
      return (
        `{"msg":"estimation","event_id":${JSON.stringify(event.eventId)},"rank":${jsonNumber(event.rank)},` +
        `"queue_size":${jsonNumber(event.queueSize)},"rank_eta":${jsonSecondsOrNull(event.rankEtaMs)}}`
      );
    case "started":
      return `{"msg":"process_starts","event_id":${JSON.stringify(event.eventId)},"eta":${jsonSecondsOrNull(event.etaMs)}}`;
    case "completed": {
      // undefined has no JSON text (the key is left out): the generic path handles it.
      const data = JSON.stringify(event.output) as string | undefined;
      if (data === undefined) break;
      differ?.end(event.eventId);
      return (
        `{"msg":"process_completed","event_id":${JSON.stringify(event.eventId)},"output":{"data":${data},` +
        `"is_generating":false,"duration":${jsonSeconds(event.durationMs)},` +
        `"average_duration":${jsonSecondsOrNull(event.averageDurationMs)},"render_config":null,"changed_state_ids":[],` +
        `"used_cache":null},"success":true,"title":null}`
      );
    }
    default:
      break;
  }
  return JSON.stringify(toWireMessage(event, differ));
}

/** Milliseconds as JSON seconds, null for null. */
function jsonSecondsOrNull(ms: number | null): string {
  return ms === null ? "null" : jsonSeconds(ms);
}

/** Beyond this many microseconds the integer path could lose digits: JSON writes the double. */
const MAX_EXACT_US = 1e15;

/** `JSON.stringify(seconds(ms))`, from integers: the whole seconds, then up to six decimals. */
function jsonSeconds(ms: number): string {
  if (!Number.isFinite(ms)) return "null";
  const us = Math.round(ms * 1000);
  if (Math.abs(us) >= MAX_EXACT_US) return jsonNumber(us / 1e6);
  const abs = Math.abs(us);
  const whole = Math.floor(abs / 1e6);
  const frac = abs - whole * 1e6;
  // -0 and values that round to 0 are written "0", as JSON does.
  const sign = us < 0 ? "-" : "";
  if (frac === 0) return abs === 0 ? "0" : `${sign}${whole}`;
  let digits = String(frac).padStart(6, "0");
  let end = digits.length;
  while (digits.charCodeAt(end - 1) === 48) end--;
  digits = digits.slice(0, end);
  return `${sign}${whole}.${digits}`;
}

/** A number as JSON writes it (non-finite ones are null). */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : "null";
}

/** `{"msg":"heartbeat","event_id":null}` */
export const HEARTBEAT: WireMessage = { msg: "heartbeat", event_id: null };
/** `{"msg":"close_stream","event_id":null}` */
export const CLOSE_STREAM: WireMessage = { msg: "close_stream", event_id: null };

/** `GET /queue/status`'s answer: the queue's size, as an estimation for no event. */
export interface QueueStatus {
  msg: "estimation";
  event_id: null;
  rank: null;
  queue_size: number;
  rank_eta: null;
}

/** The answer of `GET /queue/status` for a queue of `queueSize` waiting events. */
export function queueStatus(queueSize: number): QueueStatus {
  return { msg: "estimation", event_id: null, rank: null, queue_size: queueSize, rank_eta: null };
}

/** The stream-level error for a session the server does not know. */
export function sessionNotFound(): WireMessage {
  return {
    msg: "unexpected_error",
    event_id: null,
    message: "404: Not Found",
    session_not_found: true,
    success: false,
  };
}
