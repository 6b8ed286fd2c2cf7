import type { Dependency } from "./Dependency.ts";
import type { Inputs, Listener } from "./Listener.ts";
import { UsherError } from "../errors.ts";
import type { FileStore } from "../store/index.ts";
import { Block, type BlockOptions } from "./Block.ts";
import { jsonSchemaToPythonType } from "./jsonSchemaToPythonType.ts";
import { LayoutContext } from "./LayoutContext.ts";

/** What pre- and postprocessing may use: the file store and the URL the user came through. */
export interface ProcessContext {
  readonly files: FileStore;
  /** Public base URL of the request, e.g. "http://127.0.0.1:7860", for file URLs in outputs. */
  readonly rootUrl: string;
}

/** Options every component takes. */
export interface ComponentOptions extends BlockOptions {
  /** Label shown above the component; also its name in the API page. */
  label?: string;
  /** Help text shown under the label. */
  info?: string;
  /** Show the label. Default true. */
  showLabel?: boolean;
  /** Draw the component in a padded box. Default true. */
  container?: boolean;
  /** Relative width in a Row. */
  scale?: number;
  /** Least width in pixels. Default 160. */
  minWidth?: number;
  /** Whether users may edit it. Default: editable when it is some event's input. */
  interactive?: boolean;
}

/** Gradio's `/info` description of a component's value. */
export interface ApiDescription {
  /** The JSON schema (Gradio's `api_info`). */
  readonly type: Record<string, unknown>;
  /** Python type hint and its description, as Gradio prints them. */
  readonly python_type: { readonly type: string; readonly description: string };
  /** Gradio component name, capitalised: "Textbox", "Json", "Html". */
  readonly component: string;
  /** A value a client could send. */
  readonly example_input: unknown;
}

/**
 * A component: a block with a value. It turns wire values into function arguments
 * ({@link preprocess}) and function results into wire values ({@link postprocess}), checks inputs
 * cheaply before they are queued ({@link validate}), and describes its value for `/info`.
 *
 * `TValue` is what the function receives; it types the arguments of event functions.
 */
export abstract class Component<TValue = unknown> extends Block {
  /** Label; Interface fills it from the function's parameter names when unset. */
  label: string | undefined;
  readonly info: string | undefined;
  readonly showLabel: boolean;
  readonly container: boolean;
  readonly scale: number | undefined;
  readonly minWidth: number;
  readonly interactive: boolean | undefined;

  constructor(options: ComponentOptions = {}) {
    super(options);
    this.label = options.label;
    this.info = options.info;
    this.showLabel = options.showLabel ?? true;
    this.container = options.container ?? true;
    this.scale = options.scale;
    this.minWidth = options.minWidth ?? 160;
    this.interactive = options.interactive;
  }

  /** Turns a wire value (already {@link validate}d) into the function's argument. */
  abstract preprocess(payload: unknown, ctx: ProcessContext): TValue | Promise<TValue>;

  /** Turns what the function returned into the wire value. Throws UsherError OUTPUT_SHAPE on a value it cannot take. */
  abstract postprocess(value: unknown, ctx: ProcessContext): unknown;

  /** Cheap check of a wire value before it is queued: an error message, or null when fine. */
  validate(payload: unknown): string | null {
    void payload;
    return null;
  }

  /** The JSON schema of the wire value (Gradio's `api_info`). */
  abstract apiInfo(): Record<string, unknown>;

  /** Schema of the value as an input; usually {@link apiInfo}. */
  apiInfoAsInput(): Record<string, unknown> {
    return this.apiInfo();
  }

  /** Schema of the value as an output; usually {@link apiInfo}. */
  apiInfoAsOutput(): Record<string, unknown> {
    return this.apiInfo();
  }

  /** A wire value a client could send, for the API page (Gradio's `example_payload`). */
  abstract examplePayload(): unknown;

  /** The initial value in wire form, for the config (`props.value`); null for none. */
  configValue(): unknown {
    return null;
  }

  /** Left out of `/info` parameters and returns (State). */
  get skipApi(): boolean {
    return false;
  }

  /** `/info` entry of this component as an input (`asInput`) or output. */
  describeApi(asInput: boolean): ApiDescription {
    const schema = asInput ? this.apiInfoAsInput() : this.apiInfoAsOutput();
    const description = asInput ? schema["additional_description"] : schema["description"];
    return {
      type: schema,
      python_type: {
        type: jsonSchemaToPythonType(schema),
        description: typeof description === "string" ? description : "",
      },
      component: this.type.charAt(0).toUpperCase() + this.type.slice(1).toLowerCase(),
      example_input: this.examplePayload(),
    };
  }

  override describe(): string {
    return this.label === undefined ? this.constructor.name : `${this.constructor.name} "${this.label}"`;
  }

  override configProps(): Record<string, unknown> {
    return {
      ...super.configProps(),
      label: this.label ?? null,
      info: this.info ?? null,
      show_label: this.showLabel,
      container: this.container,
      scale: this.scale ?? null,
      min_width: this.minWidth,
      interactive: this.interactive ?? null,
      value: this.configValue(),
    };
  }

  /** Runs a listener when this component fires `event` (any Gradio event name). */
  on<const TIn extends Inputs = [], TBatch extends boolean = false>(
    event: string,
    listener: Listener<TIn, TBatch>,
  ): Dependency {
    const registry = LayoutContext.outermost()?.listenerRegistry() ?? this.parent?.listenerRegistry() ?? null;
    if (registry === null) {
      throw new UsherError(
        "INVALID_OPTIONS",
        `Cannot listen to "${event}" of ${this.describe()} outside of a Blocks: add the listener inside the layout callback, or place the component first.`,
      );
    }
    return registry.listen([[this, event]], listener as never);
  }

  /** Runs a listener when the value changes (by the user or by a function). */
  change<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("change", listener);
  }
}

/** The UsherError for a function result a component cannot display. */
export function outputError(component: Component<unknown>, expected: string, value: unknown): UsherError {
  const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
  return new UsherError("OUTPUT_SHAPE", `${component.describe()} expects ${expected} from the function, got ${got}.`);
}
