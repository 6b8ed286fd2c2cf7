import { isFileData } from "../config/AppConfig.ts";
import { fileName } from "./fileName.ts";
import { UploadZone } from "./UploadZone.tsx";
import type { WidgetProps } from "./WidgetProps.ts";

/** An image: upload (picker, drag and drop, paste) with a preview as an input, a picture with a download link as an output. */
export function ImageWidget({ id, props, value, interactive, inputId, labelId, ctx }: WidgetProps) {
  const file = isFileData(value) ? value : null;
  const label = typeof props["label"] === "string" ? props["label"] : "image";
  if (file !== null) {
    const src = ctx.endpoints.fileUrl(file);
    return (
      <div class="media">
        <img
          class="image-preview"
          src={src}
          alt={`${label}: ${fileName(file)}`}
          id={interactive ? undefined : inputId}
        />
        <div class="media-actions">
          {props["show_download_button"] !== false && (
            <a class="icon-button" href={src} download={fileName(file)}>
              Download
            </a>
          )}
          {interactive && (
            <button
              type="button"
              id={inputId}
              class="icon-button"
              aria-label={`Remove ${label}`}
              onClick={() => {
                ctx.runtime.userInput(id, null);
                ctx.runtime.fire(id, "clear");
              }}
            >
              Remove
            </button>
          )}
        </div>
      </div>
    );
  }
  if (!interactive) return <div class="empty" id={inputId} tabIndex={-1} />;
  return (
    <UploadZone
      inputId={inputId}
      labelId={labelId}
      accept="image/*"
      multiple={false}
      prompt="Drop an image here, paste it, or click to upload"
      ctx={ctx}
      onUploaded={([f]) => {
        if (f === undefined) return;
        ctx.runtime.userInput(id, f);
        ctx.runtime.fire(id, "upload");
      }}
    />
  );
}
