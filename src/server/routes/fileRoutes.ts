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
  const maxFileSize = ctx.options.maxFileSize;
  const upload = async (req: FastifyRequest) => {
    if (!req.isMultipart())
      throw new UsherError("UNSUPPORTED_MEDIA_TYPE", "Send files as multipart/form-data in a field named `files`.");
    const paths: string[] = [];
    try {
      for await (const part of req.parts({ limits: { files: MAX_FILES_PER_UPLOAD } })) {
        if (part.type !== "file") continue;
        if (part.fieldname !== "files") {
          part.file.resume();
          continue;
        }
        paths.push(await ctx.files.saveUpload(part.file, part.filename || "file", maxFileSize));
        // The parser stops a file at maxFileSize and ends it as if it were whole: only this says so.
        if (part.file.truncated) throw fileTooLarge(maxFileSize);
      }
      if (paths.length === 0) throw new UsherError("BAD_REQUEST", "No file found in the field `files`.");
      return paths;
    } catch (err) {
      // A refused upload (too large, too many files, malformed, aborted) keeps none of its files:
      // they go now, before the answer, not at the next sweep.
      await Promise.all(paths.map((p) => ctx.files.discardUpload(p).catch(() => undefined)));
      throw uploadError(err, maxFileSize);
    }
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

/** The 413 of a file over `launch({ maxFileSize })`. */
function fileTooLarge(maxFileSize: number | null): UsherError {
  // Without maxFileSize only a store's own limit applies, and the store says which.
  return new UsherError(
    "PAYLOAD_TOO_LARGE",
    maxFileSize === null
      ? "File too large; nothing was kept."
      : `File too large: the limit is ${maxFileSize} bytes per file; nothing was kept.`,
  );
}

/** What a failed upload answers: the parser's errors say what was wrong in Usher's words. */
function uploadError(err: unknown, maxFileSize: number | null): unknown {
  if (err instanceof UsherError) return err;
  const code = (err as { code?: unknown }).code;
  if (code === "FST_REQ_FILE_TOO_LARGE") return fileTooLarge(maxFileSize);
  if (code === "FST_FILES_LIMIT") {
    return new UsherError(
      "PAYLOAD_TOO_LARGE",
      `Too many files: at most ${MAX_FILES_PER_UPLOAD} per request; nothing was kept.`,
    );
  }
  if (code === "FST_PARTS_LIMIT" || code === "FST_FIELDS_LIMIT") {
    return new UsherError("PAYLOAD_TOO_LARGE", "Too many parts in the multipart body; nothing was kept.");
  }
  // Any other status of the parser's stays; a body cut short or not multipart after all is a plain Error.
  if (typeof (err as { statusCode?: unknown }).statusCode === "number") return err;
  return new UsherError("BAD_REQUEST", "The multipart body is malformed or incomplete.", { cause: err });
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
