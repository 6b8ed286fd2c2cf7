import type { Dependency } from "./Dependency.ts";
import type { Inputs, Listener } from "./Listener.ts";
import { Component, type ComponentOptions } from "./Component.ts";

/** Options of {@link Textbox}. */
export interface TextboxOptions extends ComponentOptions {
  /** Initial text. Default "". */
  value?: string;
  /** Grey hint shown while empty. */
  placeholder?: string;
  /** Visible lines; more than 1 makes a text area. Default 1. */
  lines?: number;
  /** Most lines before it scrolls. Default 20. */
  maxLines?: number;
  /** Input type of the page's field. Default "text". */
  type?: "text" | "password" | "email";
  /** Most characters accepted; longer inputs are refused before queueing. */
  maxLength?: number;
  /** Focus the field when the page loads. Default false. */
  autofocus?: boolean;
}

/**
 * A text field. The function receives a `string` ("" when the client sent null) and returns
 * anything, shown with `String(value)` (null/undefined clears it).
 */
export class Textbox extends Component<string> {
  readonly type = "textbox";
  readonly value: string;
  readonly placeholder: string | undefined;
  readonly lines: number;
  readonly maxLines: number;
  readonly inputType: "text" | "password" | "email";
  readonly maxLength: number | undefined;
  readonly autofocus: boolean;

  constructor(options: TextboxOptions = {}) {
    super(options);
    this.value = options.value ?? "";
    this.placeholder = options.placeholder;
    this.lines = options.lines ?? 1;
    this.maxLines = options.maxLines ?? 20;
    this.inputType = options.type ?? "text";
    this.maxLength = options.maxLength;
    this.autofocus = options.autofocus ?? false;
  }

  override validate(payload: unknown): string | null {
    if (payload === null || payload === undefined) return null;
    // Gradio runs str() on what it gets; numbers and booleans from API callers are fine.
    if (typeof payload !== "string" && typeof payload !== "number" && typeof payload !== "boolean") {
      return `Expected a string for ${this.describe()}, got ${Array.isArray(payload) ? "an array" : typeof payload}.`;
    }
    if (this.maxLength !== undefined && String(payload).length > this.maxLength) {
      return `Text is longer than ${this.maxLength} characters.`;
    }
    return null;
  }

  preprocess(payload: unknown): string {
    return payload === null || payload === undefined ? "" : String(payload);
  }

  postprocess(value: unknown): string | null {
    return value === null || value === undefined ? null : String(value);
  }

  apiInfo(): Record<string, unknown> {
    return { type: "string" };
  }

  examplePayload(): unknown {
    return "Hello!!";
  }

  override configValue(): unknown {
    return this.value;
  }

  override configProps(): Record<string, unknown> {
    return {
      ...super.configProps(),
      placeholder: this.placeholder ?? null,
      lines: this.lines,
      max_lines: this.maxLines,
      type: this.inputType,
      max_length: this.maxLength ?? null,
      autofocus: this.autofocus,
      autoscroll: true,
      show_copy_button: false,
      rtl: false,
      text_align: null,
      submit_btn: false,
      stop_btn: false,
    };
  }

  /** Runs a listener when the user presses Enter. */
  submit<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("submit", listener);
  }

  /** Runs a listener on each edit by the user (not on changes made by functions). */
  input<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("input", listener);
  }

  /** Runs a listener when the field loses focus. */
  blur<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("blur", listener);
  }

  /** Runs a listener when the field gains focus. */
  focus<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("focus", listener);
  }
}
