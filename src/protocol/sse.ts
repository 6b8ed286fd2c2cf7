/**
 * Server-sent event framing. Gradio's streams put one compact JSON object per `data:` line; the
 * /call API uses named events. JSON never contains a raw newline, so one `data:` line is enough.
 */
import type { WireMessage } from "./messages.ts";

/**
 * Every event of a `/call/{api_name}/{event_id}` stream: the named SSE event and its `data`.
 * Chunks and results are the output values; an error's data is its message (null: the client's
 * generic error).
 */
export type CallEvent =
  | { readonly event: "generating"; readonly data: unknown }
  | { readonly event: "complete"; readonly data: unknown }
  | { readonly event: "error"; readonly data: string | null }
  | { readonly event: "heartbeat"; readonly data: null };

/** The `data` of the /call stream's event `E`. */
export type CallEventData<E extends CallEvent["event"]> = Extract<CallEvent, { event: E }>["data"];

/** `data: <json>\n\n` */
export function sseData(message: WireMessage): string {
  return `data: ${JSON.stringify(message)}\n\n`;
}

/** `event: <name>\ndata: <json>\n\n` (the /call API). */
export function sseEvent<E extends CallEvent["event"]>(name: E, data: CallEventData<E>): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Response headers of every event stream; `X-Accel-Buffering: no` keeps nginx from buffering it. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};
