import { extname } from "node:path";
import { UsherError } from "../errors.ts";
import type { ProcessContext } from "./Component.ts";
import { fileDataSchema } from "./FileData.ts";
import type { FileArg, FileComponentOptions, FileValueType } from "./FileComponent.ts";
import { FileComponent } from "./FileComponent.ts";
import { isFilePayload, type UploadedFile } from "./readInputFile.ts";
import { storeOutputFile } from "./storeOutputFile.ts";

/** Options of {@link File}. */
export interface FileOptions<T extends FileValueType = "file", TCount extends "single" | "multiple" = "single">
  extends FileComponentOptions<T> {
  /** One file, or a list of files. Default "single". */
  fileCount?: TCount;
  /**
   * Accepted files: extensions (".pdf") or kinds ("image", "audio", "video", "text"). Others are
   * refused. Default: any file.
   */
  fileTypes?: readonly string[];
  /** Height of the display, pixels or CSS. */
  height?: number | string;
}

/**
 * Any file (or, with `fileCount: "multiple"`, a list of files). Inputs arrive, by `type`, as an
 * UploadedFile (default), the stored path or a Buffer; outputs are returned like Image's (a Buffer,
 * stored as `file.<ext>`; a path; `{ data, name, mimeType }`; `{ path }`), or a list of them.
 */
export class File<
  T extends FileValueType = "file",
  TCount extends "single" | "multiple" = "single",
> extends FileComponent<TCount extends "multiple" ? FileArg<T>[] : FileArg<T> | null> {
  readonly type = "file";
  protected readonly baseName = "file";
  protected readonly sampleName = "document.pdf";
  readonly fileCount: "single" | "multiple";
  readonly fileTypes: readonly string[] | undefined;
  readonly height: number | string | undefined;

  constructor(options: FileOptions<T, TCount> = {}) {
    super(options);
    this.fileCount = options.fileCount ?? "single";
    this.fileTypes = options.fileTypes;
    this.height = options.height;
  }

  private get multiple(): boolean {
    return this.fileCount === "multiple";
  }

  override validate(payload: unknown): string | null {
    if (!this.multiple || !Array.isArray(payload)) return super.validate(payload);
    return payload.every(isFilePayload) ? null : `Expected a list of files for ${this.describe()}.`;
  }

  override async preprocess(
    payload: unknown,
    ctx: ProcessContext,
  ): Promise<TCount extends "multiple" ? FileArg<T>[] : FileArg<T> | null> {
    if (!this.multiple) return super.preprocess(payload, ctx);
    if (payload === null || payload === undefined) return [] as never;
    const list = Array.isArray(payload) ? payload : [payload];
    return (await Promise.all(list.map((p) => this.readOne(p, ctx)))) as never;
  }

  override postprocess(value: unknown, ctx: ProcessContext): unknown {
    if (!this.multiple || value === null || value === undefined) return super.postprocess(value, ctx);
    const list = Array.isArray(value) ? value : [value];
    return Promise.all(list.map((v) => storeOutputFile(v, ctx, this.baseName, () => this.describe())));
  }

  protected override checkFile(file: UploadedFile): void {
    if (this.fileTypes === undefined || this.fileTypes.length === 0) return;
    const ext = extname(file.name).toLowerCase();
    const kind = file.mimeType?.split("/")[0];
    const ok = this.fileTypes.some((t) => (t.startsWith(".") ? t.toLowerCase() === ext : kind === t || t === "file"));
    if (!ok) {
      throw new UsherError(
        "VALIDATION",
        `Invalid file type: ${ext || file.mimeType || "unknown"}. Please upload a file that is one of these formats: ${JSON.stringify(this.fileTypes)}`,
      );
    }
  }

  override apiInfo(): Record<string, unknown> {
    if (!this.multiple) return super.apiInfo();
    // pydantic's shape for ListFiles: the item schema moves into $defs beside FileDataMeta.
    const { $defs, additional_description, ...item } = fileDataSchema();
    return {
      $defs: { ...($defs as Record<string, unknown>), FileData: item },
      items: { $ref: "#/$defs/FileData" },
      title: "ListFiles",
      type: "array",
      additional_description,
    };
  }

  override examplePayload(): unknown {
    return this.multiple ? [super.examplePayload()] : super.examplePayload();
  }

  override configProps(): Record<string, unknown> {
    return {
      ...super.configProps(),
      file_count: this.fileCount,
      file_types: this.fileTypes ?? null,
      height: this.height ?? null,
      type: "filepath",
      allow_reordering: false,
    };
  }
}
