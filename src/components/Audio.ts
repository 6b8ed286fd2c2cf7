import type { FileArg, FileComponentOptions, FileValueType } from "./FileComponent.ts";
import { FileComponent } from "./FileComponent.ts";

/** Options of {@link Audio}. */
export interface AudioOptions<T extends FileValueType = "file"> extends FileComponentOptions<T> {
  /** Where users can take audio from. Default upload and microphone. */
  sources?: readonly ("upload" | "microphone")[];
  /** Play outputs as soon as they arrive. Default false. */
  autoplay?: boolean;
}

/**
 * A sound. As input the function receives, by `type`: an UploadedFile (default), the stored path
 * ("filepath") or a Buffer ("buffer"); null when empty. As output it returns a Buffer (stored as
 * `audio.<ext>`, sniffed: wav, mp3, ogg, flac), a path, `{ data, name, mimeType }` or `{ path }`.
 */
export class Audio<T extends FileValueType = "file"> extends FileComponent<FileArg<T> | null> {
  readonly type = "audio";
  protected readonly baseName = "audio";
  protected readonly sampleName = "audio.wav";
  readonly sources: readonly string[];
  readonly autoplay: boolean;

  constructor(options: AudioOptions<T> = {}) {
    super(options);
    this.sources = options.sources ?? ["upload", "microphone"];
    this.autoplay = options.autoplay ?? false;
  }

  override configProps(): Record<string, unknown> {
    return {
      ...super.configProps(),
      sources: this.sources,
      autoplay: this.autoplay,
      type: "filepath",
      format: "wav",
      streaming: false,
      show_download_button: true,
      show_share_button: false,
      editable: true,
    };
  }
}
