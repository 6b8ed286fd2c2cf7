import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { UsherError } from "../../errors.ts";
import { DEV_RELOAD_PATH, type ServerContext } from "../ServerContext.ts";
import { LOGIN_TTL_MS, type Authenticator } from "./Authenticator.ts";
import { foreignOrigin } from "./foreignOrigin.ts";
import type { LoginRefusal } from "./LoginThrottle.ts";
import { loginPage } from "./loginPage.ts";

/**
 * Paths anyone may reach when auth is on. Everything else is refused without a valid login
 * cookie (default deny): a route added later is protected without anyone having to remember it.
 * Assets are the page's public script and style bundles; they hold no app data. The reload
 * signal (only under `usher --reload`) must reach a page whose login the restart forgot.
 */
const PUBLIC_PATHS: ReadonlySet<string> = new Set([
  "/login",
  "/login/",
  "/logout",
  "/favicon.ico",
  "/metrics",
  DEV_RELOAD_PATH,
]);

/**
 * While the browser app cannot show a login form itself, a visitor who is not logged in gets the
 * server-rendered form at `/`. (The app can read `auth_required` from the 401 of `/config`.)
 */
const SERVE_LOGIN_PAGE = true;

/** Most bytes of a login form (two short fields). */
const MAX_LOGIN_BODY_BYTES = 16 * 1024;

/** Methods that only read: every other one changes something and must come from an allowed page. */
const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/** GET routes that change state all the same (a logout revokes the token). */
const STATE_CHANGING_GETS: ReadonlySet<string> = new Set(["/logout"]);

/**
 * Gradio's login flow: `POST /login` with form fields `username` and `password` answers
 * `200 {"success":true}` and sets the `access-token-…` cookies (a browser's form post is
 * redirected back to the page instead); wrong credentials are `400 {"detail":"Incorrect
 * credentials."}`. Every other route answers 401 without a valid cookie.
 *
 * Hardening: failed logins are rate-limited per client address and user name (429 with
 * `Retry-After`, see LoginThrottle); `/logout` revokes the token; state-changing requests
 * (every method but GET/HEAD/OPTIONS, and `/logout`) from another site's page are refused with 403
 * unless its origin is in `allowedOrigins` (a cross-site form or upload would otherwise ride the
 * user's cookie, and a cross-site login would let every visitor's browser guess passwords for a
 * site); the cookies are `Secure` when the request came over https.
 */
export function authRoutes(server: FastifyInstance, ctx: ServerContext, auth: Authenticator): void {
  const { rootPath } = ctx.options;
  const sendLoginPage = loginPageSender(ctx);
  addLoginGate(server, ctx, auth, sendLoginPage);

  // Form bodies are parsed only here: the API routes keep refusing them with 415.
  void server.register(async (scope) => {
    scope.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string", bodyLimit: MAX_LOGIN_BODY_BYTES },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );

    const login = async (req: FastifyRequest, reply: FastifyReply) => {
      const fields = await readFields(req);
      const browserForm = isBrowserForm(req);
      // req.ip is the peer, or with a trusted proxy (launch({ trustProxy })) the client it names.
      const outcome = await auth.attempt(req.ip, fields.get("username"), fields.get("password"));
      if (!outcome.ok) {
        if (outcome.throttled !== null) {
          const message = throttledMessage(outcome.throttled);
          if (browserForm) {
            void reply.header("retry-after", String(outcome.throttled.retryAfterS));
            return sendLoginPage(reply, message, 429);
          }
          throw new UsherError("TOO_MANY_LOGINS", message, { retryAfterS: outcome.throttled.retryAfterS });
        }
        if (browserForm) return sendLoginPage(reply, "Incorrect credentials.", 400);
        throw new UsherError("BAD_CREDENTIALS");
      }
      const maxAgeS = Math.floor(LOGIN_TTL_MS / 1000);
      // Over https (directly, or said by a trusted proxy) the Lax cookie is Secure too: it is then
      // never sent over plain http, where anyone on the path could read it.
      const secure = req.protocol === "https" ? "; Secure" : "";
      void reply.header("set-cookie", [
        `${auth.cookieName}=${outcome.token}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=None; Secure`,
        `${auth.unsecureCookieName}=${outcome.token}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Lax${secure}`,
      ]);
      if (browserForm) return reply.code(303).header("location", `${rootPath}/`).send();
      return { success: true };
    };
    scope.post("/login", login);
    scope.post("/login/", login);

    const logout = async (req: FastifyRequest, reply: FastifyReply) => {
      // The token is refused from now on, wherever it was copied to, not only forgotten here.
      auth.revoke(req.headers.cookie);
      const secure = req.protocol === "https" ? "; Secure" : "";
      return reply
        .header("set-cookie", [
          `${auth.cookieName}=; Path=/; Max-Age=0; HttpOnly; SameSite=None; Secure`,
          `${auth.unsecureCookieName}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure}`,
        ])
        .header("cache-control", "no-store")
        .code(303)
        .header("location", `${rootPath}/`)
        .send();
    };
    scope.get("/logout", logout);
  });
}

