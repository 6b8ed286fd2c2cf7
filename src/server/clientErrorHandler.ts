import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";

/**
 * Answers requests that Node's HTTP parser refuses (garbage bytes, bad header lines, headers too
 * large) with the same JSON `{detail}` shape as every other refusal, then drops the connection.
 * A reset connection has no one left to answer.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const [status, detail] =
    err.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? [408, "Request timed out."]
      : err.code === "HPE_HEADER_OVERFLOW"
        ? [431, "Request headers are too large."]
        : [400, "Malformed HTTP request."];
  const body = JSON.stringify({ detail });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\nconnection: close\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
