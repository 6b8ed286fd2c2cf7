import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
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
const IMMUTABLE = "public, max-age=31536000, immutable";

const ASSET_TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".map": "application/json; charset=utf-8",
};

/**
 * Scripts only from this origin (sanitized HTML can carry no inline script even if a sanitizer
 * bug let one through); no plugins; no `<base>` hijack. Images, media and frames stay open:
 * outputs may show files from anywhere, and Spaces embed apps in iframes.
 */
const PAGE_CSP = "script-src 'self'; object-src 'none'; base-uri 'self'";

/**
 * Serves the page. Assets are read into memory once at startup from an allowlist of the files
 * that exist (no path from a request ever reaches the file system). When ui/dist is missing (a
 * package built without the UI), `/` is a plain page that names the app and its API.
 */
export function pageRoutes(server: FastifyInstance, ctx: ServerContext, dist: string = UI_DIST): void {
  const page = loadPage(dist, ctx.options.rootPath);
  if (page === null) {
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
        .send(page.html)
    );
  });

  server.get("/assets/:name", async (req, reply) => {
    const asset = page.assets.get((req.params as { name: string }).name);
    if (asset === undefined) return reply.code(404).send({ detail: "Not Found" });
    return reply
      .type(asset.type)
      .header("cache-control", IMMUTABLE)
      .header("x-content-type-options", "nosniff")
      .send(asset.body);
  });
}

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

interface LoadedPage {
  readonly html: string;
  readonly assets: ReadonlyMap<string, Asset>;
}

/** Reads index.html and every asset, or null when the UI was not built. */
function loadPage(dist: string, rootPath: string): LoadedPage | null {
  const index = join(dist, "index.html");
  if (!existsSync(index)) return null;
  // Vite emits "./assets/…" URLs. Behind a proxy under a root path the page may be reached as
  // "/demo" (no trailing slash), where "./" would point one level too high: make them absolute.
  const html = readFileSync(index, "utf8").replaceAll(`"./assets/`, `"${escapeHtml(rootPath)}/assets/`);
  const assets = new Map<string, Asset>();
  const dir = join(dist, "assets");
  if (existsSync(dir)) {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (!statSync(path).isFile()) continue;
      assets.set(name, { type: ASSET_TYPES[extname(name)] ?? "application/octet-stream", body: readFileSync(path) });
    }
  }
  return { html, assets };
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
