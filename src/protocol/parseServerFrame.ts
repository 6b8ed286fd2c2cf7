import type { WsServerFrame } from "./socketFrames.ts";

/**
 * Reads a frame the server sent: a message of the sse_v3 stream (`/queue/data`) or of the
 * multiplexed queue socket, which sends the same messages plus its control frames. Null for text
 * that is not a JSON object with a string `msg`. Only that envelope is checked: the server is
 * trusted to send the union it declares, and readers switch on `msg`, so a message they do not
 * know (a newer server's) falls through to their default and is ignored.
 */
export function parseServerFrame(text: string): WsServerFrame | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || typeof (value as { msg?: unknown }).msg !== "string") return null;
  return value as WsServerFrame;
}
