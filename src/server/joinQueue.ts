import { UsherError } from "../errors.ts";
import { newEventId, parsePredictBody } from "./predictBody.ts";
import { findFunction, type ServerContext } from "./ServerContext.ts";

/**
 * POST {prefix}/queue/join's work once the body is parsed: checks it, admits the event and returns
 * the response body. Shared by the Fastify route and the raw-http fast lane (see FastLane.ts), so
 * both give the same answers and the same errors (thrown as UsherError).
 */
export async function joinQueue(ctx: ServerContext, rawBody: unknown, rootUrl: string): Promise<{ event_id: string }> {
  const body = parsePredictBody(rawBody);
  if (body.sessionHash === undefined) throw new UsherError("SESSION_MISSING");
  const fn = findFunction(ctx.app, body.fnIndex, undefined);
  if (fn === undefined) {
    throw new UsherError(
      "UNKNOWN_FUNCTION",
      body.fnIndex === undefined ? "No function index provided." : `No function with fn_index ${body.fnIndex}.`,
    );
  }
  fn.validate(body.data);
  const eventId = newEventId();
  ctx.hub.expect(body.sessionHash, eventId);
  try {
    await ctx.engine.join({ fnId: fn.id, sessionHash: body.sessionHash, data: body.data, eventId, rootUrl });
  } catch (err) {
    ctx.hub.forget(body.sessionHash, eventId);
    throw err;
  }
  return { event_id: eventId };
}
