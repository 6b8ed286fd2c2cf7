import type { FastifyInstance } from "fastify";
import { SSE_HEADERS } from "../../protocol/index.ts";
import { DEV_RELOAD_PATH, type ServerContext } from "../ServerContext.ts";

/**
 * How soon a browser's EventSource tries again after the stream drops (the SSE `retry` field): a
 * restart takes about a second, and the page should follow it at once.
 */
const RECONNECT_MS = 300;

/**
 * `GET /gradio_api/dev/reload`, served only under `usher --reload` (`ctx.devReload`): an event
 * stream whose one message is this process's `app_id`, and which stays open for as long as the
 * process serves. The reload supervisor replaces the process on every change, which drops the
 * stream; the page (ui/src/runtime/reloadOnRestart.ts) connects again and reloads itself once the
 * id it reads is not the one its config had. Public under `auth`: a restart forgets every login,
 * and the page must still learn that it should reload (to the login form); the id tells nothing.
 */
export function devReloadRoute(server: FastifyInstance, ctx: ServerContext): void {
  server.get(DEV_RELOAD_PATH, (_req, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, SSE_HEADERS);
    // Closing the server cuts this stream with every other connection (forceCloseConnections).
    reply.raw.write(`retry: ${RECONNECT_MS}\ndata: ${ctx.appId}\n\n`);
  });
}
