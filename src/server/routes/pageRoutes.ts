import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic, { type SetHeadersResponse } from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { contentTypeOf } from "../../mimeTypes.ts";
import type { ServerContext } from "../ServerContext.ts";
import { escapeHtml } from "../escapeHtml.ts";
import { pageKeyCookie } from "../SessionOwners.ts";

/**
 * The browser page: `ui/dist/index.html` at `/` and its content-hashed assets under `/assets/`.
 * The same relative path reaches ui/dist from src/server/routes (source) and dist/server/routes
 * (built package).
 */
const UI_DIST = fileURLToPath(new URL("../../../ui/dist/", import.meta.url));

/** Asset names carry a content hash, so a browser may keep them for a year without asking again. */
const ASSET_MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * Scripts only from this origin (sanitized HTML can carry no inline script even if a sanitizer
 * bug let one through); no plugins; no `<base>` hijack. Images, media and frames stay open:
 * outputs may show files from anywhere, and Spaces embed apps in iframes.
 */
const PAGE_CSP = "script-src 'self'; object-src 'none'; base-uri 'self'";

/**
 * Serves the page. Its assets are served by @fastify/static with a route per file that exists at
 * startup (`wildcard: false`: no path from a request reaches the file system). When ui/dist is
 * missing (a package built without the UI), `/` is a plain page that names the app and its API.
 */
export async function pageRoutes(server: FastifyInstance, ctx: ServerContext, dist: string = UI_DIST): Promise<void> {
  const html = loadPage(dist, ctx.options.rootPath);
  if (html === null) {
    server.get("/", async (_req, reply) =>
      reply.type("text/html; charset=utf-8").header("cache-control", "no-cache").send(fallbackPage(ctx)),
    );
    return;
  }

  server.get("/", async (req, reply) => {
    // The browser's client key comes with the page, before any join (see SessionOwners).
    const cookie = pageKeyCookie(req.headers.cookie, ctx.rootOf(req).startsWith("https:"));
    if (cookie !== null) void reply.header("set-cookie", cookie);
    return (
      reply
        .type("text/html; charset=utf-8")
        // Always revalidate the HTML: it names the current asset hashes.
        .header("cache-control", "no-cache")
        .header("content-security-policy", PAGE_CSP)
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "same-origin")
        .send(html)
    );
  });

  const assets = join(dist, "assets");
  if (!existsSync(assets)) return;
  // A scope of its own: /file= has another @fastify/static with the headers of users' files.
  await server.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root: assets,
      prefix: "/assets/",
      wildcard: false,
      maxAge: ASSET_MAX_AGE_MS,
      immutable: true,
      // The type comes from Usher's one MIME table.
      contentType: false,
      setHeaders: assetHeaders,
    });
  });
}

/** `setHeaders` of the assets: their type, and no sniffing them into another. */
function assetHeaders(res: SetHeadersResponse, path: string): void {
  res.setHeader("x-content-type-options", "nosniff");
  if (res.statusCode !== 304) res.setHeader("content-type", contentTypeOf(path));
}

/** Reads index.html, or null when the UI was not built. */
function loadPage(dist: string, rootPath: string): string | null {
  const index = join(dist, "index.html");
  if (!existsSync(index)) return null;
  // Vite emits "./assets/…" URLs. Behind a proxy under a root path the page may be reached as
  // "/demo" (no trailing slash), where "./" would point one level too high: make them absolute.
  return readFileSync(index, "utf8").replaceAll(`"./assets/`, `"${escapeHtml(rootPath)}/assets/`);
}

/** The page when the UI is not built: the app's name and where its API is. */
function fallbackPage(ctx: ServerContext): string {
  const title = escapeHtml(ctx.app.title);
  const endpoints = ctx.app.functions
    .filter((f) => f.apiName !== null)
    .map((f) => `<li><code>/${escapeHtml(f.apiName ?? "")}</code></li>`)
    .join("");
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
    `<body><h1>${title}</h1><p>Served by Usher. Endpoints:</p><ul>${endpoints}</ul>` +
    `<p>API description: <a href="gradio_api/info">gradio_api/info</a></p></body></html>`
  );
}
