import type { FileArg, FileComponentOptions, FileValueType } from "./FileComponent.ts";
import { FileComponent } from "./FileComponent.ts";

/** Options of {@link Image}. */
export interface ImageOptions<T extends FileValueType = "file"> extends FileComponentOptions<T> {
  /** Height of the display, pixels or CSS. */
  height?: number | string;
  /** Width of the display, pixels or CSS. */
  width?: number | string;
  /** Where users can take images from. Default upload, webcam and clipboard. */
  sources?: readonly ("upload" | "webcam" | "clipboard")[];
}

/**
 * An image. As input the function receives, by `type`: an UploadedFile (default), the stored
 * path ("filepath") or a Buffer ("buffer"); null when empty. As output it returns a Buffer
 * (stored as `image.<ext>`, the extension sniffed from the bytes), a path, `{ data, name, mimeType }`
 * or `{ path }`. A base64 `data:` URL string is accepted both ways.
 */
export class Image<T extends FileValueType = "file"> extends FileComponent<FileArg<T> | null> {
  readonly type = "image";
  protected readonly baseName = "image";
  protected readonly sampleName = "image.png";
  readonly height: number | string | undefined;
  readonly width: number | string | undefined;
  readonly sources: readonly string[];

  constructor(options: ImageOptions<T> = {}) {
    super(options);
    this.height = options.height;
    this.width = options.width;
    this.sources = options.sources ?? ["upload", "webcam", "clipboard"];
  }

  override configProps(): Record<string, unknown> {
    return {
      ...super.configProps(),
      height: this.height ?? null,
      width: this.width ?? null,
      sources: this.sources,
      image_mode: "RGB",
      type: "filepath",
      format: "webp",
      streaming: false,
      show_download_button: true,
      show_share_button: false,
      show_fullscreen_button: true,
    };
  }
}
