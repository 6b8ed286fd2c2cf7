import type { FastifyBaseLogger } from "fastify";
import type { RawData } from "ws";
import { errorAnswer, isUsherError, type ErrorAnswer } from "../../errors.ts";
import {
  legacyError,
  PROCESS_STARTS,
  QUEUE_FULL,
  SEND_DATA,
  SEND_HASH,
  type LegacyMessage,
} from "../../protocol/index.ts";
import { parseJson } from "../parseJson.ts";
import type { WsChannel } from "./WsChannel.ts";

/**
 * The answer of an error on a socket ({@link errorAnswer}, as the HTTP doors answer it: a full
 * queue is 503 with the same detail as `POST /queue/join`), logging an unexpected one.
 */
export function errorReply(err: unknown, log: FastifyBaseLogger): ErrorAnswer {
  const answer = errorAnswer(err);
  if (answer.unexpected) log.error({ err }, "unhandled error on a queue socket");
  return answer;
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

/** The text of the 3.x messages that never change, written once. */
const LEGACY_CONSTANT_TEXTS = new Map<LegacyMessage, string>(
  [SEND_HASH, SEND_DATA, QUEUE_FULL, PROCESS_STARTS].map((m) => [m, JSON.stringify(m)]),
);

/** `JSON.stringify(message)` of a Gradio 3.x message; the constant ones (three per prediction) are not serialized again. */
export function legacyText(message: LegacyMessage): string {
  return LEGACY_CONSTANT_TEXTS.get(message) ?? JSON.stringify(message);
}

/**
 * The 3.x message of a join the queue refused: `queue_full` for a full queue (3.x's own, whose
 * client shows its "too busy" text), else a failed `process_completed` whose `error` is the
 * detail: 3.x has no message of its own for a client or wait limit, and its client shows that
 * `error` as is ("Busy: about 3 min to wait, …").
 */
export function legacyRefusalText(err: unknown, log: FastifyBaseLogger): string {
  if (isUsherError(err, "QUEUE_FULL")) return legacyText(QUEUE_FULL);
  return JSON.stringify(legacyError(errorReply(err, log).text));
}
