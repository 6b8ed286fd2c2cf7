import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { errorAnswer, UsherError } from "../errors.ts";

/**
 * Turns any error thrown in a route into a JSON `{ detail }` response: UsherErrors by their code
 * (see errorAnswer, shared with every other door), Fastify's own (bad JSON, body too large, wrong
 * content type) by their status, anything else a logged 500 that says nothing about internals.
 */
export function replyError(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy();
    return;
  }
  if (!(err instanceof UsherError)) {
    // Fastify's own request errors keep their status, with a message of ours.
    const fe = err as Partial<FastifyError> & { message?: string; headers?: unknown };
    const status = typeof fe.statusCode === "number" ? fe.statusCode : 500;
    if (status >= 400 && status < 500) {
      // An HTTP error's own headers belong to its answer: the Content-Range of a 416 from send.
      if (typeof fe.headers === "object" && fe.headers !== null) void reply.headers(fe.headers);
      void reply.code(status).send({ detail: publicMessage(fe) });
      return;
    }
  }
  const answer = errorAnswer(err);
  if (answer.unexpected) req.log.error({ err }, "unhandled error in route");
  if (answer.retryAfterS !== undefined) void reply.header("retry-after", String(answer.retryAfterS));
  void reply.code(answer.status).send({ detail: answer.detail });
}

function publicMessage(fe: Partial<FastifyError>): string {
  switch (fe.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case undefined:
      if (fe.name === "SyntaxError" || fe.code === "FST_ERR_CTP_INVALID_JSON_BODY") return "Body is not valid JSON.";
      return fe.message ?? "Bad request.";
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "Request body is too large.";
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "Unsupported content type: send application/json.";
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return "Body is empty; send a JSON object.";
    case "FST_ERR_BAD_URL":
      return "The URL is not valid (bad percent-encoding).";
    case "FST_ERR_MAX_PARAM_LENGTH":
      return "A part of the URL is too long.";
    default:
      return fe.message ?? "Bad request.";
  }
}
