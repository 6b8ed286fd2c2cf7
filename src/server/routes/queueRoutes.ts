import type { FastifyInstance } from "fastify";
import { UsherError } from "../../errors.ts";
import { sessionNotFound } from "../../protocol/messages.ts";
import { SSE_HEADERS, sseData } from "../../protocol/sse.ts";
import { newEventId, parsePredictBody } from "../predictBody.ts";
import { API_PREFIX, findFunction, type ServerContext } from "../ServerContext.ts";
import { SseV3Sink } from "../Sink.ts";

/** The sse_v3 queue: join, the session stream, cancel, status, heartbeat. */
export function queueRoutes(server: FastifyInstance, ctx: ServerContext): void {
  const P = API_PREFIX;

  server.post(`${P}/queue/join`, async (req) => {
    const body = parsePredictBody(req.body);
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
      await ctx.engine.join({
        fnId: fn.id,
        sessionHash: body.sessionHash,
        data: body.data,
        eventId,
        rootUrl: ctx.rootOf(req),
      });
    } catch (err) {
      ctx.hub.forget(body.sessionHash, eventId);
      throw err;
    }
    return { event_id: eventId };
  });

  server.get(`${P}/queue/data`, (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const sessionHash = typeof q["session_hash"] === "string" ? q["session_hash"] : "";
    reply.hijack();
    if (sessionHash === "" || !ctx.hub.knows(sessionHash)) {
      // Gradio answers an unknown session inside a 200 stream, and the client expects that shape.
      reply.raw.writeHead(200, SSE_HEADERS);
      reply.raw.end(sseData(sessionNotFound()));
      return;
    }
    ctx.hub.attach(sessionHash, new SseV3Sink(reply.raw));
  });

  server.post(`${P}/cancel`, async (req) => {
    const b = req.body as Record<string, unknown> | null;
    const eventId = typeof b?.["event_id"] === "string" ? b["event_id"] : undefined;
    const sessionHash = typeof b?.["session_hash"] === "string" ? b["session_hash"] : undefined;
    if (eventId === undefined || sessionHash === undefined) {
      throw new UsherError("BAD_REQUEST", "`event_id` and `session_hash` are required.");
    }
    // Only the session that owns an event may cancel it.
    if (!ctx.hub.has(sessionHash, eventId) || !(await ctx.engine.cancel(eventId, "user"))) {
      throw new UsherError("UNKNOWN_EVENT", "No such event waiting or running in this session.");
    }
    return { success: true };
  });

  // Gradio 6 made /reset a no-op (cancel does the work); the client still calls it after cancel.
  server.post(`${P}/reset`, async () => ({ success: true }));

  server.get(`${P}/queue/status`, async () => ({
    msg: "estimation",
    event_id: null,
    rank: null,
    queue_size: await ctx.engine.size(),
    rank_eta: null,
  }));

  server.get(`${P}/heartbeat/:session`, (req, reply) => {
    const session = (req.params as { session: string }).session;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    const timer = setInterval(() => res.write("data: ALIVE\n\n"), ctx.options.heartbeatMs);
    timer.unref();
    res.once("close", () => {
      clearInterval(timer);
      ctx.heartbeatClosed(session);
    });
  });
}
