import { isFileData } from "../config/AppConfig.ts";
import { fileName } from "./fileName.ts";
import { UploadZone } from "./UploadZone.tsx";
import type { WidgetProps } from "./WidgetProps.ts";

/** Audio: a player, and an upload zone as an input. */
export function AudioWidget({ id, props, value, interactive, inputId, labelId, ctx }: WidgetProps) {
  const file = isFileData(value) ? value : null;
  if (file !== null) {
    const src = ctx.endpoints.fileUrl(file);
    return (
      <div class="media">
        <audio id={inputId} controls src={src} autoPlay={props["autoplay"] === true} preload="metadata" />
        <div class="media-actions">
          {props["show_download_button"] !== false && (
            <a class="icon-button" href={src} download={fileName(file)}>
              Download
            </a>
          )}
          {interactive && (
            <button
              type="button"
              class="icon-button"
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
      accept="audio/*"
      multiple={false}
      prompt="Drop an audio file here, paste it, or click to upload"
      ctx={ctx}
      onUploaded={([f]) => {
        if (f === undefined) return;
        ctx.runtime.userInput(id, f);
        ctx.runtime.fire(id, "upload");
      }}
    />
  );
}
