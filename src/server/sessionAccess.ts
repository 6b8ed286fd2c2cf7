import type { IncomingMessage } from "node:http";
import { UsherError } from "../errors.ts";
import type { ServerContext } from "./ServerContext.ts";
import { claimOf, keyIssuer, type SessionClaim, type Standing } from "./SessionOwners.ts";

/** What a request presents about its sender (see SessionOwners). */
export function requestClaim(ctx: ServerContext, req: Pick<IncomingMessage, "headers" | "socket">): SessionClaim {
  return claimOf(
    ctx.auth,
    req.headers,
    ctx.clientAddress === undefined ? req.socket.remoteAddress : ctx.clientAddress(req),
  );
}

/** A key issuer (see SessionOwners.bind) whose cookie goes out with the answer to `req`. */
export function issuerFor(
  ctx: ServerContext,
  req: Pick<IncomingMessage, "headers" | "socket">,
  setCookie: (value: string) => void,
): () => string {
  // The root URL is worked out only when a key is issued (a session's first join), not per join.
  return keyIssuer(() => ctx.rootOf(req as Parameters<ServerContext["rootOf"]>[0]).startsWith("https:"), setCookie);
}

/**
 * May `claim` open a stream of `sessionHash` now? Throws SESSION_FORBIDDEN when the session
 * belongs to someone else, and SESSION_BUSY when it has a stream open here and the claim cannot
 * prove it is the session's own client: a second reader never takes a live stream from the first.
 * A claim with the session's key may (its own tab reconnecting before the server saw the old
 * stream go).
 *
 * A stream open on another front of a shared queue does not count: a front that was killed keeps
 * its readers in the store until its liveness expires (`leaseMs`), and refusing until then would
 * break the reconnect of a user whose front died. The owner check above still holds there.
 */
export async function admitReader(ctx: ServerContext, sessionHash: string, claim: SessionClaim): Promise<Standing> {
  const owners = ctx.owners;
  // A context without owners (tests' hand-made ones) keeps the newest-reader-wins rule.
  if (owners == null) return "strong";
  const standing = await owners.check(sessionHash, claim);
  if (standing === "weak" && ctx.hub.hasReader(sessionHash)) {
    throw new UsherError("SESSION_BUSY", "This session already has an open stream; a second reader is refused.");
  }
  return standing;
}

/** May `claim` act on `sessionHash` (cancel one of its events, keep it present)? Throws SESSION_FORBIDDEN if not. */
export async function checkSession(ctx: ServerContext, sessionHash: string, claim: SessionClaim): Promise<void> {
  await ctx.owners?.check(sessionHash, claim);
}
