/**
 * How the page talks to the queue, whatever carries the bytes. A tab makes one {@link Transport}
 * and sends every event through it: the SSE transport shares one `/queue/data` stream per session,
 * the WebSocket transport one socket. The runner above sees the same messages either way.
 */
import type { WireEventMessage } from "../../../src/protocol/messages.ts";
import type { WsControlFrame } from "../../../src/protocol/socketFrames.ts";

/**
 * What a transport reports about one event. Exactly one terminal message ends it:
 * `process_completed`, `join_error` or `connection_lost`.
 */
export type EventMessage =
  | WireEventMessage
  /**
   * The server refused the event (HTTP status of the join, or the WebSocket's `join_error`), with
   * the seconds of its `Retry-After` (or `retry_after`) when it gave one.
   */
  | Pick<Extract<WsControlFrame, { msg: "join_error" }>, "msg" | "status" | "detail" | "retry_after">
  /** The connection carrying the event went away before its end. */
  | { readonly msg: "connection_lost"; readonly message: string };

/** One event to send. */
export interface JoinRequest {
  readonly fnIndex: number;
  /** One wire value per dependency input (State inputs as null). */
  readonly data: readonly unknown[];
  /** Endpoint name, used by transports that call `/run/{name}`. */
  readonly apiName: string | null;
  /** Component that fired the event. */
  readonly triggerId: number | null;
}

/** A sent event. */
export interface EventHandle {
  /** Asks the server to stop the event; its terminal message still arrives. */
  cancel(): void;
}

/** A way to reach the queue. */
export interface Transport {
  /** "sse", "websocket" or "direct", for the status line and tests. */
  readonly kind: string;
  /** Sends an event; every message about it goes to `onMessage`, in order. */
  join(request: JoinRequest, onMessage: (message: EventMessage) => void): EventHandle;
  /** Closes the connection (page unload). Pending events get `connection_lost`. */
  close(): void;
}

/** True for the messages that end an event. */
export function isTerminal(message: EventMessage): boolean {
  return message.msg === "process_completed" || message.msg === "join_error" || message.msg === "connection_lost";
}

/** A session hash like Gradio's: 11 base-36 characters, from the browser's CSPRNG. */
export function newSessionHash(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(11));
  return Array.from(bytes, (b) => (b % 36).toString(36)).join("");
}
