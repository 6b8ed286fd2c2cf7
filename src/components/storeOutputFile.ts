import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { UsherError } from "../errors.ts";
import type { ProcessContext } from "./Component.ts";
import { FILE_DATA_META, type FileData } from "./FileData.ts";
import { extensionForMime, mimeFromName, sniffMime } from "../mimeTypes.ts";
import { parseDataUrl } from "./parseDataUrl.ts";

/** The route prefix of Usher's API (Gradio 5+): file URLs are `{root}/gradio_api/file={path}`. */
export const API_PREFIX = "/gradio_api";

/** What a function may return for a file output. */
export type FileOutput =
  | Uint8Array
  | ArrayBuffer
  | string
  | { readonly data: Uint8Array | ArrayBuffer; readonly name?: string; readonly mimeType?: string }
  | {
      readonly path: string;
      readonly name?: string;
      readonly orig_name?: string | null;
      readonly mimeType?: string | null;
      readonly mime_type?: string | null;
    };

/** The public URL of a stored file. */
export function fileUrl(rootUrl: string, path: string): string {
  return `${rootUrl}${API_PREFIX}/file=${path.split("/").map(encodeURIComponent).join("/")}`;
}

/**
 * Stores a file a function returned and describes it as FileData with a URL. Accepts bytes
 * (named `{baseName}.{ext}` with the extension sniffed from the bytes), `{ data, name, mimeType }`,
 * a path to an existing file (copied into the store unless already readable there), an object with
 * a `path` (FileData, an input's UploadedFile), a `data:` URL, or an http(s) URL (passed through).
 */
export async function storeOutputFile(
  value: unknown,
  ctx: ProcessContext,
  baseName: string,
  describe: () => string,
): Promise<FileData> {
  let data: Uint8Array | undefined;
  let name: string | undefined;
  let mimeType: string | null | undefined;
  let path: string | undefined;
  if (value instanceof Uint8Array) data = value;
  else if (value instanceof ArrayBuffer) data = new Uint8Array(value);
  else if (typeof value === "string") {
    const decoded = value.startsWith("data:") ? parseDataUrl(value) : null;
    if (decoded !== null) {
      data = decoded.data;
      mimeType = decoded.mimeType;
    } else if (/^https?:\/\//i.test(value)) {
      const urlName = basename(new URL(value).pathname) || baseName;
      return {
        path: value,
        url: value,
        size: null,
        orig_name: urlName,
        mime_type: mimeFromName(urlName),
        is_stream: false,
        meta: { ...FILE_DATA_META },
      };
    } else path = value;
  } else if (typeof value === "object" && value !== null) {
    const v = value as Record<string, unknown>;
    const str = (k: string) => (typeof v[k] === "string" && v[k] !== "" ? (v[k] as string) : undefined);
    name = str("name") ?? str("orig_name");
    mimeType = str("mimeType") ?? str("mime_type");
    if (v["data"] instanceof Uint8Array) data = v["data"];
    else if (v["data"] instanceof ArrayBuffer) data = new Uint8Array(v["data"]);
    else if (str("path") !== undefined) path = str("path");
  }

  if (data !== undefined) {
    mimeType ??= sniffMime(data);
    name ??= `${baseName}.${(mimeType && extensionForMime(mimeType)) ?? "bin"}`;
    const stored = await ctx.files.saveOutput(data, name);
    return toFileData(ctx, stored, data.byteLength, name, mimeType ?? mimeFromName(name));
  }
  if (path === undefined) {
    throw new UsherError(
      "OUTPUT_SHAPE",
      `${describe()} expects a Buffer, a file path, { data, name } or { path } from the function, got ${value === null ? "null" : typeof value}.`,
    );
  }
  let stored: string;
  try {
    stored = await ctx.files.importFile(path, name);
  } catch (err) {
    throw new UsherError("OUTPUT_SHAPE", `${describe()}: the function returned a file that cannot be read: ${path}`, {
      cause: err,
    });
  }
  name ??= basename(path);
  const size = (await stat(stored)).size;
  return toFileData(ctx, stored, size, name, mimeType ?? mimeFromName(name));
}

function toFileData(ctx: ProcessContext, path: string, size: number, name: string, mimeType: string | null): FileData {
  return {
    path,
    url: fileUrl(ctx.rootUrl, path),
    size,
    orig_name: name,
    mime_type: mimeType,
    is_stream: false,
    meta: { ...FILE_DATA_META },
  };
}
