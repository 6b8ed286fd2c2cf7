import type { IncomingHttpHeaders } from "node:http";
import type { AppFunction } from "../app/index.ts";
import { UsherError } from "../errors.ts";
import type { QueueEngine, QueueRequest } from "../queue/index.ts";
import type { ServerContext } from "./ServerContext.ts";
import type { SessionClaim } from "./SessionOwners.ts";

/**
 * The door a prediction comes through. The rules that differ by door are few and all here: how
 * the function is named (`fn_index` on the queue doors, the api name on `/call`, either on
 * `/run`, where an explicit `fn_index` wins as in Gradio) and whether `apiOpen` applies (direct
 * `/run` only: the queue doors are the queue).
 */
export type Door = "join" | "ws" | "legacy" | "call" | "run";

/**
 * Every door's admission of a prediction, before the engine sees it: resolves the function,
 * applies the rules of the door, validates the inputs (unless `data` is null: Gradio 3.x sends
 * them when the job starts, and they are checked then with {@link checkInputs}) and binds the
 * session to its sender where the door carries one (`claim` non-null; see SessionOwners, with a
 * client key from `issue` when the request carried none). The door parses its frame or body
 * before and hands the event to the engine after ({@link enqueue}, the 3.x router or
 * `runDirect`): so every door refuses the same bad request with the same UsherError.
 *
 * Returns the function in the call when the session's owner is known here (every join after a
 * session's first on this process) or there is nothing to bind (no claim), else a promise.
 * Positional rather than one request object: the fast lane's join calls it per prediction, and an
 * object per call would be an allocation the hot path did not make before.
 */
export function admit(
  ctx: ServerContext,
  door: Door,
  fnIndex: number | undefined,
  apiName: string | undefined,
  data: readonly unknown[] | null,
  sessionHash: string | undefined,
  claim: null,
  issue: null,
): AppFunction;
export function admit(
  ctx: ServerContext,
  door: Door,
  fnIndex: number | undefined,
  apiName: string | undefined,
  data: readonly unknown[] | null,
  sessionHash: string | undefined,
  claim: SessionClaim | null,
  issue: (() => string) | null,
): AppFunction | Promise<AppFunction>;
export function admit(
  ctx: ServerContext,
  door: Door,
  fnIndex: number | undefined,
  apiName: string | undefined,
  data: readonly unknown[] | null,
  sessionHash: string | undefined,
  claim: SessionClaim | null,
  issue: (() => string) | null,
): AppFunction | Promise<AppFunction> {
  const fn = resolveFunction(ctx, door, fnIndex, apiName);
  if (door === "run" && !ctx.apiOpen && ctx.queueEnabled && fn.queue) throw new UsherError("API_CLOSED");
  if (data !== null) fn.validate(data);
  const owners = ctx.owners;
  if (owners == null || claim === null || sessionHash === undefined) return fn;
  // A join's admission follows in this tick (joinQueue): a new session's owner goes with it.
  const bound = door === "join" ? owners.bindJoin(sessionHash, claim, issue) : owners.bind(sessionHash, claim, issue);
  return bound instanceof Promise ? bound.then(() => fn) : fn;
}

/** The function a door's request names, or UNKNOWN_FUNCTION with the same message on every door. */
export function resolveFunction(
  ctx: ServerContext,
  door: Door,
  fnIndex: number | undefined,
  apiName: string | undefined,
): AppFunction {
  const functions = ctx.app.functions;
  if (fnIndex !== undefined && door !== "call") {
    const fn = functions[fnIndex];
    if (fn === undefined) throw new UsherError("UNKNOWN_FUNCTION", `No function with fn_index ${fnIndex}.`);
    return fn;
  }
  if (apiName === undefined || door === "join" || door === "ws" || door === "legacy") {
    throw new UsherError("UNKNOWN_FUNCTION", "No function index provided.");
  }
  const name = apiName.startsWith("/") ? apiName.slice(1) : apiName;
  // Only named endpoints have a name: one of api_name=False is reached by fn_index (on /run).
  const fn = functions.find((f) => f.apiName === name);
  if (fn === undefined) throw new UsherError("UNKNOWN_FUNCTION", `No endpoint named /${name}.`);
  return fn;
}

/** Checks inputs that came after admission (Gradio 3.x sends them when the job starts). */
export function checkInputs(fn: AppFunction, data: readonly unknown[]): void {
  fn.validate(data);
}

/**
 * Hands an admitted event to the engine for a door whose messages go through the session hub:
 * expected in the hub first (so that none is lost), forgotten again if the engine refuses. The
 * event joins with its client key and priority (see {@link engineJoin}). Settles in the call when
 * the engine does (see QueueEngine.admit), else returns a promise.
 */
export function enqueue(
  ctx: ServerContext,
  door: Door,
  claim: SessionClaim | null,
  headers: IncomingHttpHeaders | null,
  fnId: number,
  sessionHash: string,
  data: readonly unknown[],
  eventId: string,
  rootUrl: string,
  expectMs?: number,
): void | Promise<void> {
  const hub = ctx.hub;
  hub.expect(sessionHash, eventId, expectMs);
  let admitted: unknown;
  try {
    admitted = engineJoin(ctx, door, claim, headers, fnId, sessionHash, data, eventId, rootUrl);
  } catch (err) {
    hub.forget(sessionHash, eventId);
    joinRefused(ctx, eventId, err);
    throw err;
  }
  if (!(admitted instanceof Promise)) return;
  return admitted.then(undefined, (err: unknown) => {
    hub.forget(sessionHash, eventId);
    joinRefused(ctx, eventId, err);
    throw err;
  });
}

/**
 * Every door's call of `engine.admit`: the event joins with its client key and priority. The
 * default key is the signed-in user (auth on), else the client address as the door resolved it
 * (through trusted proxies, see clientAddress.ts); the default priority 0. Only when the app set
 * `queue({ clientKey })` or `queue({ priority })` (`ctx.policy`) is a {@link QueueRequest} built
 * for its callbacks: the fast lane's join allocates nothing more otherwise. `headers` may be null
 * when there is no policy (the sockets keep their upgrade's headers only for one).
 *
 * The caller tells {@link joinRefused} when this throws or rejects.
 */
export function engineJoin(
  ctx: ServerContext,
  door: Door,
  claim: SessionClaim | null,
  headers: IncomingHttpHeaders | null,
  fnId: number,
  sessionHash: string,
  data: unknown,
  eventId: string,
  rootUrl: string,
): ReturnType<QueueEngine["admit"]> {
  const user = claim === null ? null : claim.user;
  const address = claim === null ? "" : claim.address;
  let clientKey = user ?? (address === "" ? undefined : address);
  let priority = 0;
  const policy = ctx.policy;
  if (policy != null) {
    const request: QueueRequest = { headers: headers ?? NO_HEADERS, address, user, sessionHash, fnIndex: fnId, door };
    clientKey = policy.clientKeyOf(request, clientKey);
    priority = policy.priorityOf(request);
  }
  // Counted as waiting at its level before the engine sees it: it may start before admit returns.
  if (priority !== 0) ctx.metrics?.joining(eventId, priority);
  return ctx.engine.admit({ fnId, sessionHash, data, eventId, rootUrl, clientKey, priority });
}

/** A join that {@link engineJoin} threw or rejected: counted by reason when the queue refused it. */
export function joinRefused(ctx: ServerContext, eventId: string, err: unknown): void {
  ctx.metrics?.joinFailed(eventId, err);
}

const NO_HEADERS: IncomingHttpHeaders = Object.freeze({});
