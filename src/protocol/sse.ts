/**
 * Server-sent event framing. Gradio's streams put one compact JSON object per `data:` line; the
 * /call API uses named events. JSON never contains a raw newline, so one `data:` line is enough.
 */

/** `data: <json>\n\n` */
export function sseData(message: unknown): string {
  return `data: ${JSON.stringify(message)}\n\n`;
}

/** `event: <name>\ndata: <json>\n\n` (the /call API). */
export function sseEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Response headers of every event stream; `X-Accel-Buffering: no` keeps nginx from buffering it. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};
