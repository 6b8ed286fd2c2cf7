import { basename, resolve } from "node:path";
import { FILE_DATA_META, type FileData } from "./FileData.ts";
import { mimeFromName } from "../mimeTypes.ts";

const URL_LIKE = /^(?:https?:|data:)/i;

/** The path of a sample given as a path string or an object with a `path`, or null. */
function pathOf(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const path = (value as Record<string, unknown>)["path"];
  return typeof path === "string" && path !== "" ? path : null;
}

/**
 * A file component's example sample as the Dataset's config carries it: FileData the page shows
 * as a thumbnail or a player. A path (string or `{ path }`) is resolved against the working
 * directory, as loading the example resolves it, and the page fetches it through the file route
 * (see {@link exampleFilePaths}); an http(s) or `data:` URL stays a URL. A list (File with
 * several files) maps each; anything else (bytes) is null.
 */
export function sampleFileData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sampleFileData);
  const path = pathOf(value);
  if (path === null) return null;
  const given = typeof value === "object" ? (value as Record<string, unknown>)["orig_name"] : undefined;
  if (URL_LIKE.test(path)) {
    const name = path.startsWith("data:") ? null : basename(new URL(path).pathname) || null;
    return { path, url: path, orig_name: typeof given === "string" ? given : name, meta: { ...FILE_DATA_META } };
  }
  const name = typeof given === "string" && given !== "" ? given : basename(path);
  const file: FileData = {
    path: resolve(path),
    orig_name: name,
    mime_type: mimeFromName(name),
    meta: { ...FILE_DATA_META },
  };
  return file;
}

/** The local files among a sample's values (absolute paths): those the server must let users read. */
export function exampleFilePaths(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(exampleFilePaths);
  const path = pathOf(value);
  return path === null || URL_LIKE.test(path) ? [] : [resolve(path)];
}
