import type { FastifyInstance, FastifyRequest } from "fastify";
import { UsherError } from "../../errors.ts";
import { logFunctionFailure } from "../logFunctionErrors.ts";
import { newEventId, parsePredictBody } from "../predictBody.ts";
import { admit, enqueue } from "../admission.ts";
import { API_PREFIX, type ServerContext } from "../ServerContext.ts";
import { admitReader, requestClaim } from "../sessionAccess.ts";
import { CallSink } from "../Sink.ts";

/** How long a /call result waits for its GET before the event is dropped: long enough to type a second curl. */
const CALL_READ_GRACE_MS = 60_000;

/**
 * `/run/{name}` and `/api/{name}` (direct POST, bounded by maxThreads; also at the root, where
 * Gradio 3.x clients post) and the `/call` API.
 */
export function directRoutes(server: FastifyInstance, ctx: ServerContext): void {
  const P = API_PREFIX;

  // The no-queue path (runDirect, bounded by maxThreads): nothing waits, so no queue policy applies
  // here (client key, priority, maxPerClient, maxWaitMs); `apiOpen: false` closes it to queued
  // functions, as in Gradio.
  const run = async (req: FastifyRequest) => {
    const name = (req.params as { name: string }).name;
    const body = parsePredictBody(req.body);
    // A session hash in the body reaches that session's State: it must be the caller's.
    const claim = body.sessionHash === undefined ? null : requestClaim(ctx, req.raw);
    const fn = await admit(ctx, "run", body.fnIndex, name, body.data, body.sessionHash, claim, null);
    const result = await ctx.engine.runDirect(fn.id, body.data, {
      sessionHash: body.sessionHash ?? newEventId(),
      rootUrl: ctx.rootOf(req),
      meta: {},
    });
    return {
      data: result.output,
      is_generating: false,
      duration: result.durationMs / 1000,
      average_duration: result.averageDurationMs === null ? null : result.averageDurationMs / 1000,
      render_config: null,
      changed_state_ids: [],
    };
  };
  for (const prefix of [P, ""]) {
    for (const path of [`${prefix}/run/:name`, `${prefix}/run/:name/`, `${prefix}/api/:name`, `${prefix}/api/:name/`]) {
      server.post(path, { errorHandler: runErrorHandler }, run);
    }
  }

  server.post(`${P}/call/:name`, async (req) => {
    const name = (req.params as { name: string }).name;
    const body = parsePredictBody(req.body);
    // The event's session is its own (below), not one named in the body: nothing to bind yet.
    const fn = admit(ctx, "call", undefined, name, body.data, undefined, null, null);
    const eventId = newEventId();
    // Each /call event is its own session: its stream is per event, and a session hash in the body
    // must not tie it to another reader.
    const session = `call:${eventId}`;
    // The event id is the capability (128 bits, known only to this caller); a signed-in user or a
    // browser's client key binds it further, so that no one else reads or cancels it.
    const claim = requestClaim(ctx, req.raw);
    if (claim.user !== null || claim.key !== null) await ctx.owners?.bind(session, claim, null, true);
    const graceMs = Math.max(ctx.options.sessionGraceMs, CALL_READ_GRACE_MS);
    await enqueue(ctx, "call", claim, req.headers, fn.id, session, body.data, eventId, ctx.rootOf(req), graceMs);
    return { event_id: eventId };
  });

  server.get(`${P}/call/:name/:eventId`, async (req, reply) => {
    const { eventId } = req.params as { name: string; eventId: string };
    const session = `call:${eventId}`;
    // Another user's event: 403; a second reader while the first reads it: 409.
    const standing = await admitReader(ctx, session, requestClaim(ctx, req.raw));
    // The POST may have landed on another front of a shared queue.
    if (!ctx.hub.knows(session) && !(await ctx.hub.adopt(session)))
      throw new UsherError("UNKNOWN_EVENT", "No such event, or its result was already read.");
    if (standing === "weak" && ctx.owners != null && ctx.hub.hasReader(session)) {
      throw new UsherError("SESSION_BUSY", "This event's result is being read by another request.");
    }
    reply.hijack();
    ctx.hub.attach(session, new CallSink(reply.raw, ctx.budget ?? null, ctx.clock));
  });
}

/** Gradio's /run answers a failed function with `500 {"error": …}`; request errors keep `{detail}`. */
function runErrorHandler(
  this: FastifyInstance,
  err: unknown,
  req: FastifyRequest,
  reply: import("fastify").FastifyReply,
): void {
  if (err instanceof UsherError && err.status >= 500 && err.code !== "QUEUE_FULL" && err.code !== "QUEUE_STOPPED") {
    // The function failed (no engine event tells the log, as for queued calls): the error it threw
    // is the cause of the shown one, or the shown one itself (an AppError, a timeout).
    logFunctionFailure(
      req.log,
      { fn: (req.params as { name?: string }).name },
      err.code,
      err.message,
      err.cause ?? err,
    );
    const visible = err.visible ?? true;
    void reply.code(500).send({
      error: err.code === "FUNCTION_ERROR" && err.message === "" ? null : err.message,
      duration: err.durationMs === undefined || err.durationMs === null ? null : err.durationMs / 1000,
      visible,
      title: err.title ?? "Error",
      detail: err.message,
    });
    return;
  }
  throw err;
}
