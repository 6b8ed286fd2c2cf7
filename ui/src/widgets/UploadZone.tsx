import { useState } from "preact/hooks";
import type { FileData } from "../config/AppConfig.ts";
import { uploadFiles } from "../transport/uploadFiles.ts";
import type { WidgetContext } from "./WidgetProps.ts";

/** Props of {@link UploadZone}. */
export interface UploadZoneProps {
  readonly inputId: string;
  /** id of the block's label, which names the file input. */
  readonly labelId: string;
  /** `accept` of the file input, e.g. "image/*". */
  readonly accept: string | undefined;
  readonly multiple: boolean;
  /** Text inside the zone. */
  readonly prompt: string;
  readonly ctx: WidgetContext;
  /** Called with the uploaded files' FileData. */
  readonly onUploaded: (files: FileData[]) => void;
}

/**
 * Where a file comes in: a real file input (so the block's label names it and the keyboard opens
 * the picker), drag and drop, and paste (Ctrl+V while the zone has focus). Files are uploaded at
 * once (`POST /upload`); events wait for uploads in flight before they read their inputs.
 */
export function UploadZone({ inputId, labelId, accept, multiple, prompt, ctx, onUploaded }: UploadZoneProps) {
  const [busy, setBusy] = useState(false);
  const [over, setOver] = useState(false);

  const take = (list: FileList | readonly File[] | null | undefined) => {
    let files = [...(list ?? [])];
    if (accept !== undefined) files = files.filter((f) => accepts(accept, f));
    if (!multiple) files = files.slice(0, 1);
    if (files.length === 0) return;
    setBusy(true);
    ctx.runtime
      .trackUpload(uploadFiles(ctx.endpoints, files))
      .then(onUploaded, (err: unknown) =>
        ctx.toasts.show("error", "Upload failed", err instanceof Error ? err.message : String(err), null),
      )
      .finally(() => setBusy(false));
  };

  return (
    <div
      class={`drop-zone${over ? " over" : ""}${busy ? " busy" : ""}`}
      data-testid="drop-zone"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        take(e.dataTransfer?.files);
      }}
      onPaste={(e) => {
        const files = e.clipboardData?.files;
        if (files !== undefined && files.length > 0) {
          e.preventDefault();
          take(files);
        }
      }}
      onClick={(e) => {
        // A click anywhere in the zone opens the picker, as the visible prompt invites.
        if ((e.target as HTMLElement).tagName !== "INPUT")
          (e.currentTarget.querySelector("input") as HTMLInputElement).click();
      }}
    >
      <input
        id={inputId}
        class="visually-hidden"
        type="file"
        aria-labelledby={labelId}
        accept={accept}
        multiple={multiple}
        onChange={(e) => {
          const input = e.currentTarget as HTMLInputElement;
          take(input.files);
          input.value = "";
        }}
      />
      <span aria-hidden="true">{busy ? "Uploading…" : prompt}</span>
      {busy && (
        <span class="visually-hidden" role="status">
          Uploading
        </span>
      )}
    </div>
  );
}

/** Whether `file` matches an `accept` list such as "image/*,.pdf". */
function accepts(accept: string, file: File): boolean {
  return accept.split(",").some((raw) => {
    const a = raw.trim().toLowerCase();
    if (a === "" || a === "*" || a === "*/*") return true;
    if (a.startsWith(".")) return file.name.toLowerCase().endsWith(a);
    if (a.endsWith("/*")) return file.type.toLowerCase().startsWith(a.slice(0, -1));
    return file.type.toLowerCase() === a;
  });
}

/** The `accept` attribute for Gradio's `file_types` (".pdf", "image", "audio", ...). */
export function acceptFor(fileTypes: unknown, fallback: string | undefined): string | undefined {
  if (!Array.isArray(fileTypes) || fileTypes.length === 0) return fallback;
  return fileTypes
    .map((t) => String(t))
    .map((t) => (t === "image" || t === "audio" || t === "video" || t === "text" ? `${t}/*` : t))
    .join(",");
}
