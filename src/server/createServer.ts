import cors from "@fastify/cors";
import multipart from "@fastify/multipart";
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from "fastify";
import { destination } from "pino";
import { ERROR_CODES, UsherError } from "../errors.ts";
import { routeWarnings } from "../warnings.ts";
import { authRoutes } from "./auth/authRoutes.ts";
import { clientErrorHandler } from "./clientErrorHandler.ts";
import { FastLane } from "./FastLane.ts";
import { metricsRoute } from "./metrics.ts";
import { logFunctionErrors } from "./logFunctionErrors.ts";
import { noteRefusal } from "./noteRefusal.ts";
import { invalidJsonMessage, parseJson } from "./parseJson.ts";
import { REFUSAL_WINDOW_MS, RefusalLog } from "./RefusalLog.ts";
import { replyError } from "./replyError.ts";
import { configRoutes } from "./routes/configRoutes.ts";
import { devReloadRoute } from "./routes/devReloadRoute.ts";
import { directRoutes } from "./routes/directRoutes.ts";
import { fileRoutes } from "./routes/fileRoutes.ts";
import { pageRoutes } from "./routes/pageRoutes.ts";
import { queueRoutes } from "./routes/queueRoutes.ts";
import type { ServerContext } from "./ServerContext.ts";
import { attachWebSockets } from "./ws/attachWebSockets.ts";

/** Builds the HTTP server with every route; the caller listens. */
export async function createServer(ctx: ServerContext): Promise<FastifyInstance> {
  const { options } = ctx;
  // The hot pair join/data on bare node:http (FastLane.ts). Off when a hook below would change
  // those requests: login (auth) and CORS. A new onRequest hook that must see them must turn it off too.
  const lane = new FastLane(ctx, options.maxBodyBytes, !ctx.auth && options.allowedOrigins.length === 0);
  const server = Fastify({
    serverFactory: (handler, opts) => lane.createServer(handler, opts),
    logger: loggerOptions(options.logLevel),
    // A log line per request would cost more than the request itself on the hot path.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.maxBodyBytes,
    // Whose X-Forwarded-For/-Proto to believe (req.ip, req.protocol): see launch({ trustProxy }).
    trustProxy: options.trustProxy === false ? false : [...options.trustProxy],
    forceCloseConnections: true,
    // Long-lived streams must not be cut by Node's request timeout.
    requestTimeout: 0,
    keepAliveTimeout: 65_000,
    // URLs the router cannot decode or with an over-long part get the same JSON `{detail}` 4xx.
    frameworkErrors: (err, req, reply) => replyError(err, req, reply),
    clientErrorHandler,
  });

  addJsonParser(server);

  const refusals = options.logLevel === false ? null : new RefusalLog(server.log, REFUSAL_WINDOW_MS, ctx.clock);
  server.addHook("onClose", async () => refusals?.close());
  server.setErrorHandler((err, req, reply) => {
    replyError(err, req, reply);
    noteRefusal(ctx.metrics ?? null, refusals, err, reply.statusCode);
  });
  ctx.refused = (code) => noteRefusal(ctx.metrics ?? null, refusals, new UsherError(code), ERROR_CODES[code].status);
  lane.onError = (err, status) => {
    if (status === 500 && !(err instanceof UsherError)) server.log.error({ err }, "unhandled error in route");
    noteRefusal(ctx.metrics ?? null, refusals, err, status);
  };
  // Fastify answers 503 to requests that arrive while it closes: the lane leaves those to it.
  server.addHook("preClose", async () => {
    lane.enabled = false;
  });
  if (options.logLevel !== false) {
    logFunctionErrors(ctx.engine, server.log);
    // The engine's, the runtime's and the store's warnings become lines of this log, not plain text.
    const unroute = routeWarnings((type, message) => server.log.warn({ type }, message));
    server.addHook("onClose", async () => unroute());
  }
  ctx.metrics?.watch(server.server);
  server.setNotFoundHandler((_req, reply) => {
    void reply.code(404).send({ detail: "Not Found" });
  });

  if (options.allowedOrigins.length > 0) await registerCors(server, new Set(options.allowedOrigins));

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

  // After the CORS hook (a preflight is answered before any login check) and multipart (the JS
  // client logs in with FormData), before every route: routes declared later get the login hook.
  if (ctx.auth) authRoutes(server, ctx, ctx.auth);
  if (ctx.metrics) metricsRoute(server, ctx.metrics);

  configRoutes(server, ctx);
  if (ctx.devReload === true) devReloadRoute(server, ctx);
  queueRoutes(server, ctx);
  directRoutes(server, ctx);
  await fileRoutes(server, ctx);
  await pageRoutes(server, ctx);
  attachWebSockets(server, ctx);
  return server;
}

/**
 * JSON bodies as the fast lane and the sockets parse them (parseJson.ts): `__proto__` keys are
 * dropped rather than the body refused, and a refusal quotes the parser's reason.
 */
function addJsonParser(server: FastifyInstance): void {
  server.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    if (body === "") {
      done(new UsherError("BAD_REQUEST", "Body is empty; send a JSON object."), undefined);
      return;
    }
    try {
      done(null, parseJson(body as string));
    } catch (err) {
      done(new UsherError("BAD_REQUEST", invalidJsonMessage(err)), undefined);
    }
  });
}

/**
 * CORS for the allowed origins only: their requests get the allow headers (credentials included:
 * the login cookie), their preflights a 204 before any login check; any other origin gets no
 * CORS header at all, and its preflight the 404 of a route that does not exist.
 */
async function registerCors(server: FastifyInstance, allowed: ReadonlySet<string>): Promise<void> {
  await server.register(cors, {
    origin: (origin, cb) => cb(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ["GET", "POST", "OPTIONS"],
    // Any OPTIONS from an allowed origin is answered, as a preflight without
    // Access-Control-Request-Method would otherwise get the plugin's plain-text 400.
    strictPreflight: false,
  });
}

/**
 * The server's logger, at `level`. Its lines are written at once (a line per start, warning or
 * error: request logging is off): pino's default writes on a thread, and its flush does not wait
 * for that, so a process ending on a signal lost "shutting down" and "stopped" under load.
 */
function loggerOptions(level: ServerContext["options"]["logLevel"]): NonNullable<FastifyServerOptions["logger"]> {
  return level === false ? false : { level, stream: destination({ dest: 1, sync: true }) };
}
