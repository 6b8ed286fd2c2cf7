import type { FastifyBaseLogger } from "fastify";
import type { RawData } from "ws";
import { UsherError } from "../../errors.ts";
import { parseJson } from "../parseJson.ts";
import type { WsChannel } from "./WsChannel.ts";

/** Status and detail of a refused request on a socket, as the HTTP doors would answer it. */
export interface ErrorReply {
  readonly status: number;
  readonly detail: unknown;
  /** Seconds until a retry may succeed (queue full). */
  readonly retryAfterS?: number | undefined;
}

/**
 * The HTTP answer of an error, for a socket frame: an UsherError keeps its status and detail (a
 * full queue is 503 with the same detail as `POST /queue/join`); anything else is logged and
 * reported as a 500 that says nothing about internals.
 */
export function errorReply(err: unknown, log: FastifyBaseLogger): ErrorReply {
  if (err instanceof UsherError) return { status: err.status, detail: err.detail, retryAfterS: err.retryAfterS };
  log.error({ err }, "unhandled error on a queue socket");
  return { status: 500, detail: "Internal error." };
}

/** The text of a (non-binary) frame. */
export function frameText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}

/**
 * Decodes a client frame as JSON, counting it as a sign of life. A binary frame closes the socket
 * with 1003 and invalid JSON with 1007; both then give undefined.
 */
export function readJsonFrame(channel: WsChannel, data: RawData, isBinary: boolean): { value: unknown } | undefined {
  channel.alive = true;
  if (isBinary) {
    channel.close(1003, "Binary frames are not supported: send JSON text.");
    return undefined;
  }
  try {
    return { value: parseJson(frameText(data)) };
  } catch {
    channel.close(1007, "Frame is not valid JSON.");
    return undefined;
  }
}
