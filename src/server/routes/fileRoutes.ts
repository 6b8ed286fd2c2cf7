import { basename, dirname } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { UsherError } from "../../errors.ts";
import { API_PREFIX, type ServerContext } from "../ServerContext.ts";
import { servedFileHeaders } from "./servedFileHeaders.ts";

/** Most files in one upload request (the client sends at most 1000 per request). */
const MAX_FILES_PER_UPLOAD = 1000;

/**
 * `/upload` (multipart field `files`) and `/file=<path>` (only from the file store or allowed
 * paths), under `/gradio_api` and at the root (Gradio 3.x clients). Files are sent by
 * @fastify/static (its `send`): ranges (206, 416), ETag and Last-Modified (304).
 */
export async function fileRoutes(server: FastifyInstance, ctx: ServerContext): Promise<void> {
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

  for (const prefix of [API_PREFIX, ""]) server.post(`${prefix}/upload`, upload);
  // In a scope of their own: @fastify/static's reply.sendFile there writes the headers of users'
  // files, and the page's assets (pageRoutes) get another instance with theirs.
  await server.register(async (scope) => {
    await scope.register(fastifyStatic, {
      serve: false,
      // The type comes from Usher's one MIME table (servedFileHeaders); the cache is private.
      contentType: false,
      cacheControl: false,
      setHeaders: servedFileHeaders,
    });
    const serveFile = async (req: FastifyRequest, reply: FastifyReply) => {
      // The router has decoded the path once, as the page and the clients encode it once (a
      // second decode would turn a file named "100%.txt" into a 400, and "a%41" into "aA").
      const path = (req.params as Record<string, string>)["*"] ?? "";
      // Only the store and allowed paths, symlinks resolved: send gets the real file's own folder.
      const real = await ctx.files.resolveReadable(path);
      if (real === null) throw new UsherError("NOT_FOUND", "File not found, or not allowed.");
      return reply.sendFile(basename(real), dirname(real));
    };
    for (const prefix of [API_PREFIX, ""]) {
      scope.get(`${prefix}/file=*`, serveFile);
      scope.get(`${prefix}/file/*`, serveFile);
    }
  });
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
