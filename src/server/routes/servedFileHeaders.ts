import { basename } from "node:path";
import type { SetHeadersResponse } from "@fastify/static";
import contentDisposition from "content-disposition";
import { contentTypeOf } from "../../mimeTypes.ts";

/**
 * Types a browser may show inline: raster images, audio, video, plain text and PDF cannot run
 * script in this origin. Everything else downloads (`Content-Disposition: attachment`): HTML, SVG
 * (it can carry script), XML, JavaScript, and types the table does not know.
 */
export function shownInline(contentType: string): boolean {
  const type = contentType.split(";")[0]!.trim();
  if (type === "image/svg+xml") return false;
  return (
    type.startsWith("image/") ||
    type.startsWith("audio/") ||
    type.startsWith("video/") ||
    type === "text/plain" ||
    type === "application/pdf"
  );
}

/**
 * The headers of a file served by `/file=` (the `setHeaders` of its @fastify/static, which has
 * already set the length, ranges and validators): the type from Usher's MIME table, and never a
 * page of this origin. Served files come from users, so the browser must not sniff them into HTML
 * (`nosniff`), must download the active types, and runs whatever it does show without script and
 * in an opaque origin (`sandbox`). The cache is private: one user's upload is no shared asset.
 */
export function servedFileHeaders(res: SetHeadersResponse, path: string): void {
  const type = contentTypeOf(path);
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("content-security-policy", "sandbox");
  res.setHeader("cache-control", "private, max-age=3600");
  res.setHeader(
    "content-disposition",
    contentDisposition(basename(path), { type: shownInline(type) ? "inline" : "attachment" }),
  );
  // A 304 has no body to describe.
  if (res.statusCode !== 304) res.setHeader("content-type", type);
}
