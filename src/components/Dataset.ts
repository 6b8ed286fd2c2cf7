import type { Dependency } from "./Dependency.ts";
import type { Inputs, Listener } from "./Listener.ts";
import type { Block } from "./Block.ts";
import { Component, type ComponentOptions } from "./Component.ts";
import { FileComponent } from "./FileComponent.ts";
import { exampleFilePaths, sampleFileData } from "./sampleFileData.ts";

/** Options of {@link Dataset}. */
export interface DatasetOptions extends ComponentOptions {
  /** The components the samples fill, one per column. */
  components: readonly Component<unknown>[];
  /** Rows of values, one per component. */
  samples: readonly (readonly unknown[])[];
  /** Column headers. Default: the components' labels. */
  headers?: readonly string[];
  /** Rows per page. Default 10. */
  samplesPerPage?: number;
}

/**
 * A clickable table of samples (what Gradio's Examples render). Its value is the index of the
 * clicked sample: the function receives that number. Interface uses it for `examples`.
 */
export class Dataset extends Component<number | null> {
  readonly type = "dataset";
  readonly components: readonly Component<unknown>[];
  readonly samples: readonly (readonly unknown[])[];
  readonly headers: readonly string[] | undefined;
  readonly samplesPerPage: number;

  constructor(options: DatasetOptions) {
    super({ label: "Examples", ...options });
    this.components = options.components;
    this.samples = options.samples;
    this.headers = options.headers;
    this.samplesPerPage = options.samplesPerPage ?? 10;
  }

  override validate(payload: unknown): string | null {
    if (payload === null || payload === undefined) return null;
    return Number.isInteger(payload) && (payload as number) >= 0 && (payload as number) < this.samples.length
      ? null
      : `Expected a sample index between 0 and ${this.samples.length - 1}.`;
  }

  preprocess(payload: unknown): number | null {
    return typeof payload === "number" ? payload : null;
  }

  postprocess(value: unknown): unknown {
    return value ?? null;
  }

  apiInfo(): Record<string, unknown> {
    return { type: "integer", description: "index of selected example" };
  }

  examplePayload(): unknown {
    return 0;
  }

  override configProps(idOf?: (block: Block) => number): Record<string, unknown> {
    return {
      ...super.configProps(),
      components: this.components.map((c) => c.type),
      component_props: this.components.map((c) => c.configProps()),
      component_ids: idOf === undefined ? [] : this.components.map((c) => idOf(c)),
      headers: this.headers ?? this.components.map((c) => c.label ?? ""),
      // File samples go as FileData: the page shows them as thumbnails and players, fetched through
      // the file route (the app lets users read its example files, see exampleFiles()).
      samples: this.samples.map((row) =>
        row.map((v, i) => (this.components[i] instanceof FileComponent ? sampleFileData(v) : v)),
      ),
      sample_labels: null,
      type: "index",
      samples_per_page: this.samplesPerPage,
    };
  }

  /** The local files of the file components' samples (absolute paths), which users may read. */
  exampleFiles(): string[] {
    return this.samples.flatMap((row) =>
      row.flatMap((v, i) => (this.components[i] instanceof FileComponent ? exampleFilePaths(v) : [])),
    );
  }

  /** The first sample of `component` that is a local file, as FileData; null when it has none. */
  firstExampleFile(component: Component<unknown>): unknown {
    const column = this.components.indexOf(component);
    if (column < 0 || !(component instanceof FileComponent)) return null;
    for (const row of this.samples) {
      const v = row[column];
      if (exampleFilePaths(v).length > 0) return sampleFileData(v);
    }
    return null;
  }

  /** Runs a listener when the user clicks a sample. */
  click<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("click", listener);
  }

  /** Runs a listener when the user selects a sample. */
  select<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("select", listener);
  }
}
