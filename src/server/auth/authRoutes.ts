import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { UsherError } from "../../errors.ts";
import type { ServerContext } from "../ServerContext.ts";
import { LOGIN_TTL_MS, type Authenticator } from "./Authenticator.ts";
import { loginPage } from "./loginPage.ts";

/**
 * Paths anyone may reach when auth is on. Everything else is refused without a valid login
 * cookie (default deny): a route added later is protected without anyone having to remember it.
 * Assets are the page's public script and style bundles; they hold no app data.
 */
const PUBLIC_PATHS: ReadonlySet<string> = new Set(["/login", "/login/", "/logout", "/favicon.ico", "/metrics"]);

/**
 * While the browser app cannot show a login form itself, a visitor who is not logged in gets the
 * server-rendered form at `/`. (The app can read `auth_required` from the 401 of `/config`.)
 */
const SERVE_LOGIN_PAGE = true;

/** Most bytes of a login form (two short fields). */
const MAX_LOGIN_BODY_BYTES = 16 * 1024;

/**
 * Gradio's login flow: `POST /login` with form fields `username` and `password` answers
 * `200 {"success":true}` and sets the `access-token-…` cookies (a browser's form post is
 * redirected back to the page instead); wrong credentials are `400 {"detail":"Incorrect
 * credentials."}`. Every other route answers 401 without a valid cookie.
 */
export function authRoutes(server: FastifyInstance, ctx: ServerContext, auth: Authenticator): void {
  const { rootPath } = ctx.options;
  const authMessage = ctx.options.authMessage;

  server.addHook("onRequest", async (req, reply) => {
    // A CORS preflight carries no cookies by design; the CORS hook answers it.
    if (reply.sent || req.method === "OPTIONS") return;
    const q = req.url.indexOf("?");
    const path = q < 0 ? req.url : req.url.slice(0, q);
    if (PUBLIC_PATHS.has(path) || path.startsWith("/assets/")) return;
    if (auth.userOf(req.headers.cookie) !== null) return;
    if (SERVE_LOGIN_PAGE && req.method === "GET" && path === "/") {
      return sendLoginPage(reply, null, 200);
    }
    throw new UsherError("UNAUTHORIZED", "Not authenticated", {
      detail: { error: "Not authenticated", auth_message: authMessage, auth_required: true },
    });
  });

  const sendLoginPage = (reply: FastifyReply, error: string | null, status: number): FastifyReply =>
    reply
      .code(status)
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
      .send(loginPage({ title: ctx.app.title, rootPath, message: authMessage, error }));

  // Form bodies are parsed only here: the API routes keep refusing them with 415.
  void server.register(async (scope) => {
    scope.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string", bodyLimit: MAX_LOGIN_BODY_BYTES },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );

    const login = async (req: FastifyRequest, reply: FastifyReply) => {
      const fields = await readFields(req);
      const username = fields.get("username");
      const password = fields.get("password");
      const browserForm = isBrowserForm(req);
      const token = username === undefined || password === undefined ? null : await auth.login(username, password);
      if (token === null) {
        if (browserForm) return sendLoginPage(reply, "Incorrect credentials.", 400);
        throw new UsherError("BAD_CREDENTIALS");
      }
      const maxAgeS = Math.floor(LOGIN_TTL_MS / 1000);
      void reply.header("set-cookie", [
        `${auth.cookieName}=${token}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=None; Secure`,
        `${auth.unsecureCookieName}=${token}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Lax`,
      ]);
      if (browserForm) return reply.code(303).header("location", `${rootPath}/`).send();
      return { success: true };
    };
    scope.post("/login", login);
    scope.post("/login/", login);

    scope.get("/logout", async (_req, reply) =>
      reply
        .header("set-cookie", [
          `${auth.cookieName}=; Path=/; Max-Age=0; HttpOnly; SameSite=None; Secure`,
          `${auth.unsecureCookieName}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`,
        ])
        .code(303)
        .header("location", `${rootPath}/`)
        .send(),
    );
  });
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
