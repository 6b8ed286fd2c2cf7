import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import { errorAnswer, UsherError } from "../errors.ts";
import { joinQueue, type JoinReply } from "./joinQueue.ts";
import { invalidJsonMessage, parseJson } from "./parseJson.ts";
import { API_PREFIX, type ServerContext } from "./ServerContext.ts";
import { requestClaim } from "./sessionAccess.ts";
import { keyIssuer } from "./SessionOwners.ts";
import { SseV3Sink } from "./Sink.ts";

const JOIN_URL = `${API_PREFIX}/queue/join`;
const DATA_URL = `${API_PREFIX}/queue/data?session_hash=`;
/** Session hashes the lane takes from a query string as is: nothing to percent-decode, one parameter. */
const PLAIN_HASH = /^[A-Za-z0-9_-]{1,128}$/;
const JSON_TYPE = "application/json; charset=utf-8";

/** How the lane's settings of node:http's server come from Fastify's options. */
interface ServerSettings {
  readonly keepAliveTimeout?: number | undefined;
  readonly requestTimeout?: number | undefined;
  readonly connectionTimeout?: number | undefined;
}

/**
 * The two requests of every queued prediction, POST {prefix}/queue/join and GET
 * {prefix}/queue/data, served on bare node:http before Fastify sees them.
 *
 * Why: with an identity function, Fastify's per-request machinery (routing, hooks, the content-type
 * parser, reply serialization, wrapped promises) was about half of Usher's CPU per prediction
 * (bench/README.md, "Profile-driven optimisation"). The lane does the same work as the routes
 * (joinQueue, SseV3Sink) and gives the same answers and errors.
 *
 * It only takes what it can answer exactly like the routes would; everything else goes to
 * Fastify's handler untouched (the body not yet read): any other URL or method, a content type
 * other than plain `application/json`, no or a zero or an over-limit content-length, chunked
 * bodies, a query string other than one plain `session_hash`, a session this process does not know
 * (the route may adopt it from a shared store), a stream the session's owner check refuses or
 * cannot judge here (see SessionOwners), and every request once the server is closing. It
 * must be off when a route hook would change these requests (login, CORS): `enabled` is false then.
 */
export class FastLane {
  /** Whether the lane takes anything; false: every request goes to Fastify. */
  enabled: boolean;
  readonly #ctx: ServerContext;
  readonly #bodyLimit: number;
  /**
   * Told of every error the lane answers itself, with the status sent (the Fastify error handler's
   * bookkeeping: refusal metrics and log, the log line of a 500).
   */
  onError: (err: unknown, status: number) => void = () => undefined;

  constructor(ctx: ServerContext, bodyLimit: number, enabled: boolean) {
    this.#ctx = ctx;
    this.#bodyLimit = bodyLimit;
    this.enabled = enabled;
  }

  /** A node:http server that offers each request to the lane, then to `fallback` (Fastify's handler). */
  createServer(fallback: RequestListener, settings: ServerSettings): Server {
    const server = createServer((req, res) => {
      if (!this.enabled || !this.#take(req, res)) fallback(req, res);
    });
    // What Fastify sets on the server it makes itself (see its lib/server.js).
    server.keepAliveTimeout = settings.keepAliveTimeout ?? 72_000;
    server.requestTimeout = settings.requestTimeout ?? 0;
    server.setTimeout(settings.connectionTimeout ?? 0);
    return server;
  }

  /** Serves the request and returns true, or returns false having touched nothing. */
  #take(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url;
    if (url === JOIN_URL) return req.method === "POST" && this.#join(req, res);
    if (req.method === "GET" && url !== undefined && url.startsWith(DATA_URL)) {
      const hash = url.slice(DATA_URL.length);
      const ctx = this.#ctx;
      if (!PLAIN_HASH.test(hash) || !ctx.hub.knows(hash)) return false;
      // The session's owner, judged from what this process knows; a refusal (or a question for the
      // store) is the route's to answer.
      const owners = ctx.owners;
      if (owners != null) {
        let standing;
        try {
          standing = owners.checkHere(hash, requestClaim(ctx, req));
        } catch {
          return false;
        }
        if (standing === undefined || (standing === "weak" && ctx.hub.hasReader(hash))) return false;
      }
      ctx.hub.attach(hash, new SseV3Sink(res, ctx.budget ?? null, ctx.clock));
      return true;
    }
    return false;
  }

  #join(req: IncomingMessage, res: ServerResponse): boolean {
    const h = req.headers;
    const type = h["content-type"];
    if (type !== "application/json" && type !== JSON_TYPE) return false;
    const length = Number(h["content-length"]);
    if (h["transfer-encoding"] !== undefined || !(length > 0 && length <= this.#bodyLimit)) return false;
    req.setEncoding("utf8");
    let text = "";
    req.on("data", (chunk: string) => {
      text += chunk;
    });
    req.on("end", () => {
      let body: unknown;
      try {
        body = parseJson(text);
      } catch (err) {
        // As the route's content-type parser refuses it (see createServer).
        this.#fail(res, new UsherError("BAD_REQUEST", invalidJsonMessage(err)));
        return;
      }
      // A session's first join issues its client key; the cookie goes out in the answer's one
      // writeHead (res.setHeader before it sent every header through node's slower merge path).
      let cookie: string | undefined;
      let reply: JoinReply | Promise<JoinReply>;
      try {
        // Same root URL as the route's: ctx.rootOf reads only the headers and the socket.
        const ctx = this.#ctx;
        const rootUrl = ctx.rootOf(req);
        const issue = keyIssuer(rootUrl.startsWith("https:"), (c) => (cookie = c));
        reply = joinQueue(ctx, body, rootUrl, h, requestClaim(ctx, req), issue);
      } catch (err) {
        this.#fail(res, err, cookie);
        return;
      }
      if (reply instanceof Promise) {
        reply.then(
          (r) => sendJson(res, 200, joinAnswer(r), cookie),
          (err: unknown) => this.#fail(res, err, cookie),
        );
      } else sendJson(res, 200, joinAnswer(reply), cookie);
    });
    return true;
  }

  /** Answers like replyError does (see errorAnswer, shared with every door), with the join's cookie if one was issued. */
  #fail(res: ServerResponse, err: unknown, cookie?: string): void {
    const answer = errorAnswer(err);
    this.onError(err, answer.status);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (cookie !== undefined) res.setHeader("set-cookie", cookie);
    if (answer.retryAfterS !== undefined) res.setHeader("retry-after", String(answer.retryAfterS));
    sendJson(res, answer.status, JSON.stringify({ detail: answer.detail }));
  }
}

/** What Fastify's reply.send(object) writes: status, JSON content type and length, the cookie if any, the body. */
function sendJson(res: ServerResponse, status: number, json: string, cookie?: string): void {
  const length = Buffer.byteLength(json);
  res.writeHead(
    status,
    cookie === undefined
      ? { "content-type": JSON_TYPE, "content-length": length }
      : { "content-type": JSON_TYPE, "content-length": length, "set-cookie": cookie },
  );
  res.end(json);
}

/** `JSON.stringify(reply)`, written out: an event id is 32 hex characters, nothing to escape. */
function joinAnswer(reply: JoinReply): string {
  return `{"event_id":"${reply.event_id}"}`;
}
