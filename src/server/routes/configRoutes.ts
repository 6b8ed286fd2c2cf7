import type { FastifyInstance, FastifyReply } from "fastify";
import { API_PREFIX, type ServerContext } from "../ServerContext.ts";
import { pageKeyCookie } from "../SessionOwners.ts";
import { QUEUE_WS_PATH } from "../ws/attachWebSockets.ts";

/**
 * `/config`, `/info`, `/app_id`: what clients read before they call anything. `/info` and
 * `/app_id` are served under `/gradio_api` and at the root, where Gradio 3.x clients read them.
 */
export function configRoutes(server: FastifyInstance, ctx: ServerContext): void {
  const config = async (req: Parameters<ServerContext["rootOf"]>[0], reply: FastifyReply) => {
    // Clients read the config before they join: a browser gets its client key here (see SessionOwners).
    const cookie = pageKeyCookie(req.headers.cookie, ctx.rootOf(req).startsWith("https:"));
    if (cookie !== null) void reply.header("set-cookie", cookie);
    return withSocketFields(
      ctx.app.config({
        rootUrl: ctx.rootOf(req),
        queueEnabled: ctx.queueEnabled,
        showError: ctx.options.showError,
        maxFileSize: ctx.options.maxFileSize,
        appId: ctx.appId,
        apiPrefix: API_PREFIX,
        devMode: ctx.devReload === true,
      }),
      ctx.queueEnabled,
    );
  };
  server.get("/config", config);
  server.get("/config/", config);

  // The API description depends only on the app, so it is built once per variant.
  const infoCache = new Map<boolean, Record<string, unknown>>();
  const info = async (req: { query: unknown }) => {
    const all = (req.query as Record<string, unknown>)["all_endpoints"] === "true";
    let cached = infoCache.get(all);
    if (cached === undefined) {
      cached = ctx.app.apiInfo({ allEndpoints: all, queueEnabled: ctx.queueEnabled });
      infoCache.set(all, cached);
    }
    return cached;
  };
  const appId = async () => ({ app_id: ctx.appId });
  for (const prefix of [API_PREFIX, ""]) {
    server.get(`${prefix}/info`, info);
    server.get(`${prefix}/app_id`, appId);
  }
}

/**
 * The config fields of the queue sockets: `queue_ws` (where the page finds the multiplexed socket,
 * when the queue is on) and each dependency's `types.continuous`, which Gradio 3.x clients read
 * before calling (Usher has no `every=` events, so it is always false).
 */
function withSocketFields(config: Record<string, unknown>, queueEnabled: boolean): Record<string, unknown> {
  const deps = config["dependencies"];
  return {
    ...config,
    queue_ws: queueEnabled ? QUEUE_WS_PATH : null,
    dependencies: Array.isArray(deps)
      ? deps.map((d: Record<string, unknown>) => ({
          ...d,
          types: { continuous: false, ...(d["types"] as object | undefined) },
        }))
      : deps,
  };
}
