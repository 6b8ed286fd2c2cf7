/**
 * Frames of Usher's multiplexed queue socket (`/gradio_api/queue/ws?session_hash=…`, one per tab,
 * many events). The server sends the same sse_v3 {@link WireMessage}s as `/queue/data`, plus the
 * control frames below; the client sends {@link WsClientFrame}s. Pure: no I/O.
 */
import type { WireMessage } from "./messages.ts";

/** A client's reference for a join, echoed in `joined` / `join_error` (null when it sent none). */
export type JoinRef = string | number | null;

/** A frame the server sends that is not about one event's progress: answers and greetings. */
export type WsControlFrame =
  /** First frame of every socket: the session hash (the client may not have chosen it). */
  | { readonly msg: "hello"; readonly session_hash: string }
  /** A join was admitted; the event's messages follow, tagged with `event_id`. */
  | { readonly msg: "joined"; readonly ref: JoinRef; readonly event_id: string }
  /** A join was refused, with the status and detail `POST /queue/join` would answer. */
  | {
      readonly msg: "join_error";
      readonly ref: JoinRef;
      readonly status: number;
      readonly detail: unknown;
      /** Seconds until a retry may succeed (a full queue); absent otherwise. */
      readonly retry_after?: number;
    }
  /** A cancel could not be done (unknown event, or the store failed). */
  | { readonly msg: "cancel_error"; readonly event_id: string; readonly status: number; readonly detail: unknown }
  /** A frame that was JSON but not a frame this socket knows. */
  | { readonly msg: "error"; readonly detail: string }
  /** The answer to `{"type":"ping"}`. */
  | { readonly msg: "pong" };

/** Every frame the server sends on the multiplexed queue socket. */
export type WsServerFrame = WireMessage | WsControlFrame;

/**
 * Every frame a client sends, as the server reads it after {@link parseClientFrame}. On the wire
 * a join's `ref` may also be called `id` (the page's first client sent that).
 */
export type WsClientFrame =
  | {
      readonly type: "join";
      readonly ref: JoinRef;
      readonly fn_index?: number | undefined;
      readonly data: readonly unknown[];
    }
  | { readonly type: "cancel"; readonly event_id: string }
  | { readonly type: "ping" };

/** `{"msg":"hello","session_hash":…}` */
export function helloFrame(sessionHash: string): WsControlFrame {
  return { msg: "hello", session_hash: sessionHash };
}

/** `{"msg":"joined","ref":…,"event_id":…}` */
export function joinedFrame(ref: JoinRef, eventId: string): WsControlFrame {
  return { msg: "joined", ref, event_id: eventId };
}

/** `{"msg":"join_error","ref":…,"status":…,"detail":…}`, then `"retry_after"` when given. */
export function joinErrorFrame(ref: JoinRef, status: number, detail: unknown, retryAfterS?: number): WsControlFrame {
  return retryAfterS === undefined
    ? { msg: "join_error", ref, status, detail }
    : { msg: "join_error", ref, status, detail, retry_after: retryAfterS };
}

/** `{"msg":"cancel_error","event_id":…,"status":…,"detail":…}` */
export function cancelErrorFrame(eventId: string, status: number, detail: unknown): WsControlFrame {
  return { msg: "cancel_error", event_id: eventId, status, detail };
}

/** `{"msg":"error","detail":…}` */
export function errorFrame(detail: string): WsControlFrame {
  return { msg: "error", detail };
}

/** `{"msg":"pong"}` */
export const PONG: WsControlFrame = { msg: "pong" };
