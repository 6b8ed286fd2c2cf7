import multipart from "@fastify/multipart";
import Fastify, { LogController, type FastifyInstance } from "fastify";
import { UsherError } from "../errors.ts";
import { replyError } from "./replyError.ts";
import { configRoutes } from "./routes/configRoutes.ts";
import { directRoutes } from "./routes/directRoutes.ts";
import { fileRoutes } from "./routes/fileRoutes.ts";
import { pageRoutes } from "./routes/pageRoutes.ts";
import { queueRoutes } from "./routes/queueRoutes.ts";
import type { ServerContext } from "./ServerContext.ts";

/** Builds the HTTP server with every route; the caller listens. */
export async function createServer(ctx: ServerContext): Promise<FastifyInstance> {
  const { options } = ctx;
  const server = Fastify({
    logger: options.logLevel === false ? false : { level: options.logLevel },
    // A log line per request would cost more than the request itself on the hot path.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.maxBodyBytes,
    forceCloseConnections: true,
    // Long-lived streams must not be cut by Node's request timeout.
    requestTimeout: 0,
    keepAliveTimeout: 65_000,
  });

  server.setErrorHandler((err, req, reply) => replyError(err, req, reply));
  server.setNotFoundHandler((_req, reply) => {
    void reply.code(404).send({ detail: "Not Found" });
  });

  if (options.allowedOrigins.length > 0) {
    const allowed = new Set(options.allowedOrigins);
    server.addHook("onRequest", async (req, reply) => {
      const origin = req.headers.origin;
      if (origin === undefined || !allowed.has(origin)) return;
      void reply
        .header("access-control-allow-origin", origin)
        .header("access-control-allow-credentials", "true")
        .header("vary", "Origin");
      if (req.method === "OPTIONS") {
        void reply
          .header("access-control-allow-methods", "GET, POST, OPTIONS")
          .header("access-control-allow-headers", req.headers["access-control-request-headers"] ?? "content-type")
          .code(204)
          .send();
      }
    });
  }

  await server.register(multipart, {
    limits: {
      fileSize: options.maxFileSize ?? Number.MAX_SAFE_INTEGER,
      fieldSize: 1024 * 1024,
      parts: 2000,
    },
    throwFileSizeLimit: true,
  });

  // Route params (names, ids, file paths) longer than this are refused before any handler runs.
  server.addHook("onRequest", async (req) => {
    if (req.url.length > 8192) throw new UsherError("BAD_REQUEST", "URL too long.");
  });

  configRoutes(server, ctx);
  queueRoutes(server, ctx);
  directRoutes(server, ctx);
  fileRoutes(server, ctx);
  pageRoutes(server, ctx);
  return server;
}
