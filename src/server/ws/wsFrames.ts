import type { FastifyBaseLogger } from "fastify";
import type { RawData } from "ws";
import { UsherError } from "../../errors.ts";

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
