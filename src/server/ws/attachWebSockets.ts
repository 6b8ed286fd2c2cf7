import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyInstance } from "fastify";
import { WebSocketServer, type WebSocket } from "ws";
import { systemClock, type Clock, type TimerHandle } from "../../clock.ts";
import { foreignOrigin } from "../auth/foreignOrigin.ts";
import { errorAnswer, UsherError, type ErrorAnswer } from "../../errors.ts";
import { newEventId, sessionHashOf } from "../predictBody.ts";
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

/** Longest upgrade URL accepted (the HTTP routes refuse longer ones too). */
const MAX_URL = 8192;
/** The answer to an upgrade while the server closes. */
const STOPPED = errorAnswer(new UsherError("QUEUE_STOPPED"));
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
    const asked = judgeUpgrade(req, ctx, allowedOrigins, legacy !== null, closing);
    if ("status" in asked) return refuse(socket, asked);
    const rootUrl = requestRoot(
      req.headers,
      "encrypted" in req.socket && req.socket.encrypted === true,
      ctx.options.rootPath,
    );
    const claim = requestClaim(ctx, req);
    if (asked.door === "legacy") {
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        if (legacy !== null)
          new LegacyQueueSocket(ctx, legacy, ws, rootUrl, pinger, server.log, socket, claim, req.headers);
      });
      return;
    }
    const hash = asked.sessionHash ?? newSessionHash();
    // Opening the tab's socket subscribes to its session: the first one binds it, later ones must be its owner's.
    void bindSocket(
      ctx,
      hash,
      claim,
      keyIssuer(rootUrl.startsWith("https:"), (c) => cookies.set(req, c)),
    ).then(
      (standing) => {
        if (closing) return refuse(socket, STOPPED);
        wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
          // A socket of the session attached while this one was judged: the first one keeps it.
          if (standing === "weak" && ctx.owners != null && ctx.hub.hasReader(hash)) {
            const busy = errorAnswer(new UsherError("SESSION_BUSY"));
            ws.close(busy.closeCode, busy.closeReason);
            return;
          }
          new QueueSocket(ctx, ws, hash, rootUrl, pinger, server.log, claim, req.headers);
        });
      },
      (err: unknown) => {
        const answer = errorAnswer(err);
        if (answer.unexpected) server.log.error({ err }, "WebSocket session check failed");
        refuse(socket, answer);
      },
    );
  });

  // Upgraded sockets are no longer the HTTP server's: close them ourselves. By now the engine has
  // ended every event (their sockets said so and closed) and the hub closed the tabs' sockets.
  server.addHook("preClose", async () => {
    closing = true;
    pinger.stop();
    await closeSockets(wss, clock);
  });
}

/**
 * Binds (first socket) or judges (later ones) a socket's session, and refuses a second socket of a
 * live session from a client that cannot prove it is the same one (see admitReader). `issue`
 * makes the client key cookie of a session bound now.
 */
async function bindSocket(
  ctx: ServerContext,
  hash: string,
  claim: SessionClaim,
  issue: () => string,
): Promise<Standing> {
  const owners = ctx.owners;
  if (owners == null) return "strong";
  const standing = await owners.bind(hash, claim, issue);
  // Only a socket open here counts (see admitReader).
  if (standing === "weak" && ctx.hub.hasReader(hash)) {
    throw new UsherError("SESSION_BUSY", "This session already has an open stream; a second reader is refused.");
  }
  return standing;
}

/** Closes the open sockets with 1001, waits for their handshakes up to CLOSE_HANDSHAKE_MS, then cuts the rest. */
async function closeSockets(wss: WebSocketServer, clock: Clock): Promise<void> {
  const open = [...wss.clients];
  if (open.length === 0) return;
  const closed = Promise.all(
    open.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === ws.CLOSED) return resolve();
          ws.once("close", () => resolve());
          ws.close(1001, "The server is shutting down.");
        }),
    ),
  );
  let timer: TimerHandle | undefined;
  await Promise.race([closed, new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, CLOSE_HANDSHAKE_MS)))]);
  if (timer !== undefined) clock.clearTimeout(timer);
  for (const ws of wss.clients) ws.terminate();
}

/** Which socket an upgrade asks for. */
type UpgradeAsk = { readonly door: "queue"; readonly sessionHash: string | undefined } | { readonly door: "legacy" };

/**
 * Judges an upgrade before the handshake: its URL and path, the server's state, its origin, the
 * login, and the queue socket's session hash. A refusal is an HTTP answer, not a socket that
 * opens and closes.
 */
function judgeUpgrade(
  req: IncomingMessage,
  ctx: ServerContext,
  allowedOrigins: ReadonlySet<string>,
  legacyOn: boolean,
  closing: boolean,
): UpgradeAsk | ErrorAnswer {
  const rawUrl = req.url ?? "/";
  if (rawUrl.length > MAX_URL) return errorAnswer(new UsherError("URI_TOO_LONG"));
  // Every 3.x prediction opens a socket at exactly this URL: no need to parse it (a URL object was
  // a few µs of each one). Anything else (a query, a trailing slash, escapes) is parsed.
  const url = rawUrl === LEGACY_QUEUE_PATH ? null : new URL(rawUrl, "http://localhost");
  const pathname = url === null ? rawUrl : url.pathname;
  const path = pathname.endsWith("/") && pathname.length > 1 ? pathname.slice(0, -1) : pathname;
  const isQueue = path === QUEUE_WS_PATH;
  if (!isQueue && !(path === LEGACY_QUEUE_PATH && legacyOn)) return errorAnswer(new UsherError("NOT_FOUND"));
  if (closing) return STOPPED;
  // Browsers send any page's Origin on a WebSocket and no CORS applies, so a socket from another
  // site could act for a logged-in user: only this server's pages and allowedOrigins may open one.
  const foreign = foreignOrigin(req.headers, allowedOrigins);
  if (foreign !== null) return errorAnswer(new UsherError("CROSS_ORIGIN", foreign));
  if (ctx.auth && ctx.auth.userOf(req.headers.cookie) === null) return errorAnswer(new UsherError("UNAUTHORIZED"));
  if (!isQueue) return { door: "legacy" };
  try {
    return { door: "queue", sessionHash: sessionHashOf(url?.searchParams.get("session_hash")) };
  } catch (err) {
    return errorAnswer(err);
  }
}

function destroySelf(this: Duplex): void {
  this.destroy();
}

/** Answers an upgrade with an error's HTTP status and JSON `{detail}` (see errorAnswer), then drops the connection. */
function refuse(socket: Duplex, answer: ErrorAnswer): void {
  const body = JSON.stringify({ detail: answer.detail });
  socket.end(
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? "Error"}\r\n` +
      "connection: close\r\ncontent-type: application/json\r\n" +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** A session hash for a socket that came without one: 128 bits from the CSPRNG (32 hex characters). */
function newSessionHash(): string {
  return newEventId();
}
