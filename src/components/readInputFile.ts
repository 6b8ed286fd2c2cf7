import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import { UsherError } from "../errors.ts";
import type { ProcessContext } from "./Component.ts";
import { extensionForMime, mimeFromName } from "../mimeTypes.ts";
import { parseDataUrl } from "./parseDataUrl.ts";
import { API_PREFIX } from "./storeOutputFile.ts";

/** A file given to an event function (File, Image and Audio inputs, by default). */
export interface UploadedFile {
  /** Absolute path of the file in the server's file store. */
  readonly path: string;
  /** The file's original name, e.g. "cat.png". */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /** MIME type from the client or the name's extension, or null when unknown. */
  readonly mimeType: string | null;
  /** Reads the whole file. */
  read(): Promise<Buffer>;
}

/** True for what a file input accepts on the wire: FileData, a Gradio 3 file object, or a string. */
export function isFilePayload(value: unknown): boolean {
  if (typeof value === "string") return true;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v["path"] === "string" ||
    typeof v["url"] === "string" ||
    typeof v["name"] === "string" ||
    typeof v["data"] === "string"
  );
}

/**
 * Resolves a file input to a file in the store. Accepts FileData (`{ path }`, what
 * `@gradio/client` sends after `/upload`), a Gradio 3 file object (`{ name, data }` or
 * `{ name, is_file: true }`), a base64 `data:` URL (older clients; stored as an upload), or a
 * server path, or a URL of this server's own file route. Paths outside the store and the allowed
 * paths are refused (VALIDATION), and so are remote URLs: the server never fetches URLs on a
 * user's behalf.
 */
export async function readInputFile(
  payload: unknown,
  ctx: ProcessContext,
  defaultBaseName: string,
): Promise<UploadedFile> {
  let path: string | undefined;
  let name: string | undefined;
  let mimeType: string | undefined;
  let inline: string | undefined;
  if (typeof payload === "string") {
    if (payload.startsWith("data:")) inline = payload;
    else path = payload;
  } else if (typeof payload === "object" && payload !== null) {
    const v = payload as Record<string, unknown>;
    const str = (k: string) => (typeof v[k] === "string" && v[k] !== "" ? (v[k] as string) : undefined);
    name = str("orig_name");
    mimeType = str("mime_type");
    if (str("data")?.startsWith("data:")) inline = str("data");
    else if (str("path")?.startsWith("data:")) inline = str("path");
    else if (str("path") === undefined && str("url")?.startsWith("data:")) inline = str("url");
    else path = str("path") ?? (v["is_file"] === true ? str("name") : undefined) ?? str("url");
    name ??= v["is_file"] === true || inline !== undefined ? str("name") : undefined;
  }
  if (inline !== undefined) {
    const decoded = parseDataUrl(inline);
    if (decoded === null) throw new UsherError("VALIDATION", "Malformed data: URL.");
    mimeType ??= decoded.mimeType;
    name ??= `${defaultBaseName}.${extensionForMime(decoded.mimeType) ?? "bin"}`;
    path = await ctx.files.saveUpload(once(decoded.data), name, null);
  }
  if (path === undefined) throw new UsherError("VALIDATION", "Expected a file: an object with a `path`.");
  path = ownFilePath(path, ctx.rootUrl) ?? path;
  if (/^https?:\/\//i.test(path)) {
    throw new UsherError("VALIDATION", `Remote URLs are not accepted as file inputs (${path}); upload the file first.`);
  }
  const real = await ctx.files.resolveReadable(path);
  if (real === null) throw new UsherError("VALIDATION", `File not found or not accessible: ${path}`);
  const info = await stat(real);
  const fileName = name ?? basename(path);
  return {
    path: real,
    name: fileName,
    size: info.size,
    mimeType: mimeType ?? mimeFromName(fileName),
    read: () => readFile(real),
  };
}

/**
 * The server path in a URL of this server's own file route (`{root}/gradio_api/file=…` or
 * `{root}/file=…`, as outputs and the API page's examples carry them), else null. No request is
 * made: the path is then checked like any other.
 */
function ownFilePath(url: string, rootUrl: string): string | null {
  if (rootUrl === "") return null;
  for (const route of [`${rootUrl}${API_PREFIX}/file=`, `${rootUrl}/file=`]) {
    if (!url.startsWith(route)) continue;
    try {
      return decodeURIComponent(url.slice(route.length));
    } catch {
      return null;
    }
  }
  return null;
}

async function* once(data: Uint8Array): AsyncIterable<Uint8Array> {
  yield data;
}
