import { isFileData, type FileData } from "../config/AppConfig.ts";
import { fileName, formatSize } from "./fileName.ts";
import { acceptFor, UploadZone } from "./UploadZone.tsx";
import type { WidgetProps } from "./WidgetProps.ts";

/** Files: download links, and an upload zone (one file, or several with `file_count: "multiple"`). */
export function FileWidget({ id, props, value, interactive, inputId, labelId, ctx }: WidgetProps) {
  const multiple = props["file_count"] === "multiple" || props["file_count"] === "directory";
  const files: FileData[] = Array.isArray(value) ? value.filter(isFileData) : isFileData(value) ? [value] : [];
  return (
    <div class="files">
      {files.length > 0 && (
        <ul class="file-list">
          {files.map((f, i) => (
            <li key={i}>
              <a href={ctx.endpoints.fileUrl(f)} download={fileName(f)}>
                {fileName(f)}
              </a>{" "}
              <span class="muted">{formatSize(f.size)}</span>
            </li>
          ))}
        </ul>
      )}
      {interactive && files.length > 0 && (
        <button
          type="button"
          class="icon-button"
          onClick={() => {
            ctx.runtime.userInput(id, multiple ? [] : null);
            ctx.runtime.fire(id, "clear");
          }}
        >
          Clear
        </button>
      )}
      {interactive && (multiple || files.length === 0) && (
        <UploadZone
          inputId={inputId}
          labelId={labelId}
          accept={acceptFor(props["file_types"], undefined)}
          multiple={multiple}
          prompt={multiple ? "Drop files here or click to upload" : "Drop a file here or click to upload"}
          ctx={ctx}
          onUploaded={(uploaded) => {
            ctx.runtime.userInput(id, multiple ? [...files, ...uploaded] : (uploaded[0] ?? null));
            ctx.runtime.fire(id, "upload");
          }}
        />
      )}
      {!interactive && files.length === 0 && <div class="empty" id={inputId} tabIndex={-1} />}
    </div>
  );
}
