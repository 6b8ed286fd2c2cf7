import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyInstance } from "fastify";
import { WebSocketServer, type WebSocket } from "ws";
import { systemClock, type TimerHandle } from "../../clock.ts";
import { foreignOrigin } from "../auth/foreignOrigin.ts";
import { isUsherError, UsherError } from "../../errors.ts";
import { newEventId } from "../predictBody.ts";
import { requestRoot } from "../requestRoot.ts";
import { requestClaim } from "../sessionAccess.ts";
import { keyIssuer, type SessionClaim, type Standing } from "../SessionOwners.ts";
import { API_PREFIX, type ServerContext } from "../ServerContext.ts";
import { LegacyQueueSocket } from "./LegacyQueueSocket.ts";
import { QueueSocket } from "./QueueSocket.ts";
import { WsPinger } from "./WsPinger.ts";

/** Path of the multiplexed queue socket. */
export const QUEUE_WS_PATH = `${API_PREFIX}/queue/ws`;
/** Path of Gradio 3.x's per-event queue socket (root level, as 3.x served it). */
export const LEGACY_QUEUE_PATH = "/queue/join";

/** Longest session hash accepted; clients make ~11 characters. */
const MAX_SESSION_HASH = 128;
/** Longest upgrade URL accepted (the HTTP routes refuse longer ones too). */
const MAX_URL = 8192;
/** How long sockets get to finish their close handshake at shutdown before they are cut, ms. */
const CLOSE_HANDSHAKE_MS = 1000;

/**
 * Serves the queue's WebSockets on the HTTP server's `upgrade` event, with `ws` in `noServer`
 * mode: {@link QUEUE_WS_PATH} (one multiplexed socket per tab, {@link QueueSocket}) and
 * {@link LEGACY_QUEUE_PATH} (Gradio 3.x, {@link LegacyQueueSocket}).
 *
 * Why `ws` directly and not @fastify/websocket: an upgrade needs none of Fastify's request
 * lifecycle but a URL check, the login check and a same-origin check, done here before the
 * handshake (a refusal is a plain HTTP status, not a socket that opens and closes); and the plugin
 * keeps a Fastify request, a reply and a duplex stream wrapper alive per socket, which counts at
 * 10 000 idle users. Frames are limited to `maxBodyBytes` (1009 above), compression is off (a zlib
 * context per socket would cost more than the socket).
 */
