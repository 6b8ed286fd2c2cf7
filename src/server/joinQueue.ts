import type { IncomingHttpHeaders } from "node:http";
import type { AppFunction } from "../app/index.ts";
import { UsherError } from "../errors.ts";
import { admit, enqueue } from "./admission.ts";
import { newEventId, parsePredictBody } from "./predictBody.ts";
import type { ServerContext } from "./ServerContext.ts";
import type { SessionClaim } from "./SessionOwners.ts";

/**
 * POST {prefix}/queue/join's work once the body is parsed: checks its shape, admits the event
 * (see admission.ts, shared with every door) and returns the response body. Shared by the Fastify
 * route and the raw-http fast lane (see FastLane.ts), so both give the same answers and the same
 * errors (thrown as UsherError). Answers (or throws) in the call when the admission and the engine
 * do (see QueueEngine.admit), else returns a promise.
 *
 * The join binds its session to `claim` (see SessionOwners) on the session's first join, with a
 * client key from `issue` when the request carried none; a join of a session that belongs to
 * someone else is refused (SESSION_FORBIDDEN) before anything is admitted. The event joins the
 * queue with the claim's client key and the request's priority (see engineJoin, which shows the
 * app's callbacks `headers`).
 */
export function joinQueue(
  ctx: ServerContext,
  rawBody: unknown,
  rootUrl: string,
  headers: IncomingHttpHeaders,
  claim: SessionClaim | null = null,
  issue: (() => string) | null = null,
): JoinReply | Promise<JoinReply> {
  const body = parsePredictBody(rawBody);
  const sessionHash = body.sessionHash;
  if (sessionHash === undefined) throw new UsherError("SESSION_MISSING");
  const fn = admit(ctx, "join", body.fnIndex, undefined, body.data, sessionHash, claim, issue);
  // Known here (every join after a session's first on this process): judged in the call.
  if (fn instanceof Promise) return fn.then((f) => join(ctx, f, sessionHash, body.data, rootUrl, headers, claim));
  return join(ctx, fn, sessionHash, body.data, rootUrl, headers, claim);
}

function join(
  ctx: ServerContext,
  fn: AppFunction,
  sessionHash: string,
  data: unknown[],
  rootUrl: string,
  headers: IncomingHttpHeaders,
  claim: SessionClaim | null,
): JoinReply | Promise<JoinReply> {
  const reply: JoinReply = { event_id: newEventId() };
  const admitted = enqueue(ctx, "join", claim, headers, fn.id, sessionHash, data, reply.event_id, rootUrl);
  return admitted instanceof Promise ? admitted.then(() => reply) : reply;
}

/** The body of a join's answer. */
export interface JoinReply {
  readonly event_id: string;
}
