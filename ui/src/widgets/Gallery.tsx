import { isFileData } from "../config/AppConfig.ts";
import { fileName } from "./fileName.ts";
import type { WidgetProps } from "./WidgetProps.ts";

/** Images in a grid (Gradio's `[{image: FileData, caption}]`). */
export function Gallery({ value, inputId, labelId, ctx }: WidgetProps) {
  const items = Array.isArray(value) ? value : [];
  return (
    <ul class="gallery" id={inputId} aria-labelledby={labelId}>
      {items.map((item, i) => {
        const it = (typeof item === "object" && item !== null ? item : {}) as { image?: unknown; caption?: unknown };
        const file = isFileData(it.image) ? it.image : isFileData(item) ? item : null;
        if (file === null) return null;
        const caption = typeof it.caption === "string" ? it.caption : null;
        return (
          <li key={i}>
            <figure>
              <img src={ctx.endpoints.fileUrl(file)} alt={caption ?? fileName(file)} />
              {caption !== null && <figcaption>{caption}</figcaption>}
            </figure>
          </li>
        );
      })}
    </ul>
  );
}
