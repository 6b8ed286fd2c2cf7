import type { FileData } from "../config/AppConfig.ts";
import type { Endpoints } from "../config/Endpoints.ts";

/** Why an upload failed, with the server's detail (e.g. 413 for a file over `max_file_size`). */
export class UploadError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "UploadError";
    this.status = status;
  }
}

/**
 * Uploads files (`POST /upload`, multipart field `files`) and returns the FileData that inputs
 * carry: the server path, the original name, and the marker that makes it a file on the wire.
 */
export async function uploadFiles(endpoints: Endpoints, files: readonly File[]): Promise<FileData[]> {
  const form = new FormData();
  for (const f of files) form.append("files", f, f.name || "file");
  const res = await fetch(endpoints.api("upload"), { method: "POST", body: form, credentials: "same-origin" });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text
  }
  if (!res.ok || !Array.isArray(body) || body.length !== files.length) {
    const detail =
      typeof body === "object" && body !== null && "detail" in body ? (body as { detail: unknown }).detail : text;
    throw new UploadError(
      res.status,
      `Upload failed (${res.status}): ${typeof detail === "string" ? detail : JSON.stringify(detail)}`,
    );
  }
  return files.map((f, i) => ({
    path: String(body[i]),
    orig_name: f.name || "file",
    size: f.size,
    mime_type: f.type || null,
    meta: { _type: "gradio.FileData" },
  }));
}
