import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { UsherError } from "../../errors.ts";
import { API_PREFIX, type ServerContext } from "../ServerContext.ts";

/** Most files in one upload request (the client sends at most 1000 per request). */
const MAX_FILES_PER_UPLOAD = 1000;

/**
 * `/upload` (multipart field `files`) and `/file=<path>` (only from the file store or allowed
 * paths), under `/gradio_api` and at the root (Gradio 3.x clients).
 */
export function fileRoutes(server: FastifyInstance, ctx: ServerContext): void {
  const upload = async (req: FastifyRequest) => {
    if (!req.isMultipart()) throw new UsherError("UNSUPPORTED_MEDIA_TYPE", "Send files as multipart/form-data in a field named `files`.");
    const paths: string[] = [];
    try {
      for await (const part of req.parts({ limits: { files: MAX_FILES_PER_UPLOAD } })) {
        if (part.type !== "file") continue;
        if (part.fieldname !== "files") {
          part.file.resume();
          continue;
        }
        paths.push(await ctx.files.saveUpload(part.file, part.filename || "file", ctx.options.maxFileSize));
      }
    } catch (err) {
      // A body cut short or not multipart after all: the parser throws a plain Error (no status).
      const status = (err as { statusCode?: unknown }).statusCode;
      if (err instanceof UsherError || typeof status === "number") throw err;
      throw new UsherError("BAD_REQUEST", "The multipart body is malformed or incomplete.", { cause: err });
    }
    if (paths.length === 0) throw new UsherError("BAD_REQUEST", "No file found in the field `files`.");
    return paths;
  };

  const serveFile = async (req: FastifyRequest, reply: import("fastify").FastifyReply) => {
    const raw = (req.params as Record<string, string>)["*"] ?? "";
    let path: string;
    try {
      path = decodeURIComponent(raw);
    } catch {
      throw new UsherError("BAD_REQUEST", "File path is not valid URL encoding.");
    }
    const real = await ctx.files.resolveReadable(path);
    if (real === null) throw new UsherError("NOT_FOUND", "File not found, or not allowed.");
    const info = await stat(real);
    const type = MIME[extname(real).toLowerCase()] ?? "application/octet-stream";
    void reply
      .header("content-type", type)
      .header("content-length", String(info.size))
      .header("cache-control", "private, max-age=3600")
      // Served files come from users: never let a browser run them as a page of this origin.
      .header("x-content-type-options", "nosniff")
      .header("content-security-policy", "sandbox")
      .header(
        "content-disposition",
        `${INLINE.has(type) ? "inline" : "attachment"}; filename*=UTF-8''${encodeURIComponent(basename(real))}`,
      );
    return reply.send(createReadStream(real));
  };
  for (const prefix of [API_PREFIX, ""]) {
    server.post(`${prefix}/upload`, upload);
    server.get(`${prefix}/file=*`, serveFile);
    server.get(`${prefix}/file/*`, serveFile);
  }
}

const MIME: Readonly<Record<string, string>> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".bmp": "image/bmp",
  ".svg": "image/svg+xml",
  ".wav": "audio/wav",
  ".mp3": "audio/mpeg",
  ".ogg": "audio/ogg",
  ".flac": "audio/flac",
  ".m4a": "audio/mp4",
  ".webm": "video/webm",
  ".mp4": "video/mp4",
  ".txt": "text/plain; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".json": "application/json",
  ".pdf": "application/pdf",
};

/** Types a browser may show inline; everything else downloads. SVG downloads: it can carry script. */
const INLINE = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "image/bmp",
  "audio/wav",
  "audio/mpeg",
  "audio/ogg",
  "audio/flac",
  "audio/mp4",
  "video/webm",
  "video/mp4",
  "text/plain; charset=utf-8",
  "application/pdf",
]);
