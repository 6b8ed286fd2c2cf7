import { UsherError } from "../errors.ts";
import { Component, type ComponentOptions } from "./Component.ts";

/** Options of {@link Json}. */
export interface JsonOptions extends ComponentOptions {
  /** Initial value (any JSON). */
  value?: unknown;
  /** Start with every node expanded. Default false. */
  open?: boolean;
  /** Height of the display, pixels or CSS. */
  height?: number | string;
}

/**
 * A JSON viewer (Gradio's `gr.JSON`; exported as `Json` so that it does not shadow the global
 * `JSON`, and as `components.JSON`). The function receives and returns any JSON value; a returned
 * string is parsed as JSON when it is valid JSON (as Gradio does), and values are normalised
 * through `JSON.stringify` (Dates become strings, `undefined` fields vanish).
 */
export class Json extends Component<any> {
  readonly type = "json";
  readonly value: unknown;
  readonly open: boolean;
  readonly height: number | string | undefined;

  constructor(options: JsonOptions = {}) {
    super(options);
    this.value = options.value ?? null;
    this.open = options.open ?? false;
    this.height = options.height;
  }

  preprocess(payload: unknown): unknown {
    return payload ?? null;
  }

  postprocess(value: unknown): unknown {
    if (value === undefined || value === null) return null;
    if (typeof value === "string") {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return value;
      }
    }
    try {
      const text = JSON.stringify(value);
      return text === undefined ? null : (JSON.parse(text) as unknown);
    } catch (err) {
      throw new UsherError(
        "OUTPUT_SHAPE",
        `${this.describe()}: the function returned a value that is not JSON (${String(err)}).`,
      );
    }
  }

  apiInfo(): Record<string, unknown> {
    return { type: {}, description: "any valid json" };
  }

  examplePayload(): unknown {
    return { foo: "bar" };
  }

  override configValue(): unknown {
    return this.postprocess(this.value);
  }

  override configProps(): Record<string, unknown> {
    return { ...super.configProps(), open: this.open, show_indices: false, height: this.height ?? null };
  }
}