/** Sends the login page with an error (or none) and a status. */
type LoginPageSender = (reply: FastifyReply, error: string | null, status: number) => FastifyReply;

function loginPageSender(ctx: ServerContext): LoginPageSender {
  const { rootPath, authMessage } = ctx.options;
  return (reply, error, status) =>
    reply
      .code(status)
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
      .send(loginPage({ title: ctx.app.title, rootPath, message: authMessage, error }));
}

/** The gate before every route: foreign pages' state-changing requests (403), then the login check (401). */
function addLoginGate(
  server: FastifyInstance,
  ctx: ServerContext,
  auth: Authenticator,
  sendLoginPage: LoginPageSender,
): void {
  const authMessage = ctx.options.authMessage;
  const allowedOrigins: ReadonlySet<string> = new Set(ctx.options.allowedOrigins);
  server.addHook("onRequest", async (req, reply) => {
    // A CORS preflight carries no cookies by design; the CORS hook answers it.
    if (reply.sent || req.method === "OPTIONS") return;
    const q = req.url.indexOf("?");
    const path = q < 0 ? req.url : req.url.slice(0, q);
    // Before the login check: a foreign page's request is refused for what it is, with or
    // without the cookie (without one it could only log in, which is refused too).
    if (!SAFE_METHODS.has(req.method) || STATE_CHANGING_GETS.has(path)) {
      const foreign = foreignOrigin(req.headers, allowedOrigins);
      if (foreign !== null) throw new UsherError("CROSS_ORIGIN", foreign);
    }
    if (PUBLIC_PATHS.has(path) || path.startsWith("/assets/")) return;
    if (auth.userOf(req.headers.cookie) !== null) return;
    if (SERVE_LOGIN_PAGE && req.method === "GET" && path === "/") {
      return sendLoginPage(reply, null, 200);
    }
    throw new UsherError("UNAUTHORIZED", "Not authenticated", {
      detail: { error: "Not authenticated", auth_message: authMessage, auth_required: true },
    });
  });
}

/** The 429's detail: what is throttled and for how long. */
function throttledMessage(r: LoginRefusal): string {
  const what = r.scope === "address" ? "from your address" : "for this user name";
  return `Too many failed logins ${what}. Try again in ${r.retryAfterS} s.`;
}

/** The text fields of a urlencoded or multipart form (the JS client sends FormData). */
async function readFields(req: FastifyRequest): Promise<Map<string, string>> {
  const fields = new Map<string, string>();
  if (req.isMultipart()) {
    for await (const part of req.parts({ limits: { fields: 8, files: 0, fieldSize: MAX_LOGIN_BODY_BYTES } })) {
      if (part.type === "file") {
        part.file.resume();
        continue;
      }
      if (typeof part.value === "string") fields.set(part.fieldname, part.value);
    }
    return fields;
  }
  const body = req.body;
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new UsherError("BAD_REQUEST", "Send `username` and `password` as form fields.");
  }
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) if (typeof v === "string") fields.set(k, v);
  return fields;
}

/** A form posted by a browser page (not by a client library): it expects a page back. */
function isBrowserForm(req: FastifyRequest): boolean {
  const type = req.headers["content-type"] ?? "";
  return type.startsWith("application/x-www-form-urlencoded") && (req.headers.accept ?? "").includes("text/html");
}
