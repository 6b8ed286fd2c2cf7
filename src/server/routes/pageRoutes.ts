import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../ServerContext.ts";

/**
 * The page at `/`. Until the browser app (ui/) is built, it is a plain page that names the app and
 * points at its API, so that a person who opens the URL sees something true.
 */
export function pageRoutes(server: FastifyInstance, ctx: ServerContext): void {
  server.get("/", async (_req, reply) => {
    const title = escapeHtml(ctx.app.title);
    const endpoints = ctx.app.functions
      .filter((f) => f.apiName !== null)
      .map((f) => `<li><code>/${escapeHtml(f.apiName ?? "")}</code></li>`)
      .join("");
    return reply
      .type("text/html; charset=utf-8")
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
          `<body><h1>${title}</h1><p>Served by Usher. Endpoints:</p><ul>${endpoints}</ul>` +
          `<p>API description: <a href="gradio_api/info">gradio_api/info</a></p></body></html>`,
      );
  });
}

/** Escapes text for HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
