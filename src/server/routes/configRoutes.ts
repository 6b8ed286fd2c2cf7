import type { FastifyInstance } from "fastify";
import { API_PREFIX, type ServerContext } from "../ServerContext.ts";

/** `/config`, `/info`, `/app_id`: what clients read before they call anything. */
export function configRoutes(server: FastifyInstance, ctx: ServerContext): void {
  const config = async (req: Parameters<ServerContext["rootOf"]>[0]) =>
    ctx.app.config({
      rootUrl: ctx.rootOf(req),
      queueEnabled: ctx.queueEnabled,
      showError: ctx.options.showError,
      maxFileSize: ctx.options.maxFileSize,
      appId: ctx.appId,
      apiPrefix: API_PREFIX,
    });
  server.get("/config", config);
  server.get("/config/", config);

  // The API description depends only on the app, so it is built once per variant.
  const infoCache = new Map<boolean, Record<string, unknown>>();
  server.get(`${API_PREFIX}/info`, async (req) => {
    const all = (req.query as Record<string, unknown>)["all_endpoints"] === "true";
    let info = infoCache.get(all);
    if (info === undefined) {
      info = ctx.app.apiInfo({ allEndpoints: all, queueEnabled: ctx.queueEnabled });
      infoCache.set(all, info);
    }
    return info;
  });

  server.get(`${API_PREFIX}/app_id`, async () => ({ app_id: ctx.appId }));
}
