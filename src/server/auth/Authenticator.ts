import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { systemClock, type Clock } from "../../clock.ts";
import type { AuthOption } from "../../options.ts";
import { LoginThrottle, type LoginRefusal, type LoginThrottleOptions } from "./LoginThrottle.ts";
import { RevokedTokens } from "./RevokedTokens.ts";

/** How long a login lasts before the user must log in again, ms. */
export const LOGIN_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** What {@link Authenticator.attempt} decided. */
export type LoginOutcome =
  | { readonly ok: true; readonly token: string }
  | { readonly ok: false; readonly throttled: null }
  | { readonly ok: false; readonly throttled: LoginRefusal };

/** Optional parts of an {@link Authenticator}. */
export interface AuthenticatorOptions {
  /** Clock of the login rate limit (a manual one in tests). Default: the system clock. */
  readonly clock?: Clock;
  /** Policy of the login rate limit. Default: {@link LoginThrottle}'s. */
  readonly throttle?: LoginThrottleOptions;
  /** Most revocations kept (see {@link RevokedTokens}). Default 100 000. */
  readonly maxRevocations?: number;
}

/**
 * Checks credentials and issues and reads login cookies (Gradio's `access-token-<id>` pair).
 *
 * Tokens are signed, not stored: `base64url(username).issuedAtMs.nonce.hmac`. So the server keeps
 * no state per login (no map that grows with every visitor) and a token cannot be forged without
 * the per-process secret. A restart logs everyone out, as in Gradio. The only state is the tokens
 * revoked by `/logout` until they would have expired ({@link RevokedTokens}), and the failed-login
 * counts of the rate limit ({@link LoginThrottle}), both bounded.
 *
 * The secret is per process, so a token is valid only on the process that issued it; revoking it
 * there therefore refuses it everywhere.
 */
export class Authenticator {
  /** Name of the cookie sent with `SameSite=None; Secure` (works in iframes over https). */
  readonly cookieName: string;
  /** Name of the cookie sent with `SameSite=Lax` (plain http on localhost). */
  readonly unsecureCookieName: string;
  /** The rate limit of failed logins, per client address and per user name. */
  readonly throttle: LoginThrottle;
  readonly #check: (username: string, password: string) => Promise<boolean>;
  readonly #secret = randomBytes(32);
  readonly #now: () => number;
  readonly #revoked: RevokedTokens;

  constructor(auth: AuthOption, now: () => number = Date.now, options: AuthenticatorOptions = {}) {
    const id = randomBytes(6).toString("hex");
    this.cookieName = `access-token-${id}`;
    this.unsecureCookieName = `access-token-unsecure-${id}`;
    this.#check = typeof auth === "function" ? async (u, p) => (await auth(u, p)) === true : pairCheck(auth);
    this.#now = now;
    this.throttle = new LoginThrottle(options.throttle ?? {}, options.clock ?? systemClock);
    this.#revoked = new RevokedTokens(now, options.maxRevocations);
  }

  /**
   * A cookie token for `username` when the pair is valid, else null. No rate limit: the login
   * route uses {@link attempt}, which is.
   */
  async login(username: string, password: string): Promise<string | null> {
    let ok = false;
    try {
      ok = await this.#check(username, password);
    } catch {
      ok = false; // a failing check function refuses; it never lets anyone in
    }
    if (!ok) return null;
    const body = `${Buffer.from(username, "utf8").toString("base64url")}.${this.#now()}.${randomBytes(12).toString("base64url")}`;
    return `${body}.${this.#sign(body)}`;
  }

  /**
   * A login attempt from client `address`, under the rate limit: refused without checking the
   * password while the address or the user name must wait; else checked and counted.
   * `username` or `password` undefined (a form without them) is a failed attempt.
   */
  async attempt(address: string, username: string | undefined, password: string | undefined): Promise<LoginOutcome> {
    const ticket = this.throttle.begin(address, username);
    if (!("succeeded" in ticket)) return { ok: false, throttled: ticket };
    let token: string | null = null;
    try {
      token = username === undefined || password === undefined ? null : await this.login(username, password);
    } finally {
      if (token === null) ticket.failed();
      else ticket.succeeded();
    }
    return token === null ? { ok: false, throttled: null } : { ok: true, token };
  }

  /** The logged-in user of a request's `Cookie` header, or null. */
  userOf(cookieHeader: string | undefined): string | null {
    if (cookieHeader === undefined || cookieHeader === "") return null;
    for (const name of [this.cookieName, this.unsecureCookieName]) {
      const token = readCookie(cookieHeader, name);
      if (token === undefined) continue;
      const user = this.#verify(token);
      if (user !== null) return user.name;
    }
    return null;
  }

  /**
   * Revokes every valid login token in a `Cookie` header (`/logout`): from now on they are refused
   * on every route and WebSocket. Returns how many were revoked.
   */
  revoke(cookieHeader: string | undefined): number {
    if (cookieHeader === undefined || cookieHeader === "") return 0;
    let n = 0;
    for (const name of [this.cookieName, this.unsecureCookieName]) {
      const token = readCookie(cookieHeader, name);
      if (token === undefined) continue;
      const t = this.#verify(token);
      if (t === null) continue;
      this.#revoked.revoke(t.nonce, t.issuedMs, t.issuedMs + LOGIN_TTL_MS);
      n++;
    }
    return n;
  }

  #verify(token: string): { name: string; issuedMs: number; nonce: string } | null {
    const parts = token.split(".");
    if (parts.length !== 4) return null;
    const [user, issued, nonce, mac] = parts as [string, string, string, string];
    const expected = Buffer.from(this.#sign(`${user}.${issued}.${nonce}`));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const issuedMs = Number(issued);
    if (!Number.isFinite(issuedMs) || this.#now() - issuedMs > LOGIN_TTL_MS) return null;
    if (this.#revoked.has(nonce, issuedMs)) return null;
    return { name: Buffer.from(user, "base64url").toString("utf8"), issuedMs, nonce };
  }

  #sign(body: string): string {
    return createHmac("sha256", this.#secret).update(body).digest("base64url");
  }
}

/**
 * A check over fixed pairs that takes the same time whatever is typed: both sides are hashed to
 * equal-length digests and compared with `timingSafeEqual`, and every pair is checked (no early
 * exit), so timing tells neither a valid username nor how much of a password matched.
 */
function pairCheck(pairs: readonly (readonly [string, string])[]): (u: string, p: string) => Promise<boolean> {
  const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();
  const stored = pairs.map(([u, p]) => ({ user: digest(u), pass: digest(p) }));
  return async (username, password) => {
    const u = digest(username);
    const p = digest(password);
    let ok = false;
    for (const s of stored) {
      const userOk = timingSafeEqual(u, s.user);
      const passOk = timingSafeEqual(p, s.pass);
      ok = (userOk && passOk) || ok;
    }
    return ok;
  };
}

/** The value of cookie `name` in a `Cookie` header, or undefined. */
export function readCookie(header: string, name: string): string | undefined {
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
