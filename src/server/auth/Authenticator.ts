import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { AuthOption } from "../../options.ts";

/** How long a login lasts before the user must log in again, ms. */
export const LOGIN_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Checks credentials and issues and reads login cookies (Gradio's `access-token-<id>` pair).
 *
 * Tokens are signed, not stored: `base64url(username).issuedAtMs.hmac`. So the server keeps no
 * state per login (no map that grows with every visitor) and a token cannot be forged without the
 * per-process secret. A restart logs everyone out, as in Gradio.
 */
export class Authenticator {
  /** Name of the cookie sent with `SameSite=None; Secure` (works in iframes over https). */
  readonly cookieName: string;
  /** Name of the cookie sent with `SameSite=Lax` (plain http on localhost). */
  readonly unsecureCookieName: string;
  readonly #check: (username: string, password: string) => Promise<boolean>;
  readonly #secret = randomBytes(32);
  readonly #now: () => number;

  constructor(auth: AuthOption, now: () => number = Date.now) {
    const id = randomBytes(6).toString("hex");
    this.cookieName = `access-token-${id}`;
    this.unsecureCookieName = `access-token-unsecure-${id}`;
    this.#check = typeof auth === "function" ? async (u, p) => (await auth(u, p)) === true : pairCheck(auth);
    this.#now = now;
  }

  /** A cookie token for `username` when the pair is valid, else null. */
  async login(username: string, password: string): Promise<string | null> {
    let ok = false;
    try {
      ok = await this.#check(username, password);
    } catch {
      ok = false; // a failing check function refuses; it never lets anyone in
    }
    if (!ok) return null;
    const body = `${Buffer.from(username, "utf8").toString("base64url")}.${this.#now()}`;
    return `${body}.${this.#sign(body)}`;
  }

  /** The logged-in user of a request's `Cookie` header, or null. */
  userOf(cookieHeader: string | undefined): string | null {
    if (cookieHeader === undefined || cookieHeader === "") return null;
    for (const name of [this.cookieName, this.unsecureCookieName]) {
      const token = readCookie(cookieHeader, name);
      if (token === undefined) continue;
      const user = this.#verify(token);
      if (user !== null) return user;
    }
    return null;
  }

  #verify(token: string): string | null {
    const parts = token.split(".");
    if (parts.length !== 3) return null;
    const [user, issued, mac] = parts as [string, string, string];
    const expected = Buffer.from(this.#sign(`${user}.${issued}`));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const issuedMs = Number(issued);
    if (!Number.isFinite(issuedMs) || this.#now() - issuedMs > LOGIN_TTL_MS) return null;
    return Buffer.from(user, "base64url").toString("utf8");
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
