import type { Dependency } from "./Dependency.ts";
import type { Inputs, Listener } from "./Listener.ts";
import { UsherError } from "../errors.ts";
import { samplePath } from "../samples.ts";
import { Component, type ComponentOptions, type ProcessContext } from "./Component.ts";
import { FILE_DATA_META, fileDataSchema } from "./FileData.ts";
import { isFilePayload, readInputFile, type UploadedFile } from "./readInputFile.ts";
import { storeOutputFile } from "./storeOutputFile.ts";

/**
 * How a file input reaches the function: "file" (default) an {@link UploadedFile}
 * (`{ path, name, size, mimeType, read() }`), "filepath" the stored file's path, "buffer" its bytes.
 */
export type FileValueType = "file" | "filepath" | "buffer";

/** The argument type for a {@link FileValueType}. */
export type FileArg<T extends FileValueType> = T extends "filepath"
  ? string
  : T extends "buffer"
    ? Buffer
    : UploadedFile;

/** Options of file components (Image, Audio, File). */
export interface FileComponentOptions<T extends FileValueType = "file"> extends ComponentOptions {
  /** How the function receives the file. Default "file". */
  type?: T;
}

/**
 * Shared by Image, Audio and File: FileData on the wire, files in the store. Inputs are resolved
 * with {@link readInputFile} (paths outside the store are refused), outputs stored with
 * {@link storeOutputFile}.
 */
export abstract class FileComponent<TValue> extends Component<TValue> {
  /** Base of the name given to outputs returned as bare bytes ("image" → "image.png"). */
  protected abstract readonly baseName: string;
  /** The bundled sample (in the package's `samples/`) the API page's examples send when the app has no example file of its own. */
  protected abstract readonly sampleName: string;
  readonly valueType: FileValueType;

  constructor(options: FileComponentOptions<FileValueType>) {
    super(options);
    this.valueType = options.type ?? "file";
    if (!["file", "filepath", "buffer"].includes(this.valueType)) {
      throw new UsherError("INVALID_OPTIONS", `${this.constructor.name} type must be "file", "filepath" or "buffer".`);
    }
  }

  override validate(payload: unknown): string | null {
    if (payload === null || payload === undefined || isFilePayload(payload)) return null;
    return `Expected a file for ${this.describe()}: an object with a \`path\` (upload the file first), or null.`;
  }

  async preprocess(payload: unknown, ctx: ProcessContext): Promise<TValue> {
    if (payload === null || payload === undefined) return null as TValue;
    return (await this.readOne(payload, ctx)) as TValue;
  }

  postprocess(value: unknown, ctx: ProcessContext): unknown {
    if (value === null || value === undefined) return null;
    return storeOutputFile(value, ctx, this.baseName, () => this.describe());
  }

  /** Resolves one file payload and converts it to the configured {@link FileValueType}. */
  protected async readOne(payload: unknown, ctx: ProcessContext): Promise<unknown> {
    const file = await readInputFile(payload, ctx, this.baseName);
    this.checkFile(file);
    switch (this.valueType) {
      case "filepath":
        return file.path;
      case "buffer":
        return file.read();
      default:
        return file;
    }
  }

  /** Refuses files this component does not take (File's `fileTypes`). */
  protected checkFile(file: UploadedFile): void {
    void file;
  }

  apiInfo(): Record<string, unknown> {
    return fileDataSchema();
  }

  /**
   * A bundled sample the server serves (by its server path, as `handle_file(path)` writes it): the
   * API page turns it into a URL on the server's own origin, so the snippets run offline.
   */
  examplePayload(): unknown {
    return { path: samplePath(this.sampleName), meta: { ...FILE_DATA_META }, orig_name: this.sampleName };
  }

  /** Runs a listener when the user uploads a file. */
  upload<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("upload", listener);
  }

  /** Runs a listener when the user clears the file. */
  clear<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("clear", listener);
  }
}