export function attachWebSockets(server: FastifyInstance, ctx: ServerContext): void {
  // Without a router (a context built without one) there is no 3.x socket.
  const legacy = ctx.legacy ?? null;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: ctx.options.maxBodyBytes,
    perMessageDeflate: false,
    clientTracking: true,
  });
  const clock = ctx.clock ?? systemClock;
  const pinger = new WsPinger(ctx.options.heartbeatMs, clock);
  const allowedOrigins = new Set(ctx.options.allowedOrigins);
  let closing = false;
  /** A client key cookie to send with a handshake's 101 (its session was bound to a key issued then). */
  const cookies = new WeakMap<IncomingMessage, string>();
  wss.on("headers", (headers: string[], req: IncomingMessage) => {
    const cookie = cookies.get(req);
    if (cookie !== undefined) headers.push(`Set-Cookie: ${cookie}`);
  });

  server.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", destroySelf);
    const rawUrl = req.url ?? "/";
    if (rawUrl.length > MAX_URL) return refuse(socket, 414, "URL too long.");
    const url = new URL(rawUrl, "http://localhost");
    const path = url.pathname.endsWith("/") && url.pathname.length > 1 ? url.pathname.slice(0, -1) : url.pathname;
    const isQueue = path === QUEUE_WS_PATH;
    const isLegacy = path === LEGACY_QUEUE_PATH && legacy !== null;
    if (!isQueue && !isLegacy) return refuse(socket, 404, "Not Found");
    if (closing) return refuse(socket, 503, "Queue is stopped.");
    // Browsers send any page's Origin on a WebSocket and no CORS applies, so a socket from another
    // site could act for a logged-in user: only this server's pages and allowedOrigins may open one.
    const foreign = foreignOrigin(req.headers, allowedOrigins);
    if (foreign !== null) return refuse(socket, 403, foreign);
    if (ctx.auth && ctx.auth.userOf(req.headers.cookie) === null) return refuse(socket, 401, "Not authenticated");
    const sessionHash = url.searchParams.get("session_hash");
    if (isQueue && sessionHash !== null && (sessionHash === "" || sessionHash.length > MAX_SESSION_HASH)) {
      return refuse(socket, 400, "`session_hash` must be a non-empty string of at most 128 characters.");
    }
    const rootUrl = requestRoot(req.headers, "encrypted" in req.socket && req.socket.encrypted === true, ctx.options.rootPath);
    const claim = requestClaim(ctx, req);
    if (!isQueue) {
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        if (legacy !== null) new LegacyQueueSocket(ctx, legacy, ws, rootUrl, pinger, server.log, socket, claim);
      });
      return;
    }
    const hash = sessionHash ?? newSessionHash();
    // Opening the tab's socket subscribes to its session: the first one binds it, later ones must be its owner's.
    void bindSocket(hash, claim, req, rootUrl.startsWith("https:")).then(
      (standing) => {
        if (closing) return refuse(socket, 503, "Queue is stopped.");
        wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
          // A socket of the session attached while this one was judged: the first one keeps it.
          if (standing === "weak" && ctx.owners != null && ctx.hub.hasReader(hash)) {
            ws.close(1008, "This session already has an open stream.");
            return;
          }
          new QueueSocket(ctx, ws, hash, rootUrl, pinger, server.log);
        });
      },
      (err: unknown) => {
        if (isUsherError(err)) refuse(socket, err.status, typeof err.detail === "string" ? err.detail : err.message);
        else {
          server.log.error({ err }, "WebSocket session check failed");
          refuse(socket, 500, "Internal error.");
        }
      },
    );
  });

  /**
   * Binds (first socket) or judges (later ones) a socket's session, and refuses a second socket
   * of a live session from a client that cannot prove it is the same one (see admitReader).
   */
  async function bindSocket(hash: string, claim: SessionClaim, req: IncomingMessage, secure: boolean): Promise<Standing> {
    const owners = ctx.owners;
    if (owners == null) return "strong";
    const standing = await owners.bind(hash, claim, keyIssuer(secure, (c) => cookies.set(req, c)));
    // Only a socket open here counts (see admitReader).
    if (standing === "weak" && ctx.hub.hasReader(hash)) {
      throw new UsherError("SESSION_BUSY", "This session already has an open stream; a second reader is refused.");
    }
    return standing;
  }

  // Upgraded sockets are no longer the HTTP server's: close them ourselves. By now the engine has
  // ended every event (their sockets said so and closed) and the hub closed the tabs' sockets.
  server.addHook("preClose", async () => {
    closing = true;
    pinger.stop();
    const open = [...wss.clients];
    if (open.length === 0) return;
    const closed = Promise.all(open.map((ws) => new Promise<void>((resolve) => {
      if (ws.readyState === ws.CLOSED) return resolve();
      ws.once("close", () => resolve());
      ws.close(1001, "The server is shutting down.");
    })));
    let timer: TimerHandle | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, CLOSE_HANDSHAKE_MS)))]);
    if (timer !== undefined) clock.clearTimeout(timer);
    for (const ws of wss.clients) ws.terminate();
  });
}

function destroySelf(this: Duplex): void {
  this.destroy();
}

/** Answers an upgrade with an HTTP error and a JSON `{detail}`, then drops the connection. */
function refuse(socket: Duplex, status: number, detail: string): void {
  const body = JSON.stringify({ detail });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\n` +
      "connection: close\r\ncontent-type: application/json\r\n" +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  414: "URI Too Long",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** A session hash for a socket that came without one: 128 bits from the CSPRNG (32 hex characters). */
function newSessionHash(): string {
  return newEventId();
}
