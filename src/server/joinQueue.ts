import { UsherError } from "../errors.ts";
import { newEventId, parsePredictBody } from "./predictBody.ts";
import { findFunction, type ServerContext } from "./ServerContext.ts";
import type { SessionClaim } from "./SessionOwners.ts";

/**
 * POST {prefix}/queue/join's work once the body is parsed: checks it, admits the event and returns
 * the response body. Shared by the Fastify route and the raw-http fast lane (see FastLane.ts), so
 * both give the same answers and the same errors (thrown as UsherError). Answers (or throws) in
 * the call when the engine does (see QueueEngine.admit), else returns a promise.
 *
 * The join binds its session to `claim` (see SessionOwners) on the session's first join, with a
 * client key from `issue` when the request carried none; a join of a session that belongs to
 * someone else is refused (SESSION_FORBIDDEN) before anything is admitted.
 */
export function joinQueue(
  ctx: ServerContext,
  rawBody: unknown,
  rootUrl: string,
  claim: SessionClaim | null = null,
  issue: (() => string) | null = null,
): JoinReply | Promise<JoinReply> {
  const body = parsePredictBody(rawBody);
  const sessionHash = body.sessionHash;
  if (sessionHash === undefined) throw new UsherError("SESSION_MISSING");
  const fn = findFunction(ctx.app, body.fnIndex, undefined);
  if (fn === undefined) {
    throw new UsherError(
      "UNKNOWN_FUNCTION",
      body.fnIndex === undefined ? "No function index provided." : `No function with fn_index ${body.fnIndex}.`,
    );
  }
  fn.validate(body.data);
  const owners = ctx.owners;
  if (owners != null && claim !== null) {
    // Known here (every join after a session's first on this process): judged in the call.
    const bound = owners.bind(sessionHash, claim, issue);
    if (bound instanceof Promise) return bound.then(() => admit(ctx, fn.id, sessionHash, body.data, rootUrl));
  }
  return admit(ctx, fn.id, sessionHash, body.data, rootUrl);
}

function admit(ctx: ServerContext, fnId: number, sessionHash: string, data: unknown[], rootUrl: string): JoinReply | Promise<JoinReply> {
  const eventId = newEventId();
  ctx.hub.expect(sessionHash, eventId);
  const reply: JoinReply = { event_id: eventId };
  let admitted: unknown;
  try {
    admitted = ctx.engine.admit({ fnId, sessionHash, data, eventId, rootUrl });
  } catch (err) {
    ctx.hub.forget(sessionHash, eventId);
    throw err;
  }
  if (!(admitted instanceof Promise)) return reply;
  return admitted.then(
    () => reply,
    (err: unknown) => {
      ctx.hub.forget(sessionHash, eventId);
      throw err;
    },
  );
}

/** The body of a join's answer. */
export interface JoinReply {
  readonly event_id: string;
}
