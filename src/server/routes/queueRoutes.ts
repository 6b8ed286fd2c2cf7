import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { every, systemClock } from "../../clock.ts";
import { UsherError } from "../../errors.ts";
import { queueStatus, sessionNotFound } from "../../protocol/index.ts";
import { legacyEstimation } from "../../protocol/index.ts";
import { SSE_HEADERS, sseData } from "../../protocol/index.ts";
import { joinQueue } from "../joinQueue.ts";
import { API_PREFIX, type ServerContext } from "../ServerContext.ts";
import { admitReader, checkSession, issuerFor, requestClaim } from "../sessionAccess.ts";
import { SseV3Sink } from "../Sink.ts";

/** The sse_v3 queue: join, the session stream, cancel, status, heartbeat. */
export function queueRoutes(server: FastifyInstance, ctx: ServerContext): void {
  const P = API_PREFIX;

  server.post(`${P}/queue/join`, async (req, reply) =>
    joinQueue(
      ctx,
      req.body,
      ctx.rootOf(req),
      req.headers,
      requestClaim(ctx, req.raw),
      issuerFor(ctx, req.raw, (c) => void reply.header("set-cookie", c)),
    ),
  );

  server.get(`${P}/queue/data`, async (req, reply) => streamSession(ctx, req, reply));

  server.post(`${P}/cancel`, async (req) => {
    const b = req.body as Record<string, unknown> | null;
    const eventId = typeof b?.["event_id"] === "string" ? b["event_id"] : undefined;
    const sessionHash = typeof b?.["session_hash"] === "string" ? b["session_hash"] : undefined;
    if (eventId === undefined || sessionHash === undefined) {
      throw new UsherError("BAD_REQUEST", "`event_id` and `session_hash` are required.");
    }
    // Only the session's owner may cancel its events (403), and only events of that session (404).
    await checkSession(ctx, sessionHash, requestClaim(ctx, req.raw));
    if (!(await ctx.hub.owns(sessionHash, eventId)) || !(await ctx.engine.cancel(eventId, "user"))) {
      throw new UsherError("UNKNOWN_EVENT", "No such event waiting or running in this session.");
    }
    return { success: true };
  });

  // Gradio 6 made /reset a no-op (cancel does the work); the client still calls it after cancel.
  // Gradio 3.x clients post it at the root after closing an event's socket, which already
  // cancelled the event.
  // Either way it names a session, which must be the caller's.
  const reset = async (req: { body: unknown; raw: Parameters<typeof requestClaim>[1] }) => {
    const b = req.body;
    const sessionHash =
      typeof b === "object" && b !== null ? (b as Record<string, unknown>)["session_hash"] : undefined;
    if (typeof sessionHash === "string" && sessionHash !== "")
      await checkSession(ctx, sessionHash, requestClaim(ctx, req.raw));
    return { success: true };
  };
  server.post(`${P}/reset`, reset);
  server.post("/reset", reset);

  server.get(`${P}/queue/status`, async () => queueStatus(await ctx.engine.size()));
  // Gradio 3.x's form: every estimation field, no rank (no event asked). Usher keeps averages per
  // function, not 3.x's one global average, so those fields carry 3.x's "nothing measured" values.
  server.get("/queue/status", async () =>
    legacyEstimation(null, await ctx.engine.size(), null, { averageMs: null, slots: 1 }),
  );

  server.get(`${P}/heartbeat/:session`, async (req, reply) => {
    const session = (req.params as { session: string }).session;
    // Its close may free the session's State: only the session's owner may hold one.
    await checkSession(ctx, session, requestClaim(ctx, req.raw));
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    ctx.sessionOpened?.(session);
    // A reader that does not read gets no more beats than fit in the socket's buffer.
    const beats = every(ctx.clock ?? systemClock, ctx.options.heartbeatMs, () => {
      if (!res.writableNeedDrain) res.write("data: ALIVE\n\n");
    });
    res.once("close", () => {
      beats.stop();
      ctx.heartbeatClosed(session);
    });
  });
}

/** `GET /queue/data`: the session's SSE stream, for its owner, once (a second reader is refused). */
async function streamSession(ctx: ServerContext, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const q = req.query as Record<string, unknown>;
  const sessionHash = typeof q["session_hash"] === "string" ? q["session_hash"] : "";
  // Another user's or client's session: 403; a second reader of a live stream: 409 (see admitReader).
  const standing = sessionHash === "" ? "weak" : await admitReader(ctx, sessionHash, requestClaim(ctx, req.raw));
  // Unknown here, a session may live on another front of a shared queue (adopt says 503 if its store is down).
  const known = sessionHash !== "" && (ctx.hub.knows(sessionHash) || (await ctx.hub.adopt(sessionHash)));
  // A reader that attached while this one waited for the store keeps its stream too.
  if (known && standing === "weak" && ctx.owners != null && ctx.hub.hasReader(sessionHash)) {
    throw new UsherError("SESSION_BUSY", "This session already has an open stream; a second reader is refused.");
  }
  reply.hijack();
  if (!known) {
    // Gradio answers an unknown session inside a 200 stream, and the client expects that shape.
    reply.raw.writeHead(200, SSE_HEADERS);
    reply.raw.end(sseData(sessionNotFound()));
    return;
  }
  ctx.hub.attach(sessionHash, new SseV3Sink(reply.raw, ctx.budget ?? null, ctx.clock));
}
