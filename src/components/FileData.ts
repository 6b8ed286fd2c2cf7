/**
 * Gradio's FileData: how a file travels on the wire, both ways. Inputs arrive as
 * `{ path, meta: { _type: "gradio.FileData" } }` after the client uploaded the file; outputs leave
 * with a `url` the browser can fetch (`{root}/gradio_api/file={path}`).
 */

/** The `meta` marker that tells clients an object is a file. */
export const FILE_DATA_META = { _type: "gradio.FileData" } as const;

/** A file on the wire (Gradio's `FileData`). */
export interface FileData {
  /** Server path (inputs: where `/upload` put it; outputs: inside the file store). */
  path: string;
  /** Public URL of the file; absent on inputs. */
  url?: string | null;
  size?: number | null;
  orig_name?: string | null;
  mime_type?: string | null;
  is_stream?: boolean;
  meta?: { _type: string };
}

/** True for an object with a string `path` or `url` (what a FileData at least needs). */
export function isFileDataLike(value: unknown): value is Partial<FileData> & ({ path: string } | { url: string }) {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v["path"] === "string" || typeof v["url"] === "string";
}

/**
 * The JSON schema of FileData as pydantic prints it for Gradio's `/info`: clients (and the
 * Python client's `python_type` "filepath") recognise a file parameter by its `path` and its
 * `meta._type` const.
 */
export function fileDataSchema(title = "FileData"): Record<string, unknown> {
  const nullable = (type: string, t: string) => ({ anyOf: [{ type }, { type: "null" }], default: null, title: t });
  return {
    $defs: {
      FileDataMeta: {
        properties: { _type: { const: "gradio.FileData", title: " Type", type: "string" } },
        required: ["_type"],
        title: "FileDataMeta",
        type: "object",
      },
    },
    properties: {
      path: { title: "Path", type: "string" },
      url: nullable("string", "Url"),
      size: nullable("integer", "Size"),
      orig_name: nullable("string", "Orig Name"),
      mime_type: nullable("string", "Mime Type"),
      is_stream: { default: false, title: "Is Stream", type: "boolean" },
      meta: { $ref: "#/$defs/FileDataMeta" },
    },
    required: ["path"],
    title,
    type: "object",
    additional_description: null,
  };
}
