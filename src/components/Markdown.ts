import type { Dependency } from "./Dependency.ts";
import type { Inputs, Listener } from "./Listener.ts";
import { cleanDoc } from "./cleanDoc.ts";
import { Component, type ComponentOptions } from "./Component.ts";

/** Options of {@link Markdown}. */
export interface MarkdownOptions extends ComponentOptions {
  /** The Markdown text. */
  value?: string;
  /** Sanitise embedded HTML. Default true. */
  sanitizeHtml?: boolean;
  /** Render single newlines as line breaks. Default false. */
  lineBreaks?: boolean;
}

/**
 * Markdown text, mostly as an output: the function returns a string (common indentation is
 * removed, as Gradio does). As an input the function receives the string.
 */
export class Markdown extends Component<string> {
  readonly type = "markdown";
  readonly value: string;
  readonly sanitizeHtml: boolean;
  readonly lineBreaks: boolean;

  /** `new Markdown("# Title")` or `new Markdown({ value, ... })`. */
  constructor(valueOrOptions: string | MarkdownOptions = {}) {
    const options = typeof valueOrOptions === "string" ? { value: valueOrOptions } : valueOrOptions;
    super({ showLabel: false, container: false, ...options });
    this.value = options.value ?? "";
    this.sanitizeHtml = options.sanitizeHtml ?? true;
    this.lineBreaks = options.lineBreaks ?? false;
  }

  override validate(payload: unknown): string | null {
    return payload === null || payload === undefined || typeof payload === "string"
      ? null
      : `Expected a string for ${this.describe()}.`;
  }

  preprocess(payload: unknown): string {
    return typeof payload === "string" ? payload : "";
  }

  postprocess(value: unknown): string | null {
    return value === null || value === undefined ? null : cleanDoc(String(value));
  }

  apiInfo(): Record<string, unknown> {
    return { type: "string" };
  }

  examplePayload(): unknown {
    return "# Hello!";
  }

  override configValue(): unknown {
    return cleanDoc(this.value);
  }

  override configProps(): Record<string, unknown> {
    return {
      ...super.configProps(),
      rtl: false,
      latex_delimiters: [{ left: "$$", right: "$$", display: true }],
      sanitize_html: this.sanitizeHtml,
      line_breaks: this.lineBreaks,
      header_links: false,
      show_copy_button: false,
    };
  }

  /** Runs a listener when the user clicks it. */
  click<const TIn extends Inputs = [], TBatch extends boolean = false>(listener: Listener<TIn, TBatch>): Dependency {
    return this.on("click", listener);
  }
}
